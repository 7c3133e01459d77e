/** `PUT /v1/flows/:key`, `GET /v1/flows`, `GET /v1/flows/:key`: versioned flows with runs waiting per step. */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { currentVersion, saveVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { type FieldError, badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { stagesOf as configuredStages } from "../settings/schema";
import { FlowBody, stagesOf, templatesOf } from "./schema";
import { flowRetentionErrors } from "../retention/settings";

/** Flows sub-app. */
export const flows = newApp();

const Key = z.object({ key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _").openapi({ example: "cart-recovery" }) });

/** Runs waiting at each step of a flow, from the D1 run positions kept by the records queue. */
async function waiting(db: D1Database, key?: string): Promise<Record<string, Record<string, number>>> {
  const q = key
    ? db.prepare("SELECT flow_key, step, count(*) AS n FROM flow_runs WHERE status = 'active' AND flow_key = ? GROUP BY flow_key, step").bind(key)
    : db.prepare("SELECT flow_key, step, count(*) AS n FROM flow_runs WHERE status = 'active' GROUP BY flow_key, step");
  const out: Record<string, Record<string, number>> = {};
  for (const r of (await q.all<{ flow_key: string; step: string; n: number }>()).results) (out[r.flow_key] ??= {})[r.step] = r.n;
  return out;
}

flows.openapi(
  route("read", { method: "get", path: "/flows", tags: ["Flows"], summary: "Every flow's current version with runs waiting per step", responses: { 200: { description: "Flows" }, ...PROBLEMS } }),
  async (c) => {
    const [config, counts] = await Promise.all([getConfig(c.env.DB), waiting(c.env.DB)]);
    const list = [...config.flows.values()].map(({ program: _p, ...f }) => ({ ...f, waiting: counts[f.key] ?? {} }));
    return c.json({ flows: list }, 200);
  },
);

flows.openapi(
  route("read", {
    method: "get",
    path: "/flows/{key}",
    tags: ["Flows"],
    summary: "A flow's current version, with runs waiting per step",
    request: { params: Key },
    responses: { 200: { description: "The flow" }, 404: { description: "No such flow" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const row = await currentVersion(c.env.DB, "flows", key);
    if (!row) return problem(404, "Flow not found", `no flow ${key}`);
    const counts = await waiting(c.env.DB, key);
    return c.json({ key, version: row.version, ...JSON.parse(row.body), waiting: counts[key] ?? {} }, 200);
  },
);

flows.openapi(
  route("flows:write", {
    method: "put",
    path: "/flows/{key}",
    tags: ["Flows"],
    summary: "Create or change a flow (a new version; running runs keep theirs)",
    request: { params: Key, body: { required: true, content: { "application/json": { schema: FlowBody } } } },
    responses: { 200: { description: "Saved" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const body = c.req.valid("json");
    const config = await getConfig(c.env.DB);
    const errors: FieldError[] = [];
    // An active flow must be able to run: its templates exist and are not retired, its stages exist.
    if (body.status === "active") {
      for (const t of templatesOf(body.steps)) {
        const tpl = config.templates.get(t);
        if (!tpl) errors.push({ field: "steps", message: `template ${t} does not exist` });
        else if (tpl.status !== "active") errors.push({ field: "steps", message: `template ${t} is ${tpl.status}` });
      }
    }
    const stages = configuredStages(config.settings);
    for (const s of stagesOf(body)) if (!stages.includes(s)) errors.push({ field: "steps", message: `stage ${s} is not one of ${stages.join(", ")}` });
    errors.push(...flowRetentionErrors(body, config.settings.retention));
    if (errors.length) return badFields(errors);
    const { version, changed } = await saveVersion(c.env.DB, "flows", key, body, (ch) => [auditStatement(c, { action: "flow.save", target: `flow:${key}`, ...ch })]);
    return c.json({ key, version, changed, flow: body }, 200);
  },
);

