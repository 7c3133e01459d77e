/**
 * `GET /v1/flows/:key/steps` (what happened at each step) and `POST /v1/flows/:key/simulate` (a
 * contact walked through the flow on a clock, no sends): what the console's flow drawing and
 * "try before going live" read. Both are reads; neither writes per event.
 */
import { z } from "@hono/zod-openapi";
import { currentVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
import { now } from "../clock";
import { Duration, parseDuration } from "../duration";
import { getConfig } from "../settings/config";
import { EVENT_NAMES, Purpose } from "../settings/vocabulary";
import { isValidTimeZone } from "../time/zoned";
import { FlowBody } from "./schema";
import { simulate } from "./simulate";
import { stepResults } from "./step-results";

/** Flow insight sub-app. */
export const flowInsights = newApp();

const Key = z.object({ key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _").openapi({ example: "cart-recovery" }) });

const Counts = z.record(z.string(), z.number().int());
/** zod schema of one step's results. */
export const StepResultSchema = z
  .object({ waiting: z.number().int(), sent: z.number().int(), failed: z.number().int(), deferred: Counts, skipped: Counts, converted: z.number().int(), conversions: z.number().int() })
  .openapi("StepResult");
/** zod schema of `GET /v1/flows/:key/steps`. */
export const StepResults = z.object({ key: z.string(), days: z.number().int(), steps: z.record(z.string(), StepResultSchema) }).openapi("StepResults");

flowInsights.openapi(
  route("read", {
    method: "get",
    path: "/flows/{key}/steps",
    tags: ["Flows"],
    summary: "Each step's results over the last 30 days: runs waiting, sent, deferred and skipped by reason, conversions",
    request: { params: Key },
    responses: { 200: { description: "Results by step label", content: { "application/json": { schema: StepResults } } }, 404: { description: "No such flow" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    if (!(await currentVersion(c.env.DB, "flows", key))) return problem(404, "Flow not found", `no flow ${key}`);
    return c.json({ key, days: 30, steps: await stepResults(c.env.DB, key) }, 200);
  },
);

const SimulateBody = z
  .object({
    /** A draft to walk instead of the saved version (the builder's unsaved flow). */
    flow: FlowBody.optional(),
    contact: z
      .object({
        phone: z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number such as +14155550100"),
        timezone: z.string().refine(isValidTimeZone, "an IANA time zone such as America/New_York").optional(),
        stage: z.string().max(40).optional(),
        traits: z.record(z.string(), z.unknown()).default({}),
        consent: z.array(Purpose).max(20).default(["marketing"]),
        holdout: z.boolean().default(false),
      })
      .strict(),
    trigger: z.object({ properties: z.record(z.string(), z.unknown()).default({}) }).strict().default({ properties: {} }),
    /** What the contact does during the run, each `after` the trigger. */
    events: z.array(z.object({ name: z.string().min(1).max(100), after: Duration, properties: z.record(z.string(), z.unknown()).default({}) }).strict()).max(20).default([]),
    /** The trigger's instant (default: now). */
    start: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi("SimulateRequest", { example: { contact: { phone: "+14155550100", timezone: "America/Los_Angeles", consent: ["marketing"] }, events: [{ name: "Order Completed", after: "PT3H" }] } });

const DecisionSchema = z.object({ outcome: z.enum(["sent", "deferred", "skipped"]), reason: z.string(), until: z.number().optional(), detail: z.string().optional(), sendsAt: z.number().optional() });
/** zod schema of a simulation's answer. */
export const SimulationSchema = z
  .object({
    key: z.string(),
    version: z.number().int().nullable(),
    outcome: z.enum(["completed", "exited", "converted", "too_long"]),
    endedAt: z.number(),
    steps: z.array(z.object({ label: z.string(), at: z.number(), what: z.string(), decision: DecisionSchema.optional() })),
  })
  .openapi("Simulation");

flowInsights.openapi(
  route("read", {
    method: "post",
    path: "/flows/{key}/simulate",
    tags: ["Flows"],
    summary: "Walk a made-up contact through the flow on a clock: each step, and each send's gate decision (nothing is sent)",
    request: { params: Key, body: { required: true, content: { "application/json": { schema: SimulateBody } } } },
    responses: { 200: { description: "The walk", content: { "application/json": { schema: SimulationSchema } } }, 404: { description: "No such flow" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const b = c.req.valid("json");
    const row = b.flow ? undefined : await currentVersion(c.env.DB, "flows", key);
    if (!b.flow && !row) return problem(404, "Flow not found", `no flow ${key}`);
    const flow = b.flow ?? (JSON.parse(row!.body) as FlowBody);
    const config = await getConfig(c.env.DB);
    const walk = simulate({
      flow: { ...flow, key },
      settings: config.settings,
      templates: config.templates,
      contact: { ...b.contact, stage: b.contact.stage ?? null },
      trigger: { name: "trigger" in flow && "event" in flow.trigger ? flow.trigger.event : "(absence)", properties: b.trigger.properties },
      events: b.events.map((e) => ({ name: e.name, at: parseDuration(e.after)!, properties: e.properties })),
      start: b.start ? Date.parse(b.start) : now(),
    });
    return c.json({ key, version: row?.version ?? null, ...walk }, 200);
  },
);

/** zod schema of `GET /v1/flow-events`. */
export const FlowEvents = z
  .object({ events: z.array(z.object({ name: z.string(), source: z.enum(["vocabulary", "flows", "reports"]), count: z.number().int().optional() })) })
  .openapi("FlowEvents");

flowInsights.openapi(
  route("read", {
    method: "get",
    path: "/flow-events",
    tags: ["Flows"],
    summary: "Event names to build flows from: the vocabulary's, those flows use, and those the reports hold (last 30 days)",
    responses: { 200: { description: "Event names", content: { "application/json": { schema: FlowEvents } } }, ...PROBLEMS },
  }),
  async (c) => {
    const since = now() - 30 * 86_400_000;
    // Outcome types that carry a brand's own event names; the (type, at) index keeps this a range read.
    const [config, held] = await Promise.all([
      getConfig(c.env.DB),
      c.env.DB.prepare(
        `SELECT event, count(*) AS n FROM outcomes WHERE type IN ('conversion', 'appointment', 'no_show', 'meeting', 'opportunity', 'won') AND at >= ?
         GROUP BY event ORDER BY n DESC LIMIT 100`,
      )
        .bind(since)
        .all<{ event: string; n: number }>(),
    ]);
    const out = new Map<string, { name: string; source: "vocabulary" | "flows" | "reports"; count?: number }>();
    for (const name of EVENT_NAMES) out.set(name, { name, source: "vocabulary" });
    for (const f of config.flows.values()) {
      const t = f.trigger;
      for (const name of ["event" in t ? t.event : t.absence.event, f.goal?.event]) if (name && !out.has(name)) out.set(name, { name, source: "flows" });
    }
    for (const r of held.results) {
      const known = out.get(r.event);
      out.set(r.event, known ? { ...known, count: r.n } : { name: r.event, source: "reports", count: r.n });
    }
    return c.json({ events: [...out.values()] }, 200);
  },
);
