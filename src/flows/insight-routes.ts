/**
 * `GET /v1/flows/:key/steps` (what happened at each step) and `POST /v1/flows/:key/simulate` (a
 * contact walked through the flow on a clock, no sends): what the console's flow drawing and
 * "try before going live" read. Both are reads; neither writes per event.
 */
import { z } from "@hono/zod-openapi";
import { currentVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
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
