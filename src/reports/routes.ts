/**
 * `GET /v1/reports/{overview,flows,templates,jobs,stages}?from&to[&key][&format=csv]`: numbers read
 * from the rollups for whole UTC days, as JSON or CSV.
 */
import { z } from "@hono/zod-openapi";
import { now } from "../clock";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields } from "../http/problem";
import { stagesOf } from "../settings/schema";
import { getConfig } from "../settings/config";
import { dayOf } from "./attribution";
import { toCsv } from "./csv";
import { brandTotals, flowsReport, jobsReport, stagesReport, templatesReport } from "./report";
import { rollupCohorts, rollupTotals } from "./rollups";

/** Reports sub-app. */
export const reports = newApp();

const KINDS = ["overview", "flows", "templates", "jobs", "stages"] as const;
const DAY = 86_400_000;
/** A whole UTC day, YYYY-MM-DD; round-trips through Date so 2026-02-30 is refused rather than read as 2 March. */
export const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD").refine((d) => {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}, "not a real date");
const iso = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

reports.openapi(
  route("read", {
    method: "get",
    path: "/reports/{kind}",
    tags: ["Reports"],
    summary: "Flows, templates, jobs, stages or the overview over whole UTC days, from the rollups (JSON, or CSV with format=csv)",
    request: {
      params: z.object({ kind: z.enum(KINDS) }),
      query: z.object({
        from: Day.optional().openapi({ description: "First day (UTC), inclusive. Default: 29 days before `to`" }),
        to: Day.optional().openapi({ description: "Last day (UTC), inclusive. Default: today" }),
        key: z.string().max(100).optional().openapi({ description: "Only this flow (flows) or template (templates)" }),
        format: z.enum(["json", "csv"]).default("json"),
      }),
    },
    responses: { 200: { description: "The report" }, ...PROBLEMS },
  }),
  async (c) => {
    const { kind } = c.req.valid("param");
    const q = c.req.valid("query");
    const to = q.to ? dayOf(Date.parse(`${q.to}T00:00:00Z`)) : dayOf(now());
    const from = q.from ? dayOf(Date.parse(`${q.from}T00:00:00Z`)) : to - 29;
    if (from > to) return badFields([{ field: "query.from", message: "must not be after to" }]);
    if (to - from > 366) return badFields([{ field: "query.from", message: "the period is at most 367 days" }]);
    const db = c.env.DB;
    const range = { from: iso(from), to: iso(to), generatedAt: new Date(now()).toISOString() };
    let rows: object[];
    let body: Record<string, unknown>;
    switch (kind) {
      case "flows": {
        const [totals, config] = await Promise.all([rollupTotals(db, ["flow", "cohort"], from, to), getConfig(db)]);
        const flows = [...config.flows.values()].map((f) => ({ key: f.key, name: f.name, status: f.status, job: f.job, holdout: f.holdout ?? 0 }));
        rows = flowsReport(totals, flows, q.key);
        body = { flows: rows };
        break;
      }
      case "templates":
        rows = templatesReport(await rollupTotals(db, ["template"], from, to), q.key);
        body = { templates: rows };
        break;
      case "jobs":
        rows = jobsReport(await rollupTotals(db, ["job", "source", "all"], from, to));
        body = { jobs: rows };
        break;
      case "stages": {
        const [totals, cohorts, config] = await Promise.all([rollupTotals(db, ["move", "stage", "all"], from, to), rollupCohorts(db, from, to), getConfig(db)]);
        const r = stagesReport(totals, cohorts, stagesOf(config.settings));
        rows = [...r.moves.map((m) => ({ section: "move", ...m })), ...r.stages.map((s) => ({ section: "stage", ...s })), ...r.cohorts.map((x) => ({ section: "cohort", ...x })), { section: "b2b", ...r.b2b }];
        body = r;
        break;
      }
      case "overview": {
        const [totals, days, stages] = await Promise.all([rollupTotals(db, ["all"], from, to), daily(db, from, to), contactsByStage(db)]);
        const brand = brandTotals(totals);
        rows = days;
        body = { ...brand, contactsByStage: stages, days };
        break;
      }
    }
    if (q.format === "csv") {
      return c.body(toCsv(rows), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="tidings-${kind}-${range.from}-${range.to}.csv"` });
    }
    return c.json({ ...range, ...body }, 200);
  },
);

/** Messages per day by outcome (brand rollups). */
async function daily(db: D1Database, from: number, to: number) {
  const { results } = await db
    .prepare("SELECT day, metric, sum(value) AS value FROM rollups WHERE dim = 'all' AND day BETWEEN ? AND ? GROUP BY day, metric")
    .bind(from, to)
    .all<{ day: number; metric: string; value: number }>();
  const days = new Map<number, { date: string; sent: number; delivered: number; failed: number; skipped: number; deferred: number; optOuts: number }>();
  for (let d = from; d <= to; d++) days.set(d, { date: iso(d), sent: 0, delivered: 0, failed: 0, skipped: 0, deferred: 0, optOuts: 0 });
  for (const r of results) {
    const row = days.get(r.day)!;
    if (r.metric === "sent" || r.metric === "delivered" || r.metric === "failed") row[r.metric] += r.value;
    else if (r.metric.startsWith("skipped:")) row.skipped += r.value;
    else if (r.metric.startsWith("deferred:")) row.deferred += r.value;
    else if (r.metric === "opt_outs" || r.metric === "unattributed_opt_outs") row.optOuts += r.value;
  }
  return [...days.values()];
}

/** Contacts per stage now, from the contact projection's stage index. */
async function contactsByStage(db: D1Database): Promise<Record<string, number>> {
  const { results } = await db.prepare("SELECT coalesce(stage, '(none)') AS stage, count(*) AS n FROM contacts GROUP BY stage").all<{ stage: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.stage, r.n]));
}
