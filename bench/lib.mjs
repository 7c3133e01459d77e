// Helpers for the benchmarks in bench/: starting and stopping `wrangler dev` servers, waiting for
// them to go quiet, driving them with autocannon, and small numeric and concurrency utilities.
// Plain Node (>= 22) with no dependencies beyond autocannon, which is a devDependency.
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

/** The repository this file belongs to (its wrangler is the one the benchmarks run). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// CI clones the repo with shared/ beside it, so the ingest baseline is found relative to the repo.
export const baselineToml = path.resolve(repoRoot, "../shared/bench/baseline/wrangler.toml");

/** Thrown for an expected failure: the message is enough, no stack trace. */
export class BenchFailure extends Error {}

/** Print one progress line to stderr (stdout is reserved for the result line). */
export function log(...parts) {
  process.stderr.write(`[bench] ${parts.join(" ")}\n`);
}

/** Resolve after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A positive integer from the environment, or `fallback`; exits with a message when malformed. */
export function envInt(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (Number.isInteger(n) && n > 0) return n;
  log(`FAIL: ${name} must be a positive integer, got ${v}`);
  process.exit(1);
}

/**
 * Where the fresh persistence directories go: BENCH_STATE_DIR, else tmpfs (/dev/shm) when there is
 * one, else the OS temp dir. On a disk, every new Durable Object's SQLite file costs fsyncs that
 * dominate both sides and make rounds slow and noisy: that would measure the disk, not the code.
 */
export function stateRoot() {
  if (process.env.BENCH_STATE_DIR) return process.env.BENCH_STATE_DIR;
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

/** Throw a BenchFailure unless this Node can run wrangler (>= 22.12); `script` is named in the hint. */
export function requireNode(script) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new BenchFailure(`Node ${process.versions.node} is too old for wrangler (needs >= 22.12): run \`npm run bench\` or \`npx node ${script}\``);
  }
}

/**
 * Preflight of a benchmark that runs the ingest baseline with `load` (ingestLoad()): Node, the load
 * shape, the baseline beside the repo; returns the local keys (localKeys()).
 */
export function baselinePreflight(script, load) {
  requireNode(script);
  if (load.connections > load.events || load.connections > load.warmup) throw new BenchFailure("BENCH_CONNECTIONS must not exceed BENCH_EVENTS or BENCH_WARMUP");
  if (!existsSync(baselineToml)) throw new BenchFailure(`baseline not found at ${baselineToml} (shared/ must sit beside the repo)`);
  return localKeys();
}

/** The local ingest and owner keys from .dev.vars, created from .dev.vars.example when missing. */
export function localKeys() {
  const devVars = path.join(repoRoot, ".dev.vars");
  if (!existsSync(devVars)) {
    copyFileSync(path.join(repoRoot, ".dev.vars.example"), devVars);
    log("created .dev.vars from .dev.vars.example");
  }
  const vars = readDotEnv(devVars);
  if (!vars.INGEST_KEY || !vars.OWNER_KEY) throw new BenchFailure(".dev.vars must define INGEST_KEY and OWNER_KEY");
  return { ingestKey: vars.INGEST_KEY, ownerKey: vars.OWNER_KEY };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Parse a dotenv-style file (`KEY="value"` lines, `#` comments) into an object. */
export function readDotEnv(file) {
  const out = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

/**
 * Copy a Worker project's top-level entries (except `skip`) from `from` into `to`, and symlink
 * `node_modules` when it has one. Returns `to`. Running `wrangler dev` on such a snapshot pins the
 * code for the whole run (its file watcher never sees later edits) and writes nothing (such as
 * `.wrangler/tmp`) into the source tree.
 */
export function snapshotProject(from, to, skip = []) {
  const never = new Set(["node_modules", ".git", ".wrangler", ...skip]);
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (!never.has(entry)) cpSync(path.join(from, entry), path.join(to, entry), { recursive: true });
  }
  if (existsSync(path.join(from, "node_modules"))) symlinkSync(path.join(from, "node_modules"), path.join(to, "node_modules"), "dir");
  return to;
}

/** Every server started by `startServer` and not yet stopped, so exit handlers can kill them. */
const live = new Set();

/** Run the repo's wrangler CLI in `cwd` with the current Node and wait for it; rejects on failure. */
export function runWrangler(cwd, args, logFile) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, "a");
    const child = spawn(process.execPath, [wranglerBin(), ...args], {
      cwd,
      stdio: ["ignore", fd, fd],
      env: wranglerEnv(),
    });
    closeSync(fd);
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`wrangler ${args.join(" ")} exited with ${code ?? signal}; see ${logFile}`)),
    );
  });
}

/** Path of the repo's own wrangler entry point (so the version in package-lock.json is used). */
function wranglerBin() {
  const bin = path.join(repoRoot, "node_modules", "wrangler", "bin", "wrangler.js");
  if (!existsSync(bin)) throw new Error(`wrangler not found at ${bin}; run npm install first`);
  return bin;
}

/** Environment for wrangler children: no telemetry, no interactive prompts. */
function wranglerEnv() {
  return { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", FORCE_COLOR: "0" };
}

/**
 * Start `wrangler dev` in `cwd` in its own process group (so the whole tree, workerd included, can
 * be killed at once), logging to `logFile`. Returns a handle for `waitUntilUp` and `stopServer`.
 */
export function startServer({ name, cwd, args, logFile, port }) {
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [wranglerBin(), "dev", ...args], {
    cwd,
    detached: true, // new process group: kill(-pid) reaches wrangler, its node child and workerd
    stdio: ["ignore", fd, fd],
    env: wranglerEnv(),
  });
  closeSync(fd);
  const server = { name, child, pgid: child.pid, port, logFile, exited: false, url: `http://127.0.0.1:${port}` };
  child.on("exit", () => (server.exited = true));
  child.on("error", () => (server.exited = true));
  live.add(server);
  return server;
}

/** Poll `server.url` until it answers any HTTP status; throws if it exits or `timeoutMs` passes. */
export async function waitUntilUp(server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited) throw new Error(`${server.name} exited during start-up; see ${server.logFile}\n${tail(server.logFile)}`);
    try {
      const res = await fetch(server.url + "/", { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return;
    } catch {
      await sleep(250);
    }
  }
  throw new Error(`${server.name} did not answer on ${server.url} within ${timeoutMs} ms; see ${server.logFile}\n${tail(server.logFile)}`);
}

/** The last `n` lines of a log file (for error messages). */
export function tail(file, n = 25) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Send `signal` to a server's whole process group, ignoring groups that are already gone. */
function signalGroup(server, signal) {
  try {
    process.kill(-server.pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Whether any process of the group `pgid` is still alive. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a server: SIGTERM to its process group, then SIGKILL whatever is left after `graceMs`. */
export async function stopServer(server, graceMs = 3_000) {
  if (!live.has(server)) return;
  signalGroup(server, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(server.pgid) && Date.now() < deadline) await sleep(100);
  signalGroup(server, "SIGKILL");
  live.delete(server);
}

/** Stop every server still running (gracefully, in parallel). */
export async function stopAll() {
  await Promise.all([...live].map((s) => stopServer(s)));
}

/** Kill every live server's group at once, synchronously (safe inside an `exit` handler). */
export function killAllSync() {
  for (const s of live) signalGroup(s, "SIGKILL");
  live.clear();
}

/** CPU seconds used so far by the servers' process groups (Linux /proc; NaN elsewhere). */
export function serversCpuSeconds(servers) {
  return existsSync("/proc/self/stat") ? groupsCpuSeconds(servers.map((s) => s.pgid)) : NaN;
}

/** Total CPU seconds used so far by the processes in the given process groups (Linux /proc). */
function groupsCpuSeconds(pgids) {
  const want = new Set(pgids);
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "(comm) ": state ppid pgrp ... utime(14) stime(15), counted from 1.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (want.has(Number(f[2]))) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/**
 * Wait until the servers' process groups are idle (under `maxCores` of CPU for `quietMs`), so work
 * one server deferred (queue consumers, D1 writes) does not land in the other's measurement. A
 * trickle below `maxCores` (Tidings' records consumer draining for ~10 s at ~0.08 cores) is let go.
 * Returns the milliseconds waited. Without /proc it just sleeps `fallbackMs`.
 */
export async function settle(servers, { maxCores = 0.25, quietMs = 750, stepMs = 250, maxMs = 20_000, fallbackMs = 2_000 } = {}) {
  const t0 = Date.now();
  if (!existsSync("/proc/self/stat")) {
    await sleep(fallbackMs);
    return Date.now() - t0;
  }
  const pgids = servers.map((s) => s.pgid);
  let last = groupsCpuSeconds(pgids);
  let quietFor = 0;
  while (Date.now() - t0 < maxMs) {
    await sleep(stepMs);
    const now = groupsCpuSeconds(pgids);
    quietFor = (now - last) / (stepMs / 1000) <= maxCores ? quietFor + stepMs : 0;
    last = now;
    if (quietFor >= quietMs) break;
  }
  return Date.now() - t0;
}

/** Value at percentile `p` (0–100) of an ascending array, nearest-rank. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Run `fn` over `items` with at most `limit` calls in flight; resolves when all are done. */
export async function mapLimit(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One autocannon round: exactly `amount` POSTs to `url + path`, the body of request i being
 * `bodyOf(i)`. Returns wall seconds (start to last answer), 2xx count, failures (non-2xx, connection errors, timeouts),
 * a few failure samples, the indexes acknowledged with 2xx, and every response's latency in ms.
 */
export async function loadRound({ url, path: reqPath, headers, amount, connections, bodyOf, timeoutSec = 30 }) {
  let issued = 0;
  let lastAt;
  const acked = [];
  const latencies = [];
  const samples = [];
  const request = {
    method: "POST",
    path: reqPath,
    headers: { "content-type": "application/json", ...headers },
    // Called once per request sent: give it the next index and remember which one it was.
    setupRequest: (req, context) => {
      const i = issued++;
      context.i = i;
      return { ...req, body: bodyOf(i) };
    },
    // With pipelining 1, the context still holds the index of the request this answers.
    onResponse: (status, body, context) => {
      lastAt = process.hrtime.bigint();
      if (status >= 200 && status < 300) acked.push(context.i);
      else if (samples.length < 5) samples.push(`HTTP ${status}: ${String(body).slice(0, 200)}`);
    },
  };
  const t0 = process.hrtime.bigint();
  const instance = autocannon({ url, amount, connections, pipelining: 1, timeout: timeoutSec, requests: [request] });
  instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  instance.on("reqError", (err) => samples.length < 5 && samples.push(`error: ${err?.message ?? err}`));
  const result = await instance;
  // Up to the last answer: autocannon itself only notices the end on its next 1 s tick.
  const seconds = Number((lastAt ?? process.hrtime.bigint()) - t0) / 1e9;
  const failures = result.non2xx + result.errors; // `errors` already includes timeouts
  return { seconds, ok: acked.length, issued, failures, samples, acked, latencies, result };
}

/**
 * Start Tidings from `source` (default: this repo; another Tidings tree for an A-B comparison) as
 * `name`, its D1 migrated first, on a free loopback port with fresh state under `work`, from a
 * snapshot copy taken now (edits to the tree during the run cannot make wrangler reload mid-round).
 * The snapshot gets this repo's .dev.vars, so both sides have the same keys; `vars` override
 * wrangler.toml [vars] (e.g. TWILIO_API_BASE for a local mock gateway).
 */
export async function startTidings(work, { source = repoRoot, name = "tidings", logLevel = "warn", vars = {} } = {}) {
  const [port, inspector] = await Promise.all([freePort(), freePort()]);
  const dir = snapshotProject(source, path.join(work, name), ["bench", "test", "scripts", "dist"]);
  const devVars = path.join(repoRoot, ".dev.vars");
  if (existsSync(devVars)) copyFileSync(devVars, path.join(dir, ".dev.vars"));
  const state = path.join(work, `${name}-state`);
  mkdirSync(state);
  const logFile = path.join(work, `${name}.log`);
  log(`applying ${name} D1 migrations`);
  await runWrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], logFile);
  return startServer({
    name, cwd: dir, port, logFile,
    args: ["--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, ...devCommon(logLevel),
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
  });
}

/** wrangler dev flags both sides share. Per-request log lines cost CPU on both sides alike; warnings and errors still reach the logs. */
const devCommon = (logLevel) => ["--ip", "127.0.0.1", "--log-level", logLevel, "--show-interactive-dev-session=false"];

/**
 * Start Tidings (startTidings) and the ingest baseline on free loopback ports with fresh state
 * under `work`. Each runs from a snapshot copy taken now, and nothing is written into the
 * baseline's (possibly read-only) tree. `logLevel` is wrangler's --log-level for both.
 */
export async function startTidingsAndBaseline(work, { logLevel = "warn", vars = {} } = {}) {
  const [bPort, bInspector] = await Promise.all([freePort(), freePort()]);
  const bDir = snapshotProject(path.dirname(baselineToml), path.join(work, "baseline"));
  const bState = path.join(work, "baseline-state");
  mkdirSync(bState);
  const tidings = await startTidings(work, { logLevel, vars });
  const baseline = startServer({
    name: "baseline", cwd: bDir, port: bPort, logFile: path.join(work, "baseline.log"),
    args: ["--port", String(bPort), "--inspector-port", String(bInspector), "--persist-to", bState, ...devCommon(logLevel)],
  });
  log(`starting tidings on :${tidings.port} and baseline on :${bPort}`);
  await Promise.all([waitUntilUp(tidings), waitUntilUp(baseline)]);
  return { tidings, baseline };
}

/** The ingest load shape (bench/ingest.mjs), from BENCH_EVENTS, BENCH_CONNECTIONS, BENCH_ROUNDS and BENCH_WARMUP. */
export function ingestLoad() {
  return {
    events: envInt("BENCH_EVENTS", 5_000),
    connections: envInt("BENCH_CONNECTIONS", 32),
    rounds: envInt("BENCH_ROUNDS", 2),
    warmup: envInt("BENCH_WARMUP", 500),
  };
}

/** The request body of ingest event `i` of a round: the same shape for Tidings and the baseline. */
function trackBody(userId, messageId, i) {
  return JSON.stringify({
    userId,
    event: "Product Viewed",
    messageId,
    properties: { sku: `sku-${i % 500}`, price: 19.99, currency: "USD" },
  });
}

/**
 * One ingest round against one server: `amount` track events over at most `connections`
 * connections. `contactOf(i)` names the userId of event i; messageIds are unique per run, round
 * and index. Throws on any failure; returns the round's figures and events.
 */
async function ingestRound(server, { label, amount, contactOf, route, headers, connections }) {
  const messageOf = (i) => `m-${label}-${i}`;
  const r = await loadRound({
    url: server.url, path: route, headers, amount, connections: Math.min(connections, amount),
    bodyOf: (i) => trackBody(contactOf(i), messageOf(i), i),
  });
  const sorted = Float64Array.from(r.latencies).sort();
  const rate = r.ok / r.seconds;
  log(
    `${server.name.padEnd(8)} ${label.padEnd(7)} ${r.ok}/${amount} ok in ${r.seconds.toFixed(1)}s = ${rate.toFixed(0)} ev/s,`,
    `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`,
  );
  if (r.failures || r.ok !== amount || r.issued !== amount) {
    throw new BenchFailure(
      `${server.name} ${label}: ${r.failures} failed requests (non-2xx ${r.result.non2xx}, errors ${r.result.errors}, timeouts ${r.result.timeouts}), ` +
        `${r.ok} acknowledged of ${amount} (${r.issued} sent)\n  ${r.samples.join("\n  ")}\n--- ${server.name} log tail ---\n${tail(server.logFile)}`,
    );
  }
  return { ...r, events: r.acked.map((i) => ({ userId: contactOf(i), messageId: messageOf(i) })) };
}

/**
 * One ingest round (see ingestRound) on `server`, then wait until all of `servers` are idle again.
 * Logs server CPU per event during the round and after it (deferred work) and the client's CPU.
 */
export async function settledIngestRound(server, round, servers) {
  const cpu0 = serversCpuSeconds([server]);
  const client0 = process.cpuUsage();
  const r = await ingestRound(server, round);
  const client = process.cpuUsage(client0);
  const cpu1 = serversCpuSeconds([server]);
  const waited = await settle(servers);
  const cpu2 = serversCpuSeconds([server]);
  const perEvent = (sec) => ((sec * 1000) / r.ok).toFixed(2);
  log(
    `${"".padEnd(17)} server cpu ${perEvent(cpu1 - cpu0)} ms/ev during + ${perEvent(cpu2 - cpu1)} ms/ev after`,
    `(idle again in ${(waited / 1000).toFixed(1)}s), client cpu ${perEvent((client.user + client.system) / 1e6)} ms/ev`,
  );
  return r;
}

/** Throughput (ok / seconds) and sorted latencies pooled over several rounds. */
export function pooled(rounds) {
  const ok = rounds.reduce((s, r) => s + r.ok, 0);
  const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
  const lat = Float64Array.from(rounds.flatMap((r) => r.latencies)).sort();
  return { rate: ok / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** This run's scratch directory (snapshots, state, logs), once created. */
let scratch;

/** Create this run's scratch directory under stateRoot() and return it. */
function makeScratch() {
  scratch = mkdtempSync(path.join(stateRoot(), "tidings-bench-"));
  log(`state and logs in ${scratch}`);
  return scratch;
}

/** Delete the scratch directory, or all of it but the logs (`keepLogs`); synchronous, so safe on exit. */
function cleanScratch(keepLogs) {
  if (!scratch) return;
  const bulky = readdirSync(scratch).filter((d) => !d.endsWith(".log"));
  for (const dir of keepLogs ? bulky.map((d) => path.join(scratch, d)) : [scratch]) {
    rmSync(dir, { recursive: true, force: true });
  }
  if (keepLogs) log(`logs kept in ${scratch}`);
  scratch = undefined;
}

/**
 * Run a benchmark: `preflight()` (its result is passed on as `keys`), a fresh scratch directory,
 * then `body({ work, keys })`, which starts its servers and resolves to the result line, printed on
 * stdout after a "done in" line on stderr. Whatever happens, never leave wrangler or workerd (or
 * their state) behind: servers are stopped and the scratch directory removed (all but the logs of
 * a failed run), also on SIGINT/SIGTERM. A BenchFailure is reported by its message, anything else
 * with its stack; either sets exit status 1.
 */
export function runBench(preflight, body) {
  process.on("exit", () => {
    killAllSync();
    cleanScratch(true);
  });
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
    process.on(sig, () => {
      log(`${sig}: stopping servers`);
      process.exit(code);
    });
  }
  const main = async () => {
    const started = Date.now();
    const keys = preflight();
    const work = makeScratch();
    let ok = false;
    try {
      const line = await body({ work, keys });
      log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      process.stdout.write(`${line}\n`);
      ok = true;
    } finally {
      await stopAll();
      // Keep the logs of a failed run for inspection; drop the rest (the persisted state can be large).
      cleanScratch(!ok);
    }
  };
  main().catch((err) => {
    log(`FAIL: ${err instanceof BenchFailure ? err.message : err?.stack ?? err}`);
    process.exitCode = 1;
  });
}
