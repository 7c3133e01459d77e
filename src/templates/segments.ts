// SMS segment counting: pure, binding-free, runs in Workers and plain Node.
//
// Rules (3GPP TS 23.038 / 23.040, confirmed by test/fixtures/segment_vectors.json):
// - A message is GSM-7 only if every character is in the basic or extension table; one other
//   character (ç, á, ’, an emoji...) makes the WHOLE message UCS-2.
// - GSM-7: basic chars cost 1 septet, extension chars 2 (ESC + code). 160 septets fit one SMS;
//   longer messages are split into parts of 153 (the UDH takes the rest), and an ESC+char pair is
//   never split across parts, so a part may end one septet short.
// - UCS-2: UTF-16 code units. 70 fit one SMS; parts hold 67, and a surrogate pair (emoji) is never
//   split, so a part may end one unit short.
// Because of those two "never split" rules, multipart counts are NOT ceil(units / perPart): we pack
// parts greedily instead (e.g. 152 GSM chars + "€" + 152 GSM chars = 306 septets but 3 parts).
//
// Empty string: GSM-7, 0 units, 1 segment. No vector covers "", and a send of an empty body (if a
// provider accepts it) still costs one message, so budgeting treats it as one segment.

import { GSM7_BASIC, GSM7_EXTENSION } from "./data/gsm7.ts";

/** The two SMS data codings this module distinguishes. */
export type SmsEncoding = "GSM-7" | "UCS-2";

/** Result of counting: `units` are septets (GSM-7) or UTF-16 code units (UCS-2). */
export interface SegmentInfo {
  encoding: SmsEncoding;
  segments: number;
  units: number;
}

/** Per-encoding capacity of a single SMS and of each part of a concatenated SMS. */
export const SEGMENT_LIMITS = {
  "GSM-7": { single: 160, multipart: 153 },
  "UCS-2": { single: 70, multipart: 67 },
} as const satisfies Record<SmsEncoding, { single: number; multipart: number }>;

// UTF-16 code unit -> septet cost. Built once at module load; every GSM-7 char is a single BMP unit,
// so keying by char code lets the hot loop avoid allocating one-char strings.
const SEPTETS: ReadonlyMap<number, 1 | 2> = (() => {
  const m = new Map<number, 1 | 2>();
  for (const ch of GSM7_BASIC) m.set(ch.charCodeAt(0), 1);
  for (const ch of GSM7_EXTENSION) m.set(ch.charCodeAt(0), 2);
  return m;
})();

const GSM_PART = SEGMENT_LIMITS["GSM-7"].multipart;
const GSM_SINGLE = SEGMENT_LIMITS["GSM-7"].single;
const UCS_PART = SEGMENT_LIMITS["UCS-2"].multipart;
const UCS_SINGLE = SEGMENT_LIMITS["UCS-2"].single;

/** Septet cost of one UTF-16 code unit in GSM-7: 1 (basic), 2 (extension) or 0 (not encodable). */
export function gsm7Septets(codeUnit: number): 0 | 1 | 2 {
  return SEPTETS.get(codeUnit) ?? 0;
}

/** Encoding, segment count and units (septets or UTF-16 code units) for an SMS body. */
export function segmentInfo(text: string): SegmentInfo {
  // One pass packs both encodings side by side, because we only learn whether the message is GSM-7
  // at the end; GSM packing simply stops at the first non-GSM character.
  const n = text.length;
  let gsm = true;
  let septets = 0;
  let gsmParts = 1;
  let gsmFill = 0;
  let ucsParts = 1;
  let ucsFill = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let size = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 2; // surrogate pair: one indivisible 2-unit character
        i++;
      }
    }
    if (ucsFill + size > UCS_PART) {
      ucsParts++;
      ucsFill = size;
    } else {
      ucsFill += size;
    }
    if (gsm) {
      // Surrogates (paired or lone) are never GSM-7.
      const s = size === 1 ? SEPTETS.get(c) : undefined;
      if (s === undefined) {
        gsm = false;
      } else {
        septets += s;
        if (gsmFill + s > GSM_PART) {
          gsmParts++;
          gsmFill = s;
        } else {
          gsmFill += s;
        }
      }
    }
  }
  if (gsm) {
    return { encoding: "GSM-7", segments: septets <= GSM_SINGLE ? 1 : gsmParts, units: septets };
  }
  return { encoding: "UCS-2", segments: n <= UCS_SINGLE ? 1 : ucsParts, units: n };
}

/** Every character that forces UCS-2, in order, with its UTF-16 index (emoji reported whole). */
export function nonGsmCharacters(text: string): Array<{ char: string; index: number }> {
  const out: Array<{ char: string; index: number }> = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (SEPTETS.has(c)) continue;
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) len = 2; // keep the pair together so lint shows the real emoji
    }
    out.push({ char: text.slice(i, i + len), index: i });
    i += len - 1;
  }
  return out;
}
