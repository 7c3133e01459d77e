/** Flow JSON, validated with zod: a trigger, a goal, a re-entry rule and steps. */
import { z } from "@hono/zod-openapi";
import { Where } from "../conditions";
import { Duration, SignedDuration } from "../duration";
import { Job, Purpose } from "../settings/schema";
import { Variants, templateAmongVariants } from "./variants";

const EventName = z.string().min(1).max(100);
const Key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _");

/**
 * Sends the template; purpose and job default to the template's. With `variants` (2–4 templates with
 * weights), each contact gets one of them, stably; `template` is one of them (./variants.ts).
 */
const SendStep = z
  .object({
    send: z
      .object({ template: Key, variants: Variants.optional(), purpose: Purpose.optional(), job: Job.optional(), expires_in: Duration.optional() })
      .strict()
      .superRefine((s, ctx) => {
        const why = templateAmongVariants(s.template, s.variants);
        if (why) ctx.addIssue({ code: "custom", path: ["template"], message: why });
      }),
  })
  .strict();

/** A condition in a branch: on the contact (`traits.*`, `stage`), the trigger (`trigger.properties.*`) and/or an event received during the run. */
const Case = z
  .object({
    when: Where.optional(),
    event: z.object({ name: EventName, where: Where.optional() }).strict().optional(),
  })
  .strict();

/**
 * Wait for a local time: the next `time` ("10:00"), or a date read from `traits.<name>` or
 * `properties.<name>` moved by `offset` and, with `time`, set to that local time
 * ("18:00 the day before appointment_at"). The wait is re-timed when the date changes and ends on
 * `on_cancel` when it is cleared (or a `cancelled_by` event arrives).
 */
const WaitUntil = z
  .object({
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a local time HH:mm").optional(),
    date: z.string().regex(/^(traits|properties)\.[A-Za-z_][\w.]*$/, "traits.<name> or properties.<name>").optional(),
    offset: SignedDuration.optional(),
    /** Events that carry a new value of a `properties.*` date (besides the trigger event's name). */
    updated_by: z.array(EventName).max(10).default([]),
    /** Events that end the wait on its `on_cancel` branch. */
    cancelled_by: z.array(EventName).max(10).default([]),
  })
  .strict()
  .refine((w) => w.time || w.date, { message: "give a time, a date, or both" });
type WaitUntil = z.infer<typeof WaitUntil>;

/** A step of a flow. Sub-steps run in place and then the flow continues after the step that holds them. */
export type Step =
  | { wait: string }
  | { wait_for: { event: string; where?: Where; timeout: string }; on_event?: Step[]; on_timeout?: Step[] }
  | { branch: Array<z.infer<typeof Case> & { steps: Step[] }>; otherwise?: Step[] }
  | { wait_until: WaitUntil; on_cancel?: Step[] }
  | z.infer<typeof SendStep>
  | { set_stage: string }
  | { route: { intent: string } }
  | { exit: true };

/** zod schema of a step. */
export const Step: z.ZodType<Step> = z.lazy(() =>
  z.union([
    z.object({ wait: Duration }).strict(),
    z
      .object({
        wait_for: z.object({ event: EventName, where: Where.optional(), timeout: Duration }).strict(),
        on_event: z.array(Step).optional(),
        on_timeout: z.array(Step).optional(),
      })
      .strict(),
    z
      .object({
        branch: z.array(Case.extend({ steps: z.array(Step) })).min(1),
        otherwise: z.array(Step).optional(),
      })
      .strict(),
    z.object({ wait_until: WaitUntil, on_cancel: z.array(Step).optional() }).strict(),
    SendStep,
    z.object({ set_stage: z.string().min(1) }).strict(),
    /** Create a task for the contact's owner (e.g. after a click on the pricing link). */
    z.object({ route: z.object({ intent: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "an intent in snake_case") }).strict() }).strict(),
    z.object({ exit: z.literal(true) }).strict(),
  ]),
).openapi("Step") as unknown as z.ZodType<Step>;

/** What starts a run: each matching event, the n-th within a window, or the absence of an event. */
export const Trigger = z.union([
  z
    .object({
      event: EventName,
      where: Where.optional(),
      /** Only while the contact is in this stage. */
      stage: z.string().optional(),
      /** Start on the n-th matching event within the window ("twice in 7 days"). */
      occurrences: z.object({ count: z.number().int().min(2).max(100), within: Duration }).strict().optional(),
    })
    .strict(),
  z
    .object({
      /** Start when no such event arrived for `for` (while in `stage`, when given). */
      absence: z.object({ event: EventName, for: Duration }).strict(),
      stage: z.string().optional(),
    })
    .strict(),
]);
/** A trigger. */
export type Trigger = z.infer<typeof Trigger>;

/** zod schema of a flow as a brand writes it (`PUT /v1/flows/:key`). */
export const FlowBody = z
  .object({
    name: z.string().min(1).max(120),
    status: z.enum(["draft", "active", "paused"]).default("draft"),
    job: Job,
    purpose: Purpose.optional(),
    trigger: Trigger,
    /** "always" (after the previous run ended), "never" (once per contact) or a minimum gap since the last entry. */
    reentry: z.union([z.enum(["always", "never"]), Duration]).default("always"),
    goal: z.object({ event: EventName, where: Where.optional() }).strict().optional(),
    /** The flow's own frequency cap ("one cart reminder per 7 days"), on top of the brand's caps. */
    cap: z.object({ max: z.number().int().min(1).max(100), window: Duration }).strict().optional(),
    /** When a cap blocks a send: wait until it frees (default) or skip the message. */
    on_cap: z.enum(["defer", "skip"]).default("defer"),
    /** Share of entrants kept as a control group (stable per contact and flow): their runs go through the flow without sending. */
    holdout: z.number().min(0).max(0.5).default(0),
    steps: z.array(Step).min(1).max(200),
  })
  .strict()
  .openapi("Flow", {
    example: {
      name: "Cart recovery",
      status: "active",
      job: "conversion",
      trigger: { event: "Checkout Started", where: { "properties.value": { gte: 20 } } },
      reentry: "P7D",
      goal: { event: "Order Completed" },
      steps: [
        { wait: "PT1H" },
        { send: { template: "cart-reminder" } },
        { wait_for: { event: "Order Completed", timeout: "P1D" }, on_timeout: [{ send: { template: "cart-last-call" } }] },
      ],
    },
  });
/** A flow definition. */
export type FlowBody = z.infer<typeof FlowBody>;

/** A stored flow version. */
export interface FlowVersion extends FlowBody {
  key: string;
  version: number;
}

/** Keys of every template a flow's steps send. */
export function templatesOf(steps: Step[]): string[] {
  const out = new Set<string>();
  const walk = (list: Step[] | undefined) => {
    for (const s of list ?? []) {
      if ("send" in s) for (const t of [s.send.template, ...(s.send.variants ?? []).map((v) => v.template)]) out.add(t);
      if ("wait_for" in s) (walk(s.on_event), walk(s.on_timeout));
      if ("wait_until" in s) walk(s.on_cancel);
      if ("branch" in s) (s.branch.forEach((c) => walk(c.steps)), walk(s.otherwise));
    }
  };
  walk(steps);
  return [...out];
}

/** Stage names a flow mentions (trigger and set_stage), for validation against settings. */
export function stagesOf(flow: FlowBody): string[] {
  const out = new Set<string>();
  if (flow.trigger.stage) out.add(flow.trigger.stage);
  const walk = (list: Step[] | undefined) => {
    for (const s of list ?? []) {
      if ("set_stage" in s) out.add(s.set_stage);
      if ("wait_for" in s) (walk(s.on_event), walk(s.on_timeout));
      if ("wait_until" in s) walk(s.on_cancel);
      if ("branch" in s) (s.branch.forEach((c) => walk(c.steps)), walk(s.otherwise));
    }
  };
  walk(flow.steps);
  return [...out];
}
