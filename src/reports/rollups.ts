/** Reading the rollups: totals over a day range in one indexed query per dimension (never a scan of messages). */
import { type Cohorts, type Totals, addTo, weekOf } from "./totals";

/** Totals of the given dimensions over days `from`..`to` (UTC day numbers, inclusive). */
export async function rollupTotals(db: D1Database, dims: readonly string[], from: number, to: number): Promise<Totals> {
  const t: Totals = new Map();
  const results = await db.batch(
    dims.map((dim) =>
      db.prepare("SELECT key, metric, sum(value) AS value FROM rollups WHERE dim = ? AND day BETWEEN ? AND ? GROUP BY key, metric").bind(dim, from, to),
    ),
  );
  results.forEach((r, i) => {
    for (const row of r.results as Array<{ key: string; metric: string; value: number }>) addTo(t, dims[i]!, row.key, row.metric, row.value);
  });
  return t;
}

/** Stage cohorts by week of entry over days `from`..`to`. */
export async function rollupCohorts(db: D1Database, from: number, to: number): Promise<Cohorts> {
  const { results } = await db
    .prepare("SELECT key, day, metric, sum(value) AS value FROM rollups WHERE dim = 'stage_cohort' AND day BETWEEN ? AND ? GROUP BY key, day, metric")
    .bind(from, to)
    .all<{ key: string; day: number; metric: string; value: number }>();
  const c: Cohorts = new Map();
  for (const r of results) addTo(c, r.key, weekOf(r.day), r.metric, r.value);
  return c;
}
