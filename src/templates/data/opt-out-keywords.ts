// Opt-out keywords: a reply that is exactly one of these words (any case) opts the person out of
// every message from the sender. Source: /work/shared/reference/compliance/opt_out_keywords.json,
// `twilio_default.opt_out` (Twilio's documented default set for long codes; VERIFIED there).

/** Words that opt a person out when they reply with them (Twilio's default set). */
export const OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"] as const;

/** Keywords that mean nothing but "opt out" in everyday English (CANCEL, END, QUIT also name other actions). */
export const UNAMBIGUOUS_OPT_OUT_KEYWORDS: ReadonlySet<string> = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "REVOKE", "OPTOUT"]);
