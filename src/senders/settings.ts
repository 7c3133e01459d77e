/** The `senders` settings section: who messages go out as, through which gateway, at what rate. */
import { z } from "@hono/zod-openapi";

/** One sender: a number, short code, messaging service or alphanumeric ID. */
export const Sender = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "a sender id: lower-case letters, digits, - and _"),
    gateway: z.enum(["sandbox", "twilio", "smsapi"]),
    /** The number (E.164) or alphanumeric sender ID; for Twilio, or a messagingServiceSid. */
    from: z.string().min(1).max(20).optional(),
    messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/).optional(),
    /** Destination countries it serves (ISO 3166-1); none: any. */
    countries: z.array(z.string().regex(/^[A-Z]{2}$/, "an ISO country code")).optional(),
    /** Purposes it sends (e.g. transactional numbers apart from marketing ones); none: any. */
    purposes: z.array(z.string()).optional(),
    /** The carrier's rate for this sender, messages per second (1 for sole-proprietor 10DLC, 3 toll-free, 100 short code). */
    rate: z.number().min(0.1).max(1000),
  })
  .strict();
/** A sender. */
export type Sender = z.infer<typeof Sender>;

/** zod schema of the `senders` settings section. */
export const SendersSection = z
  .object({ senders: z.array(Sender).max(100).default([]) })
  .strict()
  .refine((s) => new Set(s.senders.map((x) => x.id)).size === s.senders.length, { message: "sender ids must be unique", path: ["senders"] });

/**
 * The sender for a message: the most specific match (country and purpose, then country, then
 * purpose, then a sender with neither), first in the list on a tie; undefined when none serves it.
 */
export function chooseSender(senders: readonly Sender[], country: string | undefined, purpose: string): Sender | undefined {
  let best: { s: Sender; score: number } | undefined;
  for (const s of senders) {
    if (s.countries && !(country && s.countries.includes(country))) continue;
    if (s.purposes && !s.purposes.includes(purpose)) continue;
    const score = (s.countries ? 2 : 0) + (s.purposes ? 1 : 0);
    if (!best || score > best.score) best = { s, score };
  }
  return best?.s;
}
