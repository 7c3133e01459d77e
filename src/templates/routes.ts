/**
 * The template library: `GET /v1/templates` (filter by job, purpose, tag, status), `GET /v1/templates/:key`,
 * `GET /v1/templates/:key/versions`, `PUT /v1/templates/:key` (every change a new version, linted at
 * save) and `POST /v1/templates/preview` (preview-route.ts).
 */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { currentVersion, saveVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { Job, Purpose } from "../settings/schema";
import { flowsUsing } from "./library";
import { blocks, lintTemplate } from "./lint";
import { previewRoutes } from "./preview-route";
import { TEMPLATE_STATUSES, TemplateBody, TemplateKey } from "./schema";
import { segmentInfo } from "./segments";

/** Templates sub-app. */
export const templates = newApp();

const Key = z.object({ key: TemplateKey.openapi({ example: "cart-reminder" }) });

templates.openapi(
  route("read", {
    method: "get",
    path: "/templates",
    tags: ["Templates"],
    summary: "Every template's current version, optionally filtered",
    request: {
      query: z.object({ job: Job.optional(), purpose: Purpose.optional(), tag: z.string().min(1).max(40).optional(), status: z.enum(TEMPLATE_STATUSES).optional() }),
    },
    responses: { 200: { description: "Templates" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const config = await getConfig(c.env.DB);
    const list = [...config.templates.values()].filter(
      (t) => (!q.job || t.job === q.job) && (!q.purpose || t.purpose === q.purpose) && (!q.tag || t.tags.includes(q.tag)) && (!q.status || t.status === q.status),
    );
    return c.json({ templates: list.map((t) => ({ ...t, ...segmentInfo(t.body) })) }, 200);
  },
);

templates.openapi(
  route("read", {
    method: "get",
    path: "/templates/{key}",
    tags: ["Templates"],
    summary: "A template's current version and the flows that send it",
    request: { params: Key },
    responses: { 200: { description: "The template" }, 404: { description: "No such template" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const row = await currentVersion(c.env.DB, "templates", key);
    if (!row) return problem(404, "Template not found", `no template ${key}`);
    const t = JSON.parse(row.body) as TemplateBody;
    const config = await getConfig(c.env.DB);
    return c.json({ key, version: row.version, ...t, ...segmentInfo(t.body), usedBy: flowsUsing(config.flows, key) }, 200);
  },
);

templates.openapi(
  route("read", {
    method: "get",
    path: "/templates/{key}/versions",
    tags: ["Templates"],
    summary: "Every version of a template, newest first",
    request: { params: Key },
    responses: { 200: { description: "The versions" }, 404: { description: "No such template" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const { results } = await c.env.DB.prepare("SELECT version, status, body, created_at FROM templates WHERE key = ? ORDER BY version DESC")
      .bind(key)
      .all<{ version: number; status: string; body: string; created_at: number }>();
    if (!results.length) return problem(404, "Template not found", `no template ${key}`);
    const versions = results.map((r) => ({ version: r.version, status: r.status, createdAt: new Date(r.created_at).toISOString(), template: JSON.parse(r.body) as TemplateBody }));
    return c.json({ key, current: results[0]!.version, versions }, 200);
  },
);

templates.openapi(
  route("templates:write", {
    method: "put",
    path: "/templates/{key}",
    tags: ["Templates"],
    summary: "Create or change a template (a new version), linted: errors refuse the save, warnings come back with it",
    request: { params: Key, body: { required: true, content: { "application/json": { schema: TemplateBody } } } },
    responses: { 200: { description: "Saved, with warnings and the flows that send it" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const body = c.req.valid("json");
    const config = await getConfig(c.env.DB);
    const findings = lintTemplate(body, config.settings);
    const errors = findings.filter(blocks);
    if (errors.length) return badFields(errors.map((f) => ({ field: f.field, message: f.message, rule: f.rule })), { findings });
    const { version, changed } = await saveVersion(c.env.DB, "templates", key, body, (ch) => [auditStatement(c, { action: "template.save", target: `template:${key}`, ...ch })]);
    // Retiring (or drafting) a template that flows still send makes their sends skip: say which flows.
    return c.json({ key, version, changed, template: body, ...segmentInfo(body.body), warnings: findings, usedBy: flowsUsing(config.flows, key) }, 200);
  },
);

templates.route("/", previewRoutes);
