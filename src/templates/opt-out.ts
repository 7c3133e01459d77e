/**
 * Reply instructions that name an opt-out keyword, found in message text: "Reply STOP to opt out"
 * (an opt-out instruction) or "Reply CANCEL to cancel your visit" (a misuse: the reply CANCEL opts
 * the person out of everything and cancels nothing). Pure; English reply verbs and effects.
 */
import { OPT_OUT_KEYWORDS, UNAMBIGUOUS_OPT_OUT_KEYWORDS } from "./data/opt-out-keywords";

/** One opt-out keyword used as something to reply with. */
export interface KeywordInstruction {
  /** The keyword, upper-case ("CANCEL"). */
  keyword: string;
  /** The instruction as written, from the keyword to the end of its stated effect ("CANCEL to cancel your visit"). */
  instruction: string;
  /** What the text says the reply does ("cancel your visit"), if it says. */
  effect?: string;
  /** True when the reply does what the text says: opting out. */
  optsOut: boolean;
}

const KEYWORD = new RegExp(`\\b(${OPT_OUT_KEYWORDS.join("|")})\\b`, "gi");
// A sentence ends at . ! ? ; followed by a space (so URLs stay whole) or at a line break.
const SENTENCE_END = /[.!?;]+(?=\s|$)|\n/g;
const REPLY_VERB = /\b(reply|respond|text|txt|send|answer)\b/i;
const RIGHT_AFTER_VERB = /\b(reply|respond|text|txt|send|answer)(\s+(back\s+)?with)?\s*:?\s*["'“‘]?$/i;
const AFTER_LIST_SEPARATOR = /(,|\bor\b|\band\b|\/)\s*["'“‘]?$/i;
const EFFECT_MARKER = /^["'”’]?\s+(to|if|for|when)\s+(.*)$/is;
const SHORT_CODE = /^\+?\d[\d\s-]{2,}\s+(?:(?:to|if|for|when)\s+)?/;
const OPT_OUT_WORDS = /\b(opt[\s-]?out|optout|opt me out|unsubscribe|unsub|no more|no longer|stop (receiving|getting))\b/i;
const MESSAGE_WORDS = /\b(messages?|msgs?|texts?|texting|sms|alerts?|notifications?|marketing|offers?|promos?|promotions?|subscription|updates?|reminders?)\b/i;
const BARE_VERB = /^(stop|end|quit|cancel|revoke)$/i;

/**
 * Every opt-out keyword used as a reply instruction: right after a reply verb ("Reply STOP"), in a
 * list after one ("Reply YES to confirm or CANCEL to cancel"), or written in capitals anywhere
 * ("STOP au 36111"). A lower-case keyword elsewhere is an ordinary word ("the sale will end soon").
 */
export function keywordInstructions(text: string): KeywordInstruction[] {
  const ends = [...text.matchAll(SENTENCE_END)].map((m) => m.index);
  const out: KeywordInstruction[] = [];
  for (const m of text.matchAll(KEYWORD)) {
    const written = m[0];
    const start = ends.filter((e) => e < m.index).pop();
    const sentenceStart = start === undefined ? 0 : start + 1;
    const sentenceEnd = ends.find((e) => e >= m.index + written.length) ?? text.length;
    const before = text.slice(sentenceStart, m.index);
    const isInstruction =
      RIGHT_AFTER_VERB.test(before) || (AFTER_LIST_SEPARATOR.test(before) && REPLY_VERB.test(before)) || written === written.toUpperCase();
    if (!isInstruction) continue;
    const keyword = written.toUpperCase();
    const rest = text.slice(m.index + written.length, sentenceEnd);
    const effect = effectOf(rest);
    const instruction = effect === undefined ? written : `${written}${rest.slice(0, rest.indexOf(effect) + effect.length)}`;
    out.push({ keyword, instruction, effect, optsOut: opts(keyword, effect) });
  }
  return out;
}

/** True when the text tells the reader how to opt out (an opt-out keyword whose stated effect, if any, is opting out). */
export function hasOptOutInstruction(text: string): boolean {
  return keywordInstructions(text).some((i) => i.optsOut);
}

/** What the text says a reply does: the words after "to", "if", "for" or "when", up to a comma, "or", "and" or the sentence's end. */
function effectOf(rest: string): string | undefined {
  const m = EFFECT_MARKER.exec(rest);
  if (!m) return undefined;
  // "Text STOP to 12345 to opt out": the number is where to send it, not what it does.
  let effect = m[2]!.replace(SHORT_CODE, "");
  effect = effect.split(/\s*(?:,|\bor\b|\band\b|\()/i)[0]!.replace(/["'”’)]+$/, "").trim();
  return effect || undefined;
}

function opts(keyword: string, effect: string | undefined): boolean {
  if (effect === undefined) return true;
  if (OPT_OUT_WORDS.test(effect) || MESSAGE_WORDS.test(effect)) return true;
  // "Reply STOP to cancel" is the carriers' own wording; "Reply CANCEL to cancel" reads as cancelling a booking.
  const bare = BARE_VERB.exec(effect);
  return bare ? UNAMBIGUOUS_OPT_OUT_KEYWORDS.has(keyword) || bare[1]!.toLowerCase() !== "cancel" : false;
}
