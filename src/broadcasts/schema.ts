/**
 * A broadcast: one template to a stage-based segment, at an absolute instant or at a local time in
 * each recipient's zone. It runs as a flow of its own (key `broadcast-<id>`, status `broadcast`, never
 * triggered by events): wait until the contact's send instant, send, and — with a goal — wait for it,
 * so the gate, holdout, goals and reports treat it like any flow.
 */
import { z } from "@hono/zod-openapi";
import { Where } from "../conditions";
import { Duration, parseDuration } from "../duration";
import type { FlowBody } from "../flows/schema";
import { Purpose } from "../settings/vocabulary";
import { Variants, templateAmongVariants } from "../flows/variants";

const EventName = z.string().min(1).max(100);
const Key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _");

/** Who a broadcast is for. Stage and consent narrow from the D1 projection; the rest is checked in each contact's DO. */
export const Segment = z
  .object({
    /** Contacts in any of these stages. */
    stages: z.array(z.string().min(1)).min(1).max(20),
    /** The consent needed (default: the template's purpose). */
    consent: Purpose.optional(),
    /** Conditions on `traits.*` and `stage`. */
    where: Where.optional(),
    /** Flags the contact must have all of, and none of. */
    flags: z.object({ all: z.array(z.string()).max(20).default([]), none: z.array(z.string()).max(20).default([]) }).strict().optional(),
    /** Recent events: had (or, with `absent`, did not have) the event within the window. */
    events: z.array(z.object({ event: EventName, within: Duration, absent: z.boolean().default(false) }).strict()).max(10).default([]),
  })
  .strict();
/** A segment. */
export type Segment = z.infer<typeof Segment>;

/** When to send: an instant, or a local time ("10:00") on a local date (default: the next such time for each recipient). */
export const SendAt = z.union([
  z.object({ at: z.iso.datetime({ offset: true }) }).strict(),
  z
    .object({
      localTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a local time HH:mm"),
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD")
        // Round-trip through Date so 2027-02-30 is refused rather than read as 2 March.
        .refine((d) => {
          const t = Date.parse(`${d}T00:00:00Z`);
          return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
        }, "not a real date")
        .optional(),
    })
    .strict(),
]);
/** When to send. */
export type SendAt = z.infer<typeof SendAt>;

/** zod schema of `POST /v1/broadcasts`. */
export const BroadcastBody = z
  .object({
    name: z.string().min(1).max(120),
    template: Key,
    /** A variant test: 2–4 templates with weights (`template` is one of them); each recipient gets one, stably. */
    variants: Variants.optional(),
    segment: Segment,
    sendAt: SendAt,
    /** How long after its send instant a message may still go (then it is skipped as expired). */
    expiresIn: Duration.default("PT6H"),
    /** At most this many messages per second leave for this broadcast (recipients are spread over the seconds after the send instant); senders' rates apply too. */
    pace: z.number().int().min(1).max(10_000).optional(),
    /** Share of the segment kept as a control group (nothing sent), for lift. */
    holdout: z.number().min(0).max(0.5).default(0),
    /** The outcome it is for, counted for this long after sending (conversions and lift, like a flow's goal). */
    goal: z.object({ event: EventName, where: Where.optional(), within: Duration.default("P7D") }).strict().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const why = templateAmongVariants(b.template, b.variants);
    if (why) ctx.addIssue({ code: "custom", path: ["template"], message: why });
  })
  .openapi("Broadcast", {
    example: {
      name: "Spring offer", template: "spring-offer",
      segment: { stages: ["customer", "repeat_customer"], consent: "marketing", events: [{ event: "Order Completed", within: "P180D", absent: false }] },
      sendAt: { localTime: "10:00", date: "2027-03-20" }, expiresIn: "PT6H", holdout: 0.1, goal: { event: "Order Completed", within: "P7D" },
    },
  });
/** A broadcast as created. */
export type BroadcastBody = z.infer<typeof BroadcastBody>;

/** The flow key of a broadcast. */
export const flowKeyOf = (id: string) => `broadcast-${id}`;

/** The flow a broadcast runs as, for each recipient: wait for the contact's send instant, send, then wait for the goal. */
export function broadcastFlow(b: BroadcastBody, purpose: string, job: FlowBody["job"]): Omit<FlowBody, "status"> & { status: "broadcast" } {
  const expiry = parseDuration(b.expiresIn)!;
  return {
    name: b.name, status: "broadcast", job, purpose, trigger: { event: "(broadcast)" }, reentry: "never",
    ...(b.goal ? { goal: { event: b.goal.event, ...(b.goal.where ? { where: b.goal.where } : {}) } } : {}),
    on_cap: "defer", holdout: b.holdout,
    steps: [
      { wait_until: { date: "properties.send_at", updated_by: [], cancelled_by: [] } },
      { send: { template: b.template, ...(b.variants ? { variants: b.variants } : {}), expires_in: `PT${Math.round(expiry / 1000)}S` } },
      ...(b.goal ? [{ wait: b.goal.within }] : []),
    ],
  };
}
