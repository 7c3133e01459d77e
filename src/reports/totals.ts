/**
 * Totals: amounts per dimension, key and metric over a day range. Reports are built from totals, and
 * totals come from the rollups (./rollups.ts, what the API reads) or from the raw rows (./scan.ts, the
 * recount tests and the benchmark compare against). Same shape, same report.
 */

/** dim → key → metric → amount. */
export type Totals = Map<string, Map<string, Map<string, number>>>;

/** Add an amount to a totals map. */
export function addTo(t: Totals, dim: string, key: string, metric: string, amount: number): void {
  let keys = t.get(dim);
  if (!keys) t.set(dim, (keys = new Map()));
  let metrics = keys.get(key);
  if (!metrics) keys.set(key, (metrics = new Map()));
  metrics.set(metric, (metrics.get(metric) ?? 0) + amount);
}

/** The metrics of one key (empty when none). */
export function metricsOf(t: Totals, dim: string, key: string): Map<string, number> {
  return t.get(dim)?.get(key) ?? new Map();
}

/** Weekly stage cohorts: stage → ISO week start (YYYY-MM-DD) → metric → amount. */
export type Cohorts = Map<string, Map<string, Map<string, number>>>;

/** The Monday (UTC) of the week holding a day number, as YYYY-MM-DD. Day 0 (1970-01-01) was a Thursday. */
export function weekOf(day: number): string {
  const monday = day - ((day + 3) % 7);
  return new Date(monday * 86_400_000).toISOString().slice(0, 10);
}
