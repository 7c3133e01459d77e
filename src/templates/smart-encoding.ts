// Smart encoding: swap Unicode look-alikes (’ “ ” … ½ NBSP...) for GSM-7 equivalents, as Twilio's
// SmartEncoded=true does, but only when that turns the whole message into GSM-7. If anything without
// a GSM-7 equivalent remains (emoji, Chinese, ç...), the message is UCS-2 anyway, so rewriting the
// author's punctuation would change the text without saving a single segment.

import { SMART_ENCODING_MAP } from "./data/smart-encoding-map";
import { gsm7Septets, type SmsEncoding } from "./segments";

/** One substitution: `index` is the UTF-16 index of `from` in the ORIGINAL text; `to` may be "" or several chars. */
export interface SmartReplacement {
  from: string;
  to: string;
  index: number;
}

/** Outcome of smartEncode: the (possibly rewritten) text, what was replaced, and its encoding. */
export interface SmartEncodeResult {
  text: string;
  replaced: SmartReplacement[];
  encoding: SmsEncoding;
}

/** Replace look-alikes only if the result is entirely GSM-7; otherwise return the text untouched as UCS-2. */
export function smartEncode(text: string): SmartEncodeResult {
  const replaced: SmartReplacement[] = [];
  let out = "";
  let copiedUpTo = 0;
  for (let i = 0; i < text.length; i++) {
    if (gsm7Septets(text.charCodeAt(i)) !== 0) continue;
    // Every map key is one BMP code unit, so a surrogate (emoji half) is never found and bails out here.
    const from = text.charAt(i);
    const to = SMART_ENCODING_MAP.get(from);
    if (to === undefined) return { text, replaced: [], encoding: "UCS-2" };
    out += text.slice(copiedUpTo, i) + to;
    copiedUpTo = i + 1;
    replaced.push({ from, to, index: i });
  }
  // All map values are GSM-7 (asserted in test/smart-encoding.test.ts), so reaching here means GSM-7.
  if (replaced.length === 0) return { text, replaced, encoding: "GSM-7" };
  return { text: out + text.slice(copiedUpTo), replaced, encoding: "GSM-7" };
}
