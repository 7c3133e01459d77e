/** The `keywords` settings section: extra words per language and the texts Tidings replies with. */
import { z } from "@hono/zod-openapi";

const Word = z.string().regex(/^[\p{L}\p{N}]{2,20}$/u, "one word, letters or digits");

/**
 * A join keyword (text-to-join): texted from any number it starts a double opt-in for `purpose`.
 * `on` limits it to the sending numbers (E.164) or sender ids it was texted to; empty: every number.
 */
export const JoinKeyword = z
  .object({
    word: Word,
    purpose: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "transactional, marketing or a topic").default("marketing"),
    on: z.array(z.string().regex(/^(\+[1-9]\d{6,14}|[a-z0-9][a-z0-9_-]{0,39})$/, "an E.164 number or a sender id")).max(20).default([]),
  })
  .strict();
/** A join keyword. */
export type JoinKeyword = z.infer<typeof JoinKeyword>;

/** The standard words a join keyword may not take (they keep their meaning). */
const RESERVED = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "START", "UNSTOP", "HELP", "INFO", "YES"];

/** zod schema of the `keywords` settings section. */
export const KeywordsSection = z
  .object({
    /** Extra opt-out words (e.g. ARRET, ARRETE for French), on top of STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT. */
    stop: z.array(Word).max(30).default(["ARRET", "ARRETE"]),
    start: z.array(Word).max(30).default([]),
    help: z.array(Word).max(30).default(["AIDE"]),
    /** Join keywords (text-to-join): `JOIN` for marketing on every number, plus brand words (e.g. `DEALS`) per sending number or sender. */
    join: z.array(JoinKeyword).max(50).default([{ word: "JOIN", purpose: "marketing", on: [] }]),
    /** Replies; `{brand}` and `{support}` are filled in. No marketing content in the stop reply. */
    replies: z
      .object({
        stop: z.string().min(1).max(300).default("{brand}: you are unsubscribed and will get no more messages. Reply START to resubscribe."),
        start: z.string().min(1).max(300).default("{brand}: you are subscribed again. Reply STOP to opt out, HELP for help."),
        help: z.string().min(1).max(300).default("{brand}: for help contact {support}. Msg & data rates may apply. Reply STOP to opt out."),
      })
      .strict()
      .default({
        stop: "{brand}: you are unsubscribed and will get no more messages. Reply START to resubscribe.",
        start: "{brand}: you are subscribed again. Reply STOP to opt out, HELP for help.",
        help: "{brand}: for help contact {support}. Msg & data rates may apply. Reply STOP to opt out.",
      }),
  })
  .strict()
  .superRefine((k, ctx) => {
    // A join word that is also a STOP, START, HELP or YES word would never be read as joining.
    const taken = new Set([...RESERVED, ...k.stop, ...k.start, ...k.help].map((w) => w.toUpperCase()));
    k.join.forEach((j, i) => {
      if (taken.has(j.word.toUpperCase())) ctx.addIssue({ code: "custom", path: ["join", i, "word"], message: `${j.word} is already a STOP, START, HELP or YES word` });
    });
  });
