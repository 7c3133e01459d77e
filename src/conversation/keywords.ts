/**
 * Keywords in replies, pure. A keyword is the whole message, in any case, with surrounding spaces and
 * punctuation ignored ("Stop.", " stop!! "). Revocations in other words count too (FCC 24-18,
 * "any reasonable means"): they stop the contact and are flagged for review.
 */

/** The carriers' and Twilio's standard keywords. */
export const KEYWORDS = {
  stop: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"],
  start: ["START", "UNSTOP"],
  help: ["HELP", "INFO"],
  yes: ["YES"],
} as const;

/** What a reply is, for the conversation. */
export type ReplyKind = "stop" | "start" | "help" | "yes" | "revocation" | "message";

/** The message with its surrounding whitespace, punctuation and symbols removed, upper-cased. */
export function normalizeKeyword(body: string): string {
  // Accents do not matter either: "Arrêt" is ARRET.
  return body.normalize("NFKD").replace(/\p{M}/gu, "").replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, "").toUpperCase();
}

// Other words for "stop texting me". Each needs the texting/contact sense, so "stop by at 5?" or
// "don't stop, this is great" do not match; a leading negation ("don't", "do not") cancels it.
const REVOCATION = [
  /\b(stop|quit|cease)\s+(texting|messaging|sending|contacting|txting|spamming)\b/i,
  /\b(stop|no\s+more)\s+(texts?|messages?|sms|msgs?)\b/i,
  /\b(remove|delete|take)\s+(me|my\s+(number|phone|info))\b.*\b(list|texts?|messages?|database|contacts?)\b/i,
  /\bremove\s+me\b\s*[.!]*$/i,
  /\b(unsubscribe|unsub|opt\s*-?\s*out)\s+me\b/i,
  /\bi\s+(want\s+to\s+)?(unsubscribe|opt\s*-?\s*out)\b/i,
  /\b(don'?t|do\s+not|never)\s+(text|message|contact|sms)\s+me\b/i,
  /\bleave\s+me\s+alone\b/i,
  /\bi\s+revoke\s+(my\s+)?consent\b/i,
];
const NEGATED = /\b(don'?t|do\s+not|never|doesn'?t)\s+(stop|quit|unsubscribe|remove)\b/i;

/** What a reply is, given the brand's extra words (e.g. ARRET for stop). */
export function classifyReply(body: string, extra: { stop?: readonly string[]; start?: readonly string[]; help?: readonly string[] } = {}): ReplyKind {
  const word = normalizeKeyword(body);
  const inList = (list: readonly string[]) => list.some((k) => normalizeKeyword(k) === word);
  if (inList([...KEYWORDS.stop, ...(extra.stop ?? [])])) return "stop";
  if (inList([...KEYWORDS.start, ...(extra.start ?? [])])) return "start";
  if (inList([...KEYWORDS.help, ...(extra.help ?? [])])) return "help";
  if (inList(KEYWORDS.yes)) return "yes";
  if (!NEGATED.test(body) && REVOCATION.some((r) => r.test(body))) return "revocation";
  return "message";
}

/** A join keyword as settings give it (see ./settings.ts). */
export interface JoinWord {
  word: string;
  purpose: string;
  /** Sending numbers (E.164) or sender ids it answers on; empty: every number. */
  on: readonly string[];
}

/**
 * The join keyword a message is, for the number it was texted `to`: its word (as configured) and
 * purpose, or undefined. A word limited to some numbers or senders answers only there; a sender id
 * stands for its `from` number.
 */
export function matchJoin(body: string, to: string, join: readonly JoinWord[], senders: readonly { id: string; from?: string }[] = []): JoinWord | undefined {
  const word = normalizeKeyword(body);
  const fromOf = new Map(senders.map((s) => [s.id, s.from]));
  // Providers spell numbers with or without the + (SMSAPI's sms_to has none).
  const same = (a: string | undefined, b: string) => a !== undefined && (a === b || (/^\+?\d+$/.test(a) && /^\+?\d+$/.test(b) && a.replace("+", "") === b.replace("+", "")));
  const answersOn = (j: JoinWord) => !j.on.length || j.on.some((n) => same(n, to) || same(fromOf.get(n), to));
  // A word configured for this number wins over the same word for every number.
  const hits = join.filter((j) => normalizeKeyword(j.word) === word && answersOn(j));
  return hits.find((j) => j.on.length) ?? hits[0];
}
