import { describe, expect, it } from "vitest";
import { SMART_ENCODING_MAP } from "../src/templates/data/smart-encoding-map";
import { segmentInfo } from "../src/templates/segments";
import { smartEncode } from "../src/templates/smart-encoding";

describe("smartEncode replaces when the result is GSM-7", () => {
  it("curly apostrophe → straight, with its index", () => {
    // "It’s here": ’ is at index 2.
    expect(smartEncode("It’s here")).toEqual({
      text: "It's here",
      replaced: [{ from: "’", to: "'", index: 2 }],
      encoding: "GSM-7",
    });
  });

  it("curly double quotes, each reported at its original index", () => {
    // 'Say “hi”': S0 a1 y2 _3 “4 h5 i6 ”7.
    expect(smartEncode("Say “hi”")).toEqual({
      text: 'Say "hi"',
      replaced: [
        { from: "“", to: '"', index: 4 },
        { from: "”", to: '"', index: 7 },
      ],
      encoding: "GSM-7",
    });
  });

  it("multi-char replacements keep indexes in the ORIGINAL text", () => {
    // "½ off… now": ½ at 0, … at 5 (½0 _1 o2 f3 f4 …5).
    expect(smartEncode("½ off… now")).toEqual({
      text: "1/2 off... now",
      replaced: [
        { from: "½", to: "1/2", index: 0 },
        { from: "…", to: "...", index: 5 },
      ],
      encoding: "GSM-7",
    });
  });

  it("empty-string replacements drop the character (zero-width space)", () => {
    expect(smartEncode("a\u200Bb")).toEqual({
      text: "ab",
      replaced: [{ from: "\u200B", to: "", index: 1 }],
      encoding: "GSM-7",
    });
  });

  it("NBSP becomes two spaces (Twilio's table, verbatim)", () => {
    expect(smartEncode("a\u00A0b").text).toBe("a  b");
  });

  it("fullwidth braces map to extension chars, which cost 2 septets each", () => {
    // ｛x｝ → {x}: 2 + 1 + 2 = 5 septets.
    const r = smartEncode("｛x｝");
    expect(r.text).toBe("{x}");
    expect(r.encoding).toBe("GSM-7");
    expect(segmentInfo(r.text)).toEqual({ encoding: "GSM-7", segments: 1, units: 5 });
  });

  it("saves a segment: 99 GSM chars + ’ goes from 2 UCS-2 segments to 1 GSM-7", () => {
    // Before: 100 UTF-16 units > 70 → 2 segments. After: 100 septets ≤ 160 → 1 segment.
    const text = "a".repeat(99) + "’";
    expect(segmentInfo(text)).toEqual({ encoding: "UCS-2", segments: 2, units: 100 });
    const r = smartEncode(text);
    expect(r.replaced).toEqual([{ from: "’", to: "'", index: 99 }]);
    expect(segmentInfo(r.text)).toEqual({ encoding: "GSM-7", segments: 1, units: 100 });
  });
});

describe("smartEncode leaves text alone when it cannot reach GSM-7", () => {
  it("emoji keeps the message UCS-2, so ’ is not touched", () => {
    expect(smartEncode("It’s 😀")).toEqual({ text: "It’s 😀", replaced: [], encoding: "UCS-2" });
  });

  it("emoji before the look-alike: still nothing replaced", () => {
    expect(smartEncode("😀 It’s")).toEqual({ text: "😀 It’s", replaced: [], encoding: "UCS-2" });
  });

  it("Chinese keeps the message UCS-2", () => {
    expect(smartEncode("“你好”")).toEqual({ text: "“你好”", replaced: [], encoding: "UCS-2" });
  });

  it("a non-GSM letter with no look-alike (ç) keeps the message UCS-2", () => {
    expect(smartEncode("Ça va’ ç")).toEqual({ text: "Ça va’ ç", replaced: [], encoding: "UCS-2" });
  });
});

describe("smartEncode on text that is already GSM-7", () => {
  it("returns it unchanged with no replacements", () => {
    const text = "Hi [Ann], 20% off {today} ~ €5 | Ça va? \\o/";
    expect(smartEncode(text)).toEqual({ text, replaced: [], encoding: "GSM-7" });
  });

  it("empty string", () => {
    expect(smartEncode("")).toEqual({ text: "", replaced: [], encoding: "GSM-7" });
  });
});

describe("smart-encoding map data", () => {
  it("has the 270 entries of the reference JSON", () => {
    expect(SMART_ENCODING_MAP.size).toBe(270);
  });

  // smartEncode relies on these: keys are single non-GSM code units, values are pure GSM-7.
  it("every key is one non-GSM UTF-16 unit and every value is GSM-7", () => {
    for (const [from, to] of SMART_ENCODING_MAP) {
      expect(from.length, `key U+${from.charCodeAt(0).toString(16)}`).toBe(1);
      expect(segmentInfo(from).encoding, `key U+${from.charCodeAt(0).toString(16)}`).toBe("UCS-2");
      expect(segmentInfo(to).encoding, `value for U+${from.charCodeAt(0).toString(16)}`).toBe("GSM-7");
    }
  });
});
