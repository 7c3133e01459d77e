/** `GET /v1/governance/report?from&to` (computed now) and `GET /v1/governance/reports` (stored monthly). */
import { z } from "@hono/zod-openapi";
import { now } from "../clock";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { governanceReport } from "./report";

/** Governance sub-app. */
export const governance = newApp();

const MAX_RANGE_MS = 366 * 86_400_000;

governance.openapi(
  route("read", {
    method: "get",
    path: "/governance/report",
    tags: ["Governance"],
    summary: "Opt-out and review rates by template and flow, flows without conversions, stale dated offers, top deferral/skip reasons, most-texted contacts, consent without provenance, retired templates in flows",
    request: {
      query: z.object({
        from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: 30 days before `to`" }),
        to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: now" }),
      }),
    },
    responses: { 200: { description: "The report" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const to = q.to ? Date.parse(q.to) : now();
    const from = q.from ? Date.parse(q.from) : to - 30 * 86_400_000;
    if (from >= to) return badFields([{ field: "from", message: "must be before to" }]);
    if (to - from > MAX_RANGE_MS) return badFields([{ field: "from", message: "the period is at most 366 days" }]);
    return c.json(await governanceReport(c.env, from, to), 200);
  },
);

governance.openapi(
  route("read", {
    method: "get",
    path: "/governance/reports",
    tags: ["Governance"],
    summary: "Stored monthly governance reports (the Cron Trigger's), newest first",
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(60).default(12) }) },
    responses: { 200: { description: "Reports" }, ...PROBLEMS },
  }),
  async (c) => {
    const { results } = await c.env.DB.prepare("SELECT id, from_at, to_at, created_at, body FROM governance_reports ORDER BY from_at DESC LIMIT ?")
      .bind(c.req.valid("query").limit).all<{ id: string; from_at: number; to_at: number; created_at: number; body: string }>();
    const reports = results.map((r) => ({
      id: r.id, from: new Date(r.from_at).toISOString(), to: new Date(r.to_at).toISOString(), createdAt: new Date(r.created_at).toISOString(), report: JSON.parse(r.body),
    }));
    return c.json({ reports }, 200);
  },
);

governance.openapi(
  route("read", {
    method: "get",
    path: "/governance/reports/{id}",
    tags: ["Governance"],
    summary: "One stored governance report",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: { 200: { description: "The report" }, 404: { description: "No such report" }, ...PROBLEMS },
  }),
  async (c) => {
    const r = await c.env.DB.prepare("SELECT id, from_at, to_at, created_at, body FROM governance_reports WHERE id = ?").bind(c.req.valid("param").id)
      .first<{ id: string; from_at: number; to_at: number; created_at: number; body: string }>();
    if (!r) return problem(404, "Report not found", "no such stored report");
    return c.json({ id: r.id, from: new Date(r.from_at).toISOString(), to: new Date(r.to_at).toISOString(), createdAt: new Date(r.created_at).toISOString(), report: JSON.parse(r.body) }, 200);
  },
);
