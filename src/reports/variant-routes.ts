/**
 * Variant tests: `GET /v1/reports/variants/{flow}` compares the variants of each send step of a flow
 * (or a broadcast's flow, `broadcast-<id>`) over whole UTC days, from the rollups; and
 * `POST /v1/flows/{key}/variants/only` makes one variant the step's only template, as a new flow version.
 */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { currentVersion, saveVersion } from "../db/versions";
import { FlowBody } from "../flows/schema";
import { LABELS, stepAt } from "../flows/variants";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, invalid, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { dayOf } from "./attribution";
import { rollupTotals } from "./rollups";
import { Day } from "./routes";
import { metricsOf } from "./totals";
import { type VariantTotals, compareVariants } from "./variants";

/** Variant-test routes (mounted under /v1). */
export const variantRoutes = newApp();

const FlowKey = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _").openapi({ example: "cart-recovery" });
const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);

variantRoutes.openapi(
  route("read", {
    method: "get",
    path: "/reports/variants/{flow}",
    tags: ["Reports"],
    summary: "Each variant test of a flow or broadcast: sends, clicks, replies, opt-outs, conversions, revenue, the difference to the best variant (95% intervals) and a verdict",
    request: {
      params: z.object({ flow: FlowKey }),
      query: z.object({
        from: Day.optional().openapi({ description: "First day (UTC), inclusive. Default: 29 days before `to`" }),
        to: Day.optional().openapi({ description: "Last day (UTC), inclusive. Default: today" }),
      }),
    },
    responses: { 200: { description: "The variant tests of the flow's current version" }, 404: { description: "No such flow" }, ...PROBLEMS },
  }),
  async (c) => {
    const { flow: key } = c.req.valid("param");
    const q = c.req.valid("query");
    const to = q.to ? dayOf(Date.parse(`${q.to}T00:00:00Z`)) : dayOf(now());
    const from = q.from ? dayOf(Date.parse(`${q.from}T00:00:00Z`)) : to - 29;
    if (from > to) return badFields([{ field: "query.from", message: "must not be after to" }]);
    if (to - from > 366) return badFields([{ field: "query.from", message: "the period is at most 367 days" }]);
    const flow = (await getConfig(c.env.DB)).flows.get(key);
    if (!flow) return problem(404, "Flow not found", `no flow ${key}`);
    const totals = await rollupTotals(c.env.DB, ["variant"], from, to);
    const steps = flow.program.flatMap((instr) => {
      if (instr.op !== "send" || !instr.variants) return [];
      const list: VariantTotals[] = instr.variants.map((v, i) => {
        const m = metricsOf(totals, "variant", `${key}|${v.template}`);
        const get = (k: string) => m.get(k) ?? 0;
        const revenue: VariantTotals["revenue"] = {};
        for (const [metric, sum] of m) {
          const currency = /^revenue:([A-Z]{3})$/.exec(metric)?.[1];
          if (currency) revenue[currency] = { sum, sumSq: get(`revenue_sq:${currency}`) };
        }
        return {
          label: LABELS[i]!, template: v.template, weight: v.weight, sent: get("sent"), clicks: get("clicks"), replies: get("replies"),
          optOuts: get("opt_outs"), conversions: get("conversions"), revenue,
        };
      });
      return [{ step: instr.label, template: instr.template, ...compareVariants(list) }];
    });
    return c.json({ flow: key, version: flow.version, from: iso(from), to: iso(to), steps }, 200);
  },
);

variantRoutes.openapi(
  route("flows:write", {
    method: "post",
    path: "/flows/{key}/variants/only",
    tags: ["Flows"],
    summary: "Make one variant a send step's only template (ends the test): a new flow version, as PUT /v1/flows/{key} saves",
    request: {
      params: z.object({ key: FlowKey }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                step: z.string().regex(/^steps(\.\w+)+$/, "a step label such as steps.1").openapi({ example: "steps.1" }),
                template: FlowKey.openapi({ example: "cart-reminder-b" }),
              })
              .strict(),
          },
        },
      },
    },
    responses: { 200: { description: "Saved" }, 404: { description: "No such flow" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const { step: label, template } = c.req.valid("json");
    const row = await currentVersion(c.env.DB, "flows", key);
    if (!row) return problem(404, "Flow not found", `no flow ${key}`);
    const body = JSON.parse(row.body) as FlowBody;
    const step = stepAt(body.steps as unknown as Array<Record<string, unknown>>, label);
    const send = step?.send as { template: string; variants?: Array<{ template: string }> } | undefined;
    if (!send?.variants) return badFields([{ field: "step", message: `${label} is not a send step with variants` }]);
    if (!send.variants.some((v) => v.template === template)) {
      return badFields([{ field: "template", message: `not one of the variants of ${label} (${send.variants.map((v) => v.template).join(", ")})` }]);
    }
    send.template = template;
    delete send.variants;
    const parsed = FlowBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { version, changed } = await saveVersion(c.env.DB, "flows", key, parsed.data, (ch) => [auditStatement(c, { action: "flow.save", target: `flow:${key}`, ...ch })]);
    return c.json({ key, version, changed, flow: parsed.data }, 200);
  },
);
