#!/usr/bin/env node
/**
 * Reports benchmark: how long each report takes from the rollups, against the same numbers from a
 * full scan of the raw rows (src/reports/scan.ts), after BENCH_RECORDS (1,000,000) records went
 * through the real records path.
 *
 * Method
 *   - A bench-only Worker (bench/reports-worker.ts) runs under `wrangler dev` with the project's D1
 *     binding and migrations (a temporary config pointing `main` at it; no Durable Objects or queues
 *     are involved in reports). It generates the records itself, deterministically from a seed, so
 *     1M records never cross HTTP as JSON, and writes them with the records consumer's own
 *     `writeRecords` in batches of 100 (the records queue's max_batch_size): raw rows and rollups
 *     in one D1 batch each, exactly as in production.
 *   - The history: 100,000 contacts' journeys over 90 days, 20 flows (5 with a 10% holdout) over all
 *     7 jobs, 60 flow templates plus 2 one-off ones, 5 stages and none; per journey a run, two
 *     messages at three revisions (queued, sent, then delivered / failed / undelivered / still sent),
 *     a click or preview, an outcome (attributed or not: conversions with revenue in USD and EUR,
 *     opt-outs, replies, appointments, no-shows, B2B steps), and a goal conversion, stage change,
 *     gate decision or consent change. 60% of records are message revisions.
 *   - Loading runs BENCH_CONCURRENCY (2) requests at a time (2 cores), each BENCH_UNITS (500)
 *     journeys = 50 batches. Load throughput is logged. Measured here (2 cores, shared with
 *     other work): about 2,500 records/s at first and 1,460–1,770 records/s over the whole 1M
 *     (1M in 565–684 s, 9.5–11.5 minutes), slowing as the tables and their indexes grow. D1 statements dominate: a message
 *     record is an upsert plus, per fact it brings (created, sent, delivered, failed), a `counted`
 *     bit update and a rollup insert. The Worker is bundled once (`wrangler deploy --dry-run`)
 *     and served with --no-bundle, so edits to the working tree (or node_modules) cannot restart it
 *     mid-load; a 503 "worker restarted" would be retried, as loading is idempotent.
 *   - Then, per report (flows, templates, jobs, stages, overview) over the whole 95-day range, one
 *     unmeasured warm-up of each side, then BENCH_REPEAT (3) alternating rounds of rollup and scan;
 *     the median wall time of `GET /report` (measured by this script, since a Worker's clock stands
 *     still while it computes) is reported. Each report is built as the route builds it, from
 *     totals (and stage cohorts), without the route's small look-ups of configured flows, contacts
 *     per stage and per-day counts, which are the same for both sides.
 *
 * Correctness: every rollup answer must equal its scan answer (totals, cohorts and the report, money
 * within 1e-6 relative); any difference, failed request or short load fails the run.
 * No retention runs here (the bench Worker has no Cron Trigger and its 95-day history is written at
 * once): the scan sees every raw row. In production, once the daily retention job (src/retention/)
 * has pruned rows past `settings.retention`, a scan counts only the hot days, so the two agree only
 * over days after each kind's `hotSince` (`GET /v1/archive`); older days live in the rollups and R2.
 *
 * Output: progress on stderr; on stdout one line per report
 *   BENCH reports kind=<flows|templates|jobs|stages|overview> ms=<rollup ms> scan_ms=<n> ratio=<scan/rollup>
 * and a summary line `BENCH reports ms=<max rollup ms> ratio=<min ratio>`. Targets (each report
 * under 1 s, ratio >= 20) are reported, not asserted.
 *
 * State goes to a fresh directory under BENCH_STATE_DIR (default /dev/shm, else the OS temp dir),
 * removed at the end; wrangler and workerd are killed (process group) on exit, error or signal.
 * Knobs: BENCH_RECORDS (1000000, rounded up to whole journeys of 10), BENCH_CONCURRENCY (2),
 * BENCH_UNITS (500), BENCH_REPEAT (3), BENCH_SEED (1), BENCH_STATE_DIR.
 * Run with `npm run bench:reports` (or `npx node bench/reports.mjs`): wrangler needs Node >= 22.12.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BenchFailure, envInt, freePort, killAllSync, log, repoRoot, requireNode, runWrangler, snapshotProject, startServer, stateRoot, stopAll, tail, waitUntilUp } from "./lib.mjs";

const RECORDS = envInt("BENCH_RECORDS", 1_000_000);
const CONCURRENCY = envInt("BENCH_CONCURRENCY", 2);
const UNITS = envInt("BENCH_UNITS", 500);
const REPEAT = envInt("BENCH_REPEAT", 3);
const SEED = envInt("BENCH_SEED", 1);
const UNIT_RECORDS = 10; // bench/reports-worker.ts UNIT_RECORDS
const KINDS = ["flows", "templates", "jobs", "stages", "overview"];
const TARGET_MS = 1000;
const TARGET_RATIO = 20;


/** The temporary wrangler config: the bench Worker with the project's D1 binding and migrations. */
function benchConfig(dir, main) {
  const file = path.join(dir, `wrangler.bench-reports${main.endsWith(".js") ? ".bundled" : ""}.toml`);
  writeFileSync(
    file,
    [
      'name = "tidings-bench-reports"',
      `main = "${main}"`,
      'compatibility_date = "2026-11-01"',
      'compatibility_flags = ["nodejs_compat"]',
      "",
      "[[d1_databases]]",
      'binding = "DB"',
      'database_name = "tidings"',
      'database_id = "00000000-0000-0000-0000-000000000000"',
      'migrations_dir = "migrations"',
      "",
    ].join("\n"),
  );
  return file;
}

/** Fetch JSON, throwing a BenchFailure with the server's log tail on any non-2xx answer. */
async function getJson(server, method, p) {
  let res;
  let text;
  // A 503 "worker restarted mid-request" is retried: loading is idempotent (writeRecords skips what it already wrote).
  for (let attempt = 1; ; attempt++) {
    res = await fetch(server.url + p, { method, signal: AbortSignal.timeout(600_000) });
    text = await res.text();
    if (res.status !== 503 || attempt === 3) break;
    log(`${method} ${p}: HTTP 503 (${text.slice(0, 80)}), retrying`);
  }
  if (!res.ok) throw new BenchFailure(`${method} ${p}: HTTP ${res.status} ${text.slice(0, 2000)}\n--- log tail ---\n${tail(server.logFile)}`);
  return JSON.parse(text);
}

/** Load RECORDS records, CONCURRENCY requests at a time; returns the records written. */
async function load(server) {
  const units = Math.ceil(RECORDS / UNIT_RECORDS);
  let next = 0;
  let written = 0;
  let lastLog = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < units) {
      const from = next;
      const count = Math.min(UNITS, units - from);
      next += count;
      const r = await getJson(server, "POST", `/load?seed=${SEED}&from=${from}&count=${count}`);
      if (r.records !== count * UNIT_RECORDS) throw new BenchFailure(`load ${from}+${count}: wrote ${r.records} records, expected ${count * UNIT_RECORDS}`);
      written += r.records;
      if (written - lastLog >= 50_000 || written === units * UNIT_RECORDS) {
        lastLog = written;
        const s = (Date.now() - t0) / 1000;
        log(`loaded ${written.toLocaleString("en")} records in ${s.toFixed(0)}s (${Math.round(written / s)} records/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { written, seconds: (Date.now() - t0) / 1000 };
}

/** Whether two JSON values are equal, numbers within 1e-6 relative (money summed in another order); returns the first difference. */
function diff(a, b, at = "") {
  if (typeof a === "number" && typeof b === "number") {
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b)) ? undefined : `${at}: ${a} vs ${b}`;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b ? undefined : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (!(k in a) || !(k in b)) return `${at}.${k}: only in ${k in a ? "rollup" : "scan"}`;
    const d = diff(a[k], b[k], `${at}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Median wall time (ms) of GET /report for one kind and source, with its last answer. */
async function timeReport(server, kind, source, range) {
  const t0 = performance.now();
  const body = await getJson(server, "GET", `/report?kind=${kind}&source=${source}&from=${range.from}&to=${range.to}`);
  return { ms: performance.now() - t0, body };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let work;
function cleanUp(keepLogs) {
  if (!work) return;
  for (const dir of keepLogs ? [path.join(work, "state"), path.join(work, "tidings")] : [work]) rmSync(dir, { recursive: true, force: true });
  if (keepLogs) log(`log kept in ${work}`);
  work = undefined;
}

async function main() {
  const started = Date.now();
  requireNode("bench/reports.mjs");
  work = mkdtempSync(path.join(stateRoot(), "tidings-bench-reports-"));
  log(`state and log in ${work}`);
  let ok = false;
  try {
    const dir = snapshotProject(repoRoot, path.join(work, "tidings"), ["test", "scripts", "dist"]);
    const source = benchConfig(dir, "bench/reports-worker.ts");
    const state = path.join(work, "state");
    mkdirSync(state);
    const logFile = path.join(work, "wrangler.log");
    log("bundling the bench worker, applying D1 migrations");
    // Bundled once up front and served with --no-bundle: a dev server that bundles watches every
    // source it imported (node_modules included, shared with the working tree) and restarts mid-load.
    await runWrangler(dir, ["deploy", "--dry-run", "--outdir", "bundle", "-c", source], logFile);
    const config = benchConfig(dir, "bundle/reports-worker.js");
    await runWrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "-c", config], logFile);
    const [port, inspector] = await Promise.all([freePort(), freePort()]);
    const server = startServer({
      name: "reports-bench", cwd: dir, port, logFile,
      args: ["-c", config, "--no-bundle", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--ip", "127.0.0.1",
        "--log-level", "warn", "--show-interactive-dev-session=false"],
    });
    await waitUntilUp(server);
    log(`loading ${RECORDS.toLocaleString("en")} records (${CONCURRENCY} requests at a time, ${UNITS * UNIT_RECORDS} records each)`);
    const { written, seconds } = await load(server);
    log(`load: ${written.toLocaleString("en")} records in ${seconds.toFixed(0)}s = ${Math.round(written / seconds)} records/s`);
    const range = await getJson(server, "GET", "/range");
    const lines = [];
    const results = [];
    for (const kind of KINDS) {
      const rollup = await timeReport(server, kind, "rollup", range);
      const scan = await timeReport(server, kind, "scan", range);
      const d = diff(rollup.body, scan.body);
      if (d) throw new BenchFailure(`${kind}: the rollups and the scan disagree at ${d}`);
      const r = [];
      const s = [];
      for (let i = 0; i < REPEAT; i++) {
        r.push((await timeReport(server, kind, "rollup", range)).ms);
        s.push((await timeReport(server, kind, "scan", range)).ms);
      }
      const ms = median(r);
      const scanMs = median(s);
      log(`${kind}: rollup ${r.map((x) => x.toFixed(1)).join(" ")} ms, scan ${s.map((x) => x.toFixed(0)).join(" ")} ms (answers equal)`);
      results.push({ ms, ratio: scanMs / ms });
      lines.push(`BENCH reports kind=${kind} ms=${ms.toFixed(1)} scan_ms=${scanMs.toFixed(1)} ratio=${(scanMs / ms).toFixed(1)}`);
    }
    const maxMs = Math.max(...results.map((r) => r.ms));
    const minRatio = Math.min(...results.map((r) => r.ratio));
    if (maxMs >= TARGET_MS) log(`note: the slowest report took ${maxMs.toFixed(0)} ms (target < ${TARGET_MS} ms)`);
    if (minRatio < TARGET_RATIO) log(`note: the smallest ratio is ${minRatio.toFixed(1)} (target >= ${TARGET_RATIO})`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)}s`);
    process.stdout.write(`${lines.join("\n")}\nBENCH reports ms=${maxMs.toFixed(1)} ratio=${minRatio.toFixed(1)}\n`);
    ok = true;
  } finally {
    await stopAll();
    cleanUp(!ok);
  }
}

process.on("exit", () => {
  killAllSync();
  cleanUp(true);
});
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(sig, () => {
    log(`${sig}: stopping the server`);
    process.exit(code);
  });
}

main().catch((err) => {
  log(`FAIL: ${err instanceof BenchFailure ? err.message : (err?.stack ?? err)}`);
  process.exitCode = 1;
});
