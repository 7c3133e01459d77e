/**
 * The full scan: the same totals as the rollups (./rollups.ts), recomputed from the raw rows
 * (messages, flow_runs, conversions, outcomes, clicks, stage_changes, consent_changes, decisions)
 * by the rules of ./facts.ts: the same day for each fact, the same dimensions, keys and metrics.
 *
 * Why it exists: it is what a report without rollups would have to do, so the recount test can prove
 * the rollups (written once per record, in the records' own D1 batch) never drift from the rows, and
 * the benchmark can show what the rollups save. It is not on any request path.
 *
 * How: SQL does the grouping (one pass per table, grouped by the columns that decide a fact's keys),
 * and only per-row arithmetic comes back as rows: a message's cost (price table, country of its
 * number) and the histogram bucket of a duration (time to action, days in stage).
 *
 * Known limits, shared by any recount: a message's facts are read from its latest revision (the
 * rollups took each fact from the first revision that had it; they agree while a message's flow,
 * template, job, stage, segments and `updated_at` once failed do not change), the cost uses today's
 * price table, and an erased contact's messages have lost the number their cost came from.
 *
 * Once retention has pruned raw rows (src/retention/), a scan only counts what is still hot: it
 * equals the rollups for days after each kind's retention (`GET /v1/archive` → `hotSince`); older
 * days are only in the rollups and in the R2 archive (recount those from the archive's NDJSON).
 */
import { getConfig } from "../settings/config";
import { costOf } from "../templates/prices";
import { countryOfNumber } from "../time/phone-zones";
import { durationBucket } from "./attribution";
import { NO_FLOW, NO_STAGE, variantKey } from "./facts";
import { type Cohorts, type Totals, addTo, weekOf } from "./totals";

const DAY = 86_400_000;
const MESSAGE_DIMS = ["all", "flow", "template", "job", "stage", "variant"];
/** Outcome type → metric (facts.ts outcomeFacts). */
const OUTCOME_METRIC: Record<string, string> = {
  conversion: "conversions", opt_out: "opt_outs", reply: "replies", appointment: "appointments", no_show: "no_shows",
  meeting: "meetings", opportunity: "opportunities", won: "won",
};
const CREDITED = new Set(["conversion", "opt_out", "reply"]);

/** `?1 <= col < ?2`: the instant falls on one of the range's UTC days (index-friendly, no per-row day arithmetic). */
const inRange = (col: string) => `(${col} >= ?1 AND ${col} < ?2)`;
/** A column that JavaScript would find truthy (not null, not empty). */
const truthy = (col: string) => `coalesce(${col}, '') <> ''`;
/** The UTC day number of an epoch-ms column. */
const dayCol = (col: string) => `CAST(${col} / ${DAY} AS INTEGER)`;

type Row = Record<string, any>;
type Add = (dim: string, key: string, metric: string, amount: number) => void;

/** The dimensions a message's numbers go to (facts.ts messageDims): brand, flow, stage, and template and job when set. */
function messageDims(r: Row): Array<[string, string]> {
  const dims: Array<[string, string]> = [["all", "brand"], ["flow", r.f ?? NO_FLOW], ["stage", r.s ?? NO_STAGE]];
  if (r.t) dims.push(["template", r.t]);
  if (r.j) dims.push(["job", r.j]);
  const variant = variantKey({ flowKey: r.f ?? null, templateKey: r.t ?? null });
  if (variant) dims.push(["variant", variant]);
  return dims;
}

/** One grouped query over raw rows and how its rows become totals; run only when one of `dims` is wanted. */
interface Source {
  dims: string[];
  sql: string;
  apply(rows: Row[], add: Add, cost: CostOf): void;
}

type CostOf = (gateway: string, to: string, segments: number) => { amount: number; currency: string } | undefined;

const SOURCES: Source[] = [
  {
    // Messages: created (by created_at), sent and segments (sent_at), delivered (delivered_at), failed (updated_at).
    dims: MESSAGE_DIMS,
    sql: `SELECT flow_key AS f, template_key AS t, job AS j, stage AS s,
        sum(${inRange("created_at")}) AS messages, sum(${inRange("sent_at")}) AS sent,
        sum(CASE WHEN ${inRange("sent_at")} THEN coalesce(segments, 0) ELSE 0 END) AS segments,
        sum(${inRange("delivered_at")}) AS delivered, sum(status IN ('failed', 'undelivered') AND ${inRange("updated_at")}) AS failed
      FROM messages
      WHERE ${inRange("created_at")} OR ${inRange("sent_at")} OR ${inRange("delivered_at")} OR (status IN ('failed', 'undelivered') AND ${inRange("updated_at")})
      GROUP BY f, t, j, s`,
    apply(rows, add) {
      for (const r of rows) {
        const dims = messageDims(r);
        for (const metric of ["messages", "sent", "delivered", "failed"] as const) {
          const n = Number(r[metric] ?? 0);
          if (n > 0) for (const [dim, key] of dims) add(dim, key, metric, n);
        }
        const sent = Number(r.sent ?? 0);
        if (sent > 0) {
          for (const [dim, key] of dims) add(dim, key, "segments", Number(r.segments ?? 0));
          if (r.t === "system:consent_request" || r.t === "system:join_request") add("job", "acquisition", "prompts", sent);
        }
      }
    },
  },
  {
    // Cost of sent messages: per distinct (gateway, number, segments), the only per-row arithmetic of messages.
    dims: MESSAGE_DIMS,
    sql: `SELECT flow_key AS f, template_key AS t, job AS j, stage AS s, gateway AS g, "to" AS n, segments AS k, count(*) AS c
      FROM messages
      WHERE ${inRange("sent_at")} AND ${truthy("gateway")} AND ${truthy('"to"')} AND segments <> 0
      GROUP BY f, t, j, s, g, n, k`,
    apply(rows, add, costOf) {
      for (const r of rows) {
        const cost = costOf(r.g, r.n, r.k);
        if (!cost) continue;
        for (const [dim, key] of messageDims(r)) add(dim, key, `cost:${cost.currency}`, cost.amount * r.c);
      }
    },
  },
  {
    // Outcomes on their own day: credited ones to their message's dimensions (or the brand as unattributed), the rest to the brand.
    dims: MESSAGE_DIMS,
    sql: `SELECT type, ${truthy("message_id")} AS credited, flow_key AS f, template_key AS t, job AS j, stage AS s, currency AS cur,
        count(*) AS n, count(revenue) AS nr, sum(revenue) AS rev, sum(revenue * revenue) AS sq
      FROM outcomes WHERE ${inRange("at")}
      GROUP BY type, credited, f, t, j, s, cur`,
    apply(rows, add) {
      for (const r of rows) {
        const metric = OUTCOME_METRIC[r.type];
        if (!metric) continue;
        if (!CREDITED.has(r.type)) {
          add("all", "brand", metric, r.n);
          continue;
        }
        const metrics: Array<[string, number]> = [[metric, r.n]];
        if (r.cur && r.nr > 0) metrics.push([`revenue:${r.cur}`, r.rev]);
        if (r.credited) {
          for (const [dim, key] of messageDims(r)) for (const [m, v] of metrics) add(dim, key, m, v);
          const variant = variantKey({ flowKey: r.f ?? null, templateKey: r.t ?? null });
          if (variant && r.type === "conversion" && r.cur && r.nr > 0) add("variant", variant, `revenue_sq:${r.cur}`, r.sq);
        } else {
          for (const [m, v] of metrics) add("all", "brand", `unattributed_${m}`, v);
        }
      }
    },
  },
  {
    // Clicks by people (previews are not counted).
    dims: MESSAGE_DIMS,
    sql: `SELECT flow_key AS f, template_key AS t, job AS j, stage AS s, count(*) AS n
      FROM clicks WHERE kind = 'click' AND ${inRange("at")} GROUP BY f, t, j, s`,
    apply(rows, add) {
      for (const r of rows) for (const [dim, key] of messageDims(r)) add(dim, key, "clicks", r.n);
    },
  },
  {
    // Run entries on the day they started.
    dims: ["flow", "cohort", "job"],
    sql: `SELECT flow_key AS f, holdout AS h, job AS j, count(*) AS n FROM flow_runs WHERE ${inRange("started_at")} GROUP BY f, h, j`,
    apply(rows, add) {
      for (const r of rows) {
        add("flow", r.f, "entered", r.n);
        add("cohort", r.f, r.h ? "entered:control" : "entered:sent", r.n);
        if (r.h) add("flow", r.f, "held_out", r.n);
        else if (r.j) add("job", r.j, "entered", r.n);
      }
    },
  },
  {
    // Conversions by their cohort's entry day: converted, revenue and its square per currency.
    dims: ["cohort"],
    sql: `SELECT flow_key AS f, holdout AS h, currency AS cur, count(*) AS n, count(revenue) AS nr, sum(revenue) AS rev, sum(revenue * revenue) AS sq
      FROM conversions WHERE ${truthy("flow_key")} AND ${inRange("started_at")} GROUP BY f, h, cur`,
    apply(rows, add) {
      for (const r of rows) {
        const group = r.h ? "control" : "sent";
        add("cohort", r.f, `converted:${group}`, r.n);
        if (r.cur && r.nr > 0) {
          add("cohort", r.f, `revenue:${group}:${r.cur}`, r.rev);
          add("cohort", r.f, `revenue_sq:${group}:${r.cur}`, r.sq);
        }
      }
    },
  },
  {
    // Conversions on their own day: the flow's goals per cohort, the job's goals (sent cohort).
    dims: ["flow", "job"],
    sql: `SELECT flow_key AS f, holdout AS h, job AS j, count(*) AS n
      FROM conversions WHERE ${truthy("flow_key")} AND started_at IS NOT NULL AND ${inRange("at")} GROUP BY f, h, j`,
    apply(rows, add) {
      for (const r of rows) {
        add("flow", r.f, r.h ? "goals:control" : "goals:sent", r.n);
        if (!r.h && r.j) add("job", r.j, "goals", r.n);
      }
    },
  },
  {
    // Time to action: a histogram bucket per distinct duration (per-row arithmetic).
    dims: ["job"],
    sql: `SELECT job AS j, at - started_at AS d, count(*) AS n
      FROM conversions WHERE ${truthy("flow_key")} AND started_at IS NOT NULL AND holdout = 0 AND ${truthy("job")} AND ${inRange("at")}
      GROUP BY j, d`,
    apply(rows, add) {
      for (const r of rows) add("job", r.j, `tta:${durationBucket(r.d)}`, r.n);
    },
  },
  {
    // Stage changes on their day: moves, entries (also the entry cohort) and the stages left.
    dims: ["move", "stage", "stage_cohort"],
    sql: `SELECT from_stage AS fr, to_stage AS t, (${truthy("from_stage")} AND from_at IS NOT NULL) AS hf, count(*) AS n
      FROM stage_changes WHERE ${inRange("at")} GROUP BY fr, t, hf`,
    apply(rows, add) {
      for (const r of rows) {
        add("move", `${r.fr ?? NO_STAGE}>${r.t}`, "moves", r.n);
        add("stage", r.t, "entered", r.n);
        add("stage_cohort", r.t, "entered", r.n);
        if (r.hf) add("stage", r.fr, "left", r.n);
      }
    },
  },
  {
    // Days in the stage left: a histogram bucket per distinct duration.
    dims: ["stage"],
    sql: `SELECT from_stage AS fr, at - from_at AS d, count(*) AS n
      FROM stage_changes WHERE ${inRange("at")} AND ${truthy("from_stage")} AND from_at IS NOT NULL GROUP BY fr, d`,
    apply(rows, add) {
      for (const r of rows) add("stage", r.fr, `dwell:${durationBucket(r.d)}`, r.n);
    },
  },
  {
    // Where a stage's entrants went, by the day they had entered it.
    dims: ["stage_cohort"],
    sql: `SELECT from_stage AS fr, to_stage AS t, count(*) AS n
      FROM stage_changes WHERE ${truthy("from_stage")} AND ${inRange("from_at")} GROUP BY fr, t`,
    apply(rows, add) {
      for (const r of rows) add("stage_cohort", r.fr, `moved:${r.t}`, r.n);
    },
  },
  {
    // Opt-ins (grants and confirmations, not transactional, by someone not already granted) by source.
    dims: ["job", "source"],
    sql: `SELECT source, count(*) AS n FROM consent_changes
      WHERE state = 'granted' AND coalesce(before, '') <> 'granted' AND action IN ('grant', 'confirm') AND purpose <> 'transactional' AND ${inRange("at")} GROUP BY source`,
    apply(rows, add) {
      for (const r of rows) {
        add("job", "acquisition", "opted_in", r.n);
        add("source", r.source, "opted_in", r.n);
      }
    },
  },
  {
    // Opt-outs by the source of the grant they ended (source quality).
    dims: ["source"],
    sql: `SELECT ended_source AS source, count(*) AS n FROM consent_changes
      WHERE action = 'revoke' AND ${truthy("ended_source")} AND purpose <> 'transactional' AND ${inRange("at")} GROUP BY ended_source`,
    apply(rows, add) {
      for (const r of rows) add("source", r.source, "opted_out", r.n);
    },
  },
  {
    // Gate decisions other than sent, by outcome and reason, for the brand and the flow.
    dims: ["all", "flow"],
    sql: `SELECT outcome AS o, reason AS r, flow_key AS f, count(*) AS n FROM decisions WHERE outcome <> 'sent' AND ${inRange("at")} GROUP BY o, r, f`,
    apply(rows, add) {
      for (const r of rows) {
        add("all", "brand", `${r.o}:${r.r}`, r.n);
        if (r.f) add("flow", r.f, `${r.o}:${r.r}`, r.n);
      }
    },
  },
];

/** The message cost function the records consumer uses (price table in settings), memoised per (gateway, number, segments). */
async function costFunction(db: D1Database): Promise<CostOf> {
  const table = (await getConfig(db)).settings.templates.prices;
  const memo = new Map<string, { amount: number; currency: string } | undefined>();
  return (gateway, to, segments) => {
    const k = `${gateway}\u0000${to}\u0000${segments}`;
    if (!memo.has(k)) {
      const c = costOf(table, gateway.split(":")[0]!, countryOfNumber(to), segments);
      memo.set(k, c ? { amount: c.total, currency: c.currency } : undefined);
    }
    return memo.get(k);
  };
}

/**
 * Totals of the given dimensions over days `from`..`to` (UTC day numbers, inclusive), recounted from
 * the raw rows: what `rollupTotals` answers from the rollups, for the recount test and the benchmark.
 */
export async function scanTotals(db: D1Database, dims: readonly string[], from: number, to: number): Promise<Totals> {
  const want = new Set(dims);
  const sources = SOURCES.filter((s) => s.dims.some((d) => want.has(d)));
  const t: Totals = new Map();
  if (!sources.length) return t;
  const [results, cost] = await Promise.all([
    db.batch(sources.map((s) => db.prepare(s.sql).bind(from * DAY, (to + 1) * DAY))),
    sources.some((s) => s.dims === MESSAGE_DIMS) ? costFunction(db) : Promise.resolve<CostOf>(() => undefined),
  ]);
  const add: Add = (dim, key, metric, amount) => {
    if (want.has(dim)) addTo(t, dim, key, metric, amount);
  };
  sources.forEach((s, i) => s.apply(results[i]!.results as Row[], add, cost));
  return t;
}

/**
 * Stage cohorts by week of entry over days `from`..`to`, recounted from stage_changes: what
 * `rollupCohorts` answers (entries by the day of the change, moves on by the day the stage was entered).
 */
export async function scanCohorts(db: D1Database, from: number, to: number): Promise<Cohorts> {
  const [entered, moved] = await db.batch<Row>([
    db.prepare(`SELECT to_stage AS t, ${dayCol("at")} AS day, count(*) AS n FROM stage_changes WHERE ${inRange("at")} GROUP BY t, day`).bind(from * DAY, (to + 1) * DAY),
    db.prepare(`SELECT from_stage AS fr, ${dayCol("from_at")} AS day, to_stage AS t, count(*) AS n FROM stage_changes
      WHERE ${truthy("from_stage")} AND ${inRange("from_at")} GROUP BY fr, day, t`).bind(from * DAY, (to + 1) * DAY),
  ]);
  const c: Cohorts = new Map();
  for (const r of entered!.results) addTo(c, r.t, weekOf(r.day), "entered", r.n);
  for (const r of moved!.results) addTo(c, r.fr, weekOf(r.day), `moved:${r.t}`, r.n);
  return c;
}
