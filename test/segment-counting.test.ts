import { describe, expect, it } from "vitest";
import { nonGsmCharacters, segmentInfo } from "../src/templates/segments";
import vectors from "./fixtures/segment_vectors.json";

// Copied from /work/shared/reference/gsm/segment_vectors.json (split-sms + Twilio calculator, MIT).
type Vector = {
  description: string;
  text: string;
  expected_encoding: string;
  expected_segments: number;
  utf16_code_units: number;
  non_gsm_characters?: string[];
  independent_check: { septets_or_ucs2_units: number };
};
const cases = vectors.cases as Vector[];

const a = (n: number) => "a".repeat(n);
const snow = (n: number) => "☃".repeat(n); // U+2603: one BMP code unit, not GSM-7

describe("segment vectors", () => {
  it("has all 61 vectors", () => {
    expect(cases).toHaveLength(61);
  });

  it.each(cases.map((c, i) => [i, c.description, c] as const))("#%i %s", (_i, _d, c) => {
    expect(segmentInfo(c.text)).toEqual({
      encoding: c.expected_encoding,
      segments: c.expected_segments,
      units: c.independent_check.septets_or_ucs2_units,
    });
    if (c.expected_encoding === "UCS-2") {
      // UCS-2 units are exactly the UTF-16 length; any UCS-2 message has at least one culprit.
      expect(c.independent_check.septets_or_ucs2_units).toBe(c.utf16_code_units);
      expect(nonGsmCharacters(c.text).length).toBeGreaterThan(0);
    } else {
      expect(nonGsmCharacters(c.text)).toEqual([]);
    }
    if (c.non_gsm_characters) {
      expect(nonGsmCharacters(c.text).map((x) => x.char)).toEqual(c.non_gsm_characters);
    }
  });
});

describe("GSM-7 extension characters at segment boundaries", () => {
  it("158 basic + € = 160 septets fits one SMS", () => {
    expect(segmentInfo(a(158) + "€")).toEqual({ encoding: "GSM-7", segments: 1, units: 160 });
  });

  it("159 basic + € = 161 septets needs two", () => {
    expect(segmentInfo(a(159) + "€")).toEqual({ encoding: "GSM-7", segments: 2, units: 161 });
  });

  it("152 basic + € + 7 basic: € moves to part 2 (152 | 2+7)", () => {
    // 161 septets > 160 so multipart; 152 + 2 = 154 > 153, so part 1 stops at 152 septets.
    expect(segmentInfo(a(152) + "€" + a(7))).toEqual({ encoding: "GSM-7", segments: 2, units: 161 });
  });

  it("152 basic + € + 152 basic = 306 septets but 3 parts, not ceil(306/153) = 2", () => {
    // Part 1: 152 (the ESC pair cannot split). Part 2: € (2) + 151 = 153. Part 3: the last 1.
    expect(segmentInfo(a(152) + "€" + a(152))).toEqual({ encoding: "GSM-7", segments: 3, units: 306 });
  });

  it("151 basic + € + 153 basic fills parts exactly (153 | 153)", () => {
    // 151 + 2 = 153 fills part 1 exactly; the 153 remaining fill part 2.
    expect(segmentInfo(a(151) + "€" + a(153))).toEqual({ encoding: "GSM-7", segments: 2, units: 306 });
  });

  it("153 × € = 306 septets packs 76 per part → 3 parts", () => {
    // 76 × 2 = 152; a 77th would need 154 > 153. 153 = 76 + 76 + 1.
    expect(segmentInfo("€".repeat(153))).toEqual({ encoding: "GSM-7", segments: 3, units: 306 });
  });

  it("form feed and every other extension char cost 2 septets", () => {
    // \f ^ { } \ [ ~ ] | € = 10 chars × 2.
    expect(segmentInfo("\f^{}\\[~]|€")).toEqual({ encoding: "GSM-7", segments: 1, units: 20 });
  });

  it("non-ASCII basic-table chars cost 1 septet (160 of them fit one SMS)", () => {
    // é Ø Δ ñ Ç £ ¥ ¿ ä Ü: all in the GSM 03.38 basic table; 16 × 10 = 160.
    expect(segmentInfo("éØΔñÇ£¥¿äÜ".repeat(16))).toEqual({ encoding: "GSM-7", segments: 1, units: 160 });
  });
});

describe("UCS-2 surrogate pairs at segment boundaries", () => {
  it("68 BMP + emoji = 70 units fits one SMS", () => {
    expect(segmentInfo(snow(68) + "🐳")).toEqual({ encoding: "UCS-2", segments: 1, units: 70 });
  });

  it("66 BMP + emoji + 3 BMP: emoji straddles unit 67 and moves to part 2", () => {
    // 71 units > 70; 66 + 2 = 68 > 67, so part 1 = 66, part 2 = 2 + 3 = 5.
    expect(segmentInfo(snow(66) + "🐳" + snow(3))).toEqual({ encoding: "UCS-2", segments: 2, units: 71 });
  });

  it("66 BMP + emoji + 66 BMP = 134 units but 3 parts, not ceil(134/67) = 2", () => {
    // Part 1: 66. Part 2: emoji (2) + 65 = 67. Part 3: the last 1.
    expect(segmentInfo(snow(66) + "🐳" + snow(66))).toEqual({ encoding: "UCS-2", segments: 3, units: 134 });
  });

  it("65 BMP + emoji + 67 BMP fills parts exactly (67 | 67)", () => {
    expect(segmentInfo(snow(65) + "🐳" + snow(67))).toEqual({ encoding: "UCS-2", segments: 2, units: 134 });
  });

  it("extension chars cost 1 unit once the message is UCS-2", () => {
    // € is 2 septets in GSM-7 but one UTF-16 unit: ç + 69 × € = 70 units.
    expect(segmentInfo("ç" + "€".repeat(69))).toEqual({ encoding: "UCS-2", segments: 1, units: 70 });
  });

  it("a lone surrogate is one unit and forces UCS-2", () => {
    expect(segmentInfo("\uD83D")).toEqual({ encoding: "UCS-2", segments: 1, units: 1 });
  });
});

describe("characters that force UCS-2", () => {
  it("99 GSM chars + curly apostrophe ’ → UCS-2, 100 units, 2 segments", () => {
    // ’ (U+2019) is not GSM-7, so all 100 chars become UTF-16 units: 100 > 70 → ceil(100/67) = 2.
    const text = a(99) + "’";
    expect(segmentInfo(text)).toEqual({ encoding: "UCS-2", segments: 2, units: 100 });
    expect(nonGsmCharacters(text)).toEqual([{ char: "’", index: 99 }]);
  });

  it("NBSP is not GSM-7 (the table only lists it as ESC's display fallback)", () => {
    expect(segmentInfo("a\u00A0b").encoding).toBe("UCS-2");
  });

  it("capital Ç is GSM-7, lowercase ç is not", () => {
    expect(segmentInfo("Ç").encoding).toBe("GSM-7");
    expect(segmentInfo("ç").encoding).toBe("UCS-2");
  });

  it("tab and backtick are not GSM-7", () => {
    expect(segmentInfo("a\tb").encoding).toBe("UCS-2");
    expect(segmentInfo("a`b").encoding).toBe("UCS-2");
  });

  it("nonGsmCharacters lists every occurrence with its UTF-16 index, emoji whole", () => {
    // "hi " = indexes 0-2, 😀 = 3-4, " " = 5, ç = 6, "!" = 7, ç = 8.
    expect(nonGsmCharacters("hi 😀 ç!ç")).toEqual([
      { char: "😀", index: 3 },
      { char: "ç", index: 6 },
      { char: "ç", index: 8 },
    ]);
  });
});

describe("empty string", () => {
  it("is GSM-7, 0 units, 1 segment (no vector covers it; an empty send still costs one SMS)", () => {
    expect(segmentInfo("")).toEqual({ encoding: "GSM-7", segments: 1, units: 0 });
    expect(nonGsmCharacters("")).toEqual([]);
  });
});
