/** The `consent` settings section: brand topics, implied purposes, double opt-in and the consent messages. */
import { z } from "@hono/zod-openapi";

const Topic = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a topic in snake_case");

/** zod schema of the `consent` settings section. */
export const ConsentSection = z
  .object({
    /** Brand topics a contact can consent to besides `transactional` and `marketing`. */
    topics: z.array(Topic).max(50).default([]),
    /** Purposes that need no explicit grant (a revocation still blocks them). */
    implied: z.array(Topic).default(["transactional"]),
    /** Purposes whose grants stay pending until the person confirms. */
    doubleOptIn: z.array(Topic).default([]),
    /** Purposes that get one opt-in confirmation message when a grant becomes active. */
    confirmOptIn: z.array(Topic).default(["marketing"]),
    /** What the program sends and how often, for the confirmation messages. */
    program: z
      .object({
        description: z.string().min(1).max(80).default("offers and updates"),
        frequency: z.string().min(1).max(40).default("up to 4 msgs/month"),
      })
      .strict()
      .default({ description: "offers and updates", frequency: "up to 4 msgs/month" }),
  })
  .strict();
/** The consent settings. */
export type ConsentSettings = z.infer<typeof ConsentSection>;

/**
 * The confirmation request of a double opt-in and the opt-in confirmation (carriers' rule: brand,
 * what and how often, "Msg & data rates may apply", "Reply STOP to opt out, HELP for help").
 */
export function consentMessage(kind: "consent_request" | "optin_confirmation", brand: string, c: ConsentSettings): string {
  const what = `${c.program.description} (${c.program.frequency})`;
  return kind === "consent_request"
    ? `${brand}: reply YES to confirm you want ${what}. Msg & data rates may apply. Reply STOP to opt out, HELP for help.`
    : `${brand}: you're subscribed to ${what}. Msg & data rates may apply. Reply STOP to opt out, HELP for help.`;
}
