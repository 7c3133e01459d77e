/** The `keywords` settings section: extra words per language and the texts Tidings replies with. */
import { z } from "@hono/zod-openapi";

const Word = z.string().regex(/^[\p{L}\p{N}]{2,20}$/u, "one word, letters or digits");

/** zod schema of the `keywords` settings section. */
export const KeywordsSection = z
  .object({
    /** Extra opt-out words (e.g. ARRET, ARRETE for French), on top of STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT. */
    stop: z.array(Word).max(30).default(["ARRET", "ARRETE"]),
    start: z.array(Word).max(30).default([]),
    help: z.array(Word).max(30).default(["AIDE"]),
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
  .strict();
