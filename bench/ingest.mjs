#!/usr/bin/env node
/**
 * Ingest benchmark: how many `POST /v1/track` events per second Tidings accepts under `wrangler dev`,
 * relative to the ingest baseline (../shared/bench/baseline: parse JSON, route to the contact's
 * Durable Object, one SQLite insert), measured in the same run on the same machine.
 *
 * What is measured
 *   - Each side gets BENCH_ROUNDS (2) rounds of exactly BENCH_EVENTS (5,000) requests from
 *     autocannon over BENCH_CONNECTIONS (32) keep-alive connections, so a run drives 10,000
 *     distinct contacts per side. Every request carries a unique messageId and, by default, goes to
 *     a brand-new contact (a userId never seen before, fresh per round): the harder and more honest
 *     case, since every event pays for creating its contact (Tidings: a ContactDO with its schema;
 *     baseline: one DO). BENCH_CONTACTS=existing instead primes BENCH_EVENTS contacts in an
 *     unmeasured round, then every measured round sends one new event to each of those contacts.
 *     (5,000 rather than 10,000 per round keeps a run near the 3-minute budget on a 2-core box;
 *     BENCH_EVENTS=10000 gives 10,000 new contacts per round.)
 *   - Both servers get the same request body and headers; only the path differs.
 *   - events_per_s: 2xx answers / wall seconds (start to last answer) over all Tidings rounds
 *     together; the baseline's figure is computed the same way, and ratio = Tidings events/s /
 *     baseline events/s. p50_ms / p99_ms: Tidings' per-request latency over its measured rounds.
 *   - On stderr, per round: server CPU per event during the round and after it (deferred work such
 *     as the records queue), and the client's own CPU per event, to show where time goes.
 *
 * Why alternate
 *   The machine drifts (other processes, thermal limits, caches) and its two cores are shared by
 *   client and servers. Warm-up, then baseline, Tidings, baseline, Tidings, pooling each side's
 *   rounds, spreads that drift over both sides, so the ratio is far steadier than either absolute
 *   figure. After every round we wait until both servers' processes are idle again, so work one
 *   side deferred is not billed to the other side's next round.
 *
 * Set-up
 *   Both servers run from a snapshot copy of their project taken at start (edits to the working
 *   tree during a run cannot make wrangler reload mid-round; nothing is written into shared/),
 *   with fresh --persist-to directories on tmpfs when available (see stateRoot), on free loopback
 *   ports, and are always killed (whole process group) at the end, on error and on SIGINT/SIGTERM.
 *
 * Correctness
 *   Any non-2xx answer, connection error or timeout during load fails the run. Afterwards every
 *   Tidings event (warm-up included) must show up in `recentEvents` of
 *   `GET /v1/contacts/user:<userId>` (owner key); a missing one or a failed read fails the run.
 *
 * Output: progress on stderr; on success exactly one line on stdout:
 *   BENCH ingest events_per_s=<n> p50_ms=<n> p99_ms=<n> ratio=<tidings/baseline>
 * Exit status 0 on success, 1 on any failure. The ratio target (>= 0.5) is reported, not asserted.
 *
 * Knobs (environment): BENCH_EVENTS (5000), BENCH_CONNECTIONS (32), BENCH_ROUNDS (2 per side),
 * BENCH_WARMUP (500 per side), BENCH_CONTACTS (new | existing), BENCH_VERIFY_CONCURRENCY (32),
 * BENCH_STATE_DIR (where the fresh --persist-to directories go; default /dev/shm, see stateRoot).
 * Run with `npm run bench` (or `npx node bench/ingest.mjs`): wrangler needs Node >= 22.12.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  freePort,
  killAllSync,
  loadRound,
  log,
  mapLimit,
  percentile,
  readDotEnv,
  repoRoot,
  runWrangler,
  serversCpuSeconds,
  settle,
  snapshotProject,
  startServer,
  stopAll,
  tail,
  waitUntilUp,
} from "./lib.mjs";

// CI clones the repo with shared/ beside it, so the baseline is found relative to the repo.
const baselineToml = path.resolve(repoRoot, "../shared/bench/baseline/wrangler.toml");

/** A positive integer from the environment, or `fallback`; exits with a message when malformed. */
function envInt(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (Number.isInteger(n) && n > 0) return n;
  log(`FAIL: ${name} must be a positive integer, got ${v}`);
  process.exit(1);
}

const EVENTS = envInt("BENCH_EVENTS", 5_000);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 32);
const ROUNDS = envInt("BENCH_ROUNDS", 2);
const WARMUP = envInt("BENCH_WARMUP", 500);
const VERIFY_CONCURRENCY = envInt("BENCH_VERIFY_CONCURRENCY", 32);
const CONTACTS = process.env.BENCH_CONTACTS || "new";
const RATIO_TARGET = 0.5;

/** Thrown for an expected failure: the message is enough, no stack trace. */
class BenchFailure extends Error {}

/**
 * Where the fresh persistence directories go: BENCH_STATE_DIR, else tmpfs (/dev/shm) when there is
 * one, else the OS temp dir. On a disk, every new Durable Object's SQLite file costs fsyncs that
 * dominate both sides and make rounds slow and noisy: that would measure the disk, not the code.
 */
function stateRoot() {
  if (process.env.BENCH_STATE_DIR) return process.env.BENCH_STATE_DIR;
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

/** Stop early with a clear message when Node, the baseline or the local keys are not usable. */
function preflight() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new BenchFailure(`Node ${process.versions.node} is too old for wrangler (needs >= 22.12): run \`npm run bench\` or \`npx node bench/ingest.mjs\``);
  }
  if (!["new", "existing"].includes(CONTACTS)) throw new BenchFailure(`BENCH_CONTACTS must be "new" or "existing", got ${CONTACTS}`);
  if (CONNECTIONS > EVENTS || CONNECTIONS > WARMUP) throw new BenchFailure("BENCH_CONNECTIONS must not exceed BENCH_EVENTS or BENCH_WARMUP");
  if (!existsSync(baselineToml)) throw new BenchFailure(`baseline not found at ${baselineToml} (shared/ must sit beside the repo)`);
  const devVars = path.join(repoRoot, ".dev.vars");
  if (!existsSync(devVars)) {
    copyFileSync(path.join(repoRoot, ".dev.vars.example"), devVars);
    log("created .dev.vars from .dev.vars.example");
  }
  const vars = readDotEnv(devVars);
  if (!vars.INGEST_KEY || !vars.OWNER_KEY) throw new BenchFailure(".dev.vars must define INGEST_KEY and OWNER_KEY");
  return { ingestKey: vars.INGEST_KEY, ownerKey: vars.OWNER_KEY };
}

/**
 * Start Tidings (D1 migrated first) and the baseline on free loopback ports with fresh state. Each
 * runs from a snapshot copy taken now, so edits to the working tree during the run cannot make
 * wrangler reload mid-round, and nothing is written into the baseline's (possibly read-only) tree.
 */
async function startServers(work) {
  const [tPort, bPort, tInspector, bInspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const tDir = snapshotProject(repoRoot, path.join(work, "tidings"), ["bench", "test", "scripts", "dist"]);
  const bDir = snapshotProject(path.dirname(baselineToml), path.join(work, "baseline"));
  const tState = path.join(work, "tidings-state");
  const bState = path.join(work, "baseline-state");
  mkdirSync(tState);
  mkdirSync(bState);
  const tLog = path.join(work, "tidings.log");
  log("applying Tidings D1 migrations");
  await runWrangler(tDir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", tState], tLog);
  // Per-request log lines cost CPU on both sides alike; warnings and errors still reach the logs.
  const common = ["--ip", "127.0.0.1", "--log-level", "warn", "--show-interactive-dev-session=false"];
  const tidings = startServer({
    name: "tidings", cwd: tDir, port: tPort, logFile: tLog,
    args: ["--port", String(tPort), "--inspector-port", String(tInspector), "--persist-to", tState, ...common],
  });
  const baseline = startServer({
    name: "baseline", cwd: bDir, port: bPort, logFile: path.join(work, "baseline.log"),
    args: ["--port", String(bPort), "--inspector-port", String(bInspector), "--persist-to", bState, ...common],
  });
  log(`starting tidings on :${tPort} and baseline on :${bPort}`);
  await Promise.all([waitUntilUp(tidings), waitUntilUp(baseline)]);
  return { tidings, baseline };
}

/** The request body of event `i` of a round: the same shape for both servers. */
function trackBody(userId, messageId, i) {
  return JSON.stringify({
    userId,
    event: "Product Viewed",
    messageId,
    properties: { sku: `sku-${i % 500}`, price: 19.99, currency: "USD" },
  });
}

/**
 * Run one round against one server. `contactOf(i)` names the userId of event i; messageIds are
 * unique per run, round and index. Throws on any failure; returns the round's figures and events.
 */
async function round(server, { label, amount, contactOf, route, headers }) {
  const messageOf = (i) => `m-${label}-${i}`;
  const r = await loadRound({
    url: server.url, path: route, headers, amount, connections: Math.min(CONNECTIONS, amount),
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

/** Check that every event in `events` appears in its contact's `recentEvents`; throws if not. */
async function verify(tidings, ownerKey, events) {
  const byUser = new Map();
  for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e.messageId]);
  const users = [...byUser.keys()];
  const missing = [];
  const bad = [];
  let checked = 0;
  const t0 = Date.now();
  await mapLimit(users, VERIFY_CONCURRENCY, async (userId) => {
    const res = await fetch(`${tidings.url}/v1/contacts/${encodeURIComponent(`user:${userId}`)}`, {
      headers: { authorization: `Bearer ${ownerKey}` },
    }).catch((err) => ({ ok: false, status: 0, text: async () => String(err) }));
    if (!res.ok) {
      bad.push(`user:${userId} -> HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      return;
    }
    const seen = new Set(((await res.json()).recentEvents ?? []).map((e) => e.messageId));
    for (const m of byUser.get(userId)) if (!seen.has(m)) missing.push(`${m} (user:${userId})`);
    if (++checked % 5000 === 0) log(`verified ${checked}/${users.length} contacts`);
  });
  log(`verified ${events.length} events on ${users.length} contacts in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (bad.length || missing.length) {
    throw new BenchFailure(
      `verification failed: ${bad.length} contact reads failed, ${missing.length} events missing\n  ` +
        [...bad.slice(0, 5), ...missing.slice(0, 5)].join("\n  "),
    );
  }
}

/** Throughput (ok / seconds) and sorted latencies pooled over several rounds. */
function pooled(rounds) {
  const ok = rounds.reduce((s, r) => s + r.ok, 0);
  const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
  const lat = Float64Array.from(rounds.flatMap((r) => r.latencies)).sort();
  return { rate: ok / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** This run's scratch directory (snapshots, state, logs), once created. */
let work;

/** Delete the scratch directory, or all of it but the logs (`keepLogs`); synchronous, so safe on exit. */
function cleanUp(keepLogs) {
  if (!work) return;
  for (const dir of keepLogs ? ["tidings-state", "baseline-state", "tidings", "baseline"].map((d) => path.join(work, d)) : [work]) {
    rmSync(dir, { recursive: true, force: true });
  }
  if (keepLogs) log(`logs kept in ${work}`);
  work = undefined;
}

/** The whole benchmark: start, warm up, alternate rounds, verify, print the result line. */
async function main() {
  const started = Date.now();
  const { ingestKey, ownerKey } = preflight();
  work = mkdtempSync(path.join(stateRoot(), "tidings-bench-"));
  log(`state and logs in ${work}`);
  const tag = Date.now().toString(36);
  let ok = false;
  try {
    const { tidings, baseline } = await startServers(work);
    const headers = { authorization: `Bearer ${ingestKey}` };
    const side = {
      tidings: { server: tidings, route: "/v1/track", headers, rounds: [], events: [] },
      baseline: { server: baseline, route: "/", headers, rounds: [], events: [] },
    };
    // New mode: every round has its own contacts. Existing mode: measured rounds share one set.
    const contactsOf = (label) => (CONTACTS === "new" || label === "warm" ? (i) => `u-${tag}-${label}-${i}` : (i) => `u-${tag}-c-${i}`);

    /**
     * One round on one side, then wait until both servers are idle again; `measured` rounds count
     * towards the result. Logs server CPU per event during the round and after it (deferred work).
     */
    const run = async (name, label, amount, measured) => {
      const s = side[name];
      const cpu0 = serversCpuSeconds([s.server]);
      const client0 = process.cpuUsage();
      const r = await round(s.server, { label, amount, contactOf: contactsOf(label), route: s.route, headers: s.headers });
      const client = process.cpuUsage(client0);
      const cpu1 = serversCpuSeconds([s.server]);
      const waited = await settle([tidings, baseline]);
      const cpu2 = serversCpuSeconds([s.server]);
      const perEvent = (sec) => ((sec * 1000) / r.ok).toFixed(2);
      log(
        `${"".padEnd(17)} server cpu ${perEvent(cpu1 - cpu0)} ms/ev during + ${perEvent(cpu2 - cpu1)} ms/ev after`,
        `(idle again in ${(waited / 1000).toFixed(1)}s), client cpu ${perEvent((client.user + client.system) / 1e6)} ms/ev`,
      );
      if (measured) s.rounds.push(r);
      s.events.push(...r.events);
    };

    await settle([tidings, baseline]);
    await run("baseline", "warm", WARMUP, false);
    await run("tidings", "warm", WARMUP, false);
    if (CONTACTS === "existing") {
      await run("baseline", "prime", EVENTS, false);
      await run("tidings", "prime", EVENTS, false);
    }
    for (let n = 1; n <= ROUNDS; n++) {
      await run("baseline", `r${n}`, EVENTS, true);
      await run("tidings", `r${n}`, EVENTS, true);
    }
    await verify(tidings, ownerKey, side.tidings.events);

    const t = pooled(side.tidings.rounds);
    const b = pooled(side.baseline.rounds);
    const ratio = t.rate / b.rate;
    log(`baseline: ${b.rate.toFixed(0)} ev/s, p50 ${b.p50.toFixed(1)} ms, p99 ${b.p99.toFixed(1)} ms (contacts: ${CONTACTS})`);
    if (ratio < RATIO_TARGET) log(`note: ratio ${ratio.toFixed(2)} is below the ${RATIO_TARGET} target`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    process.stdout.write(`BENCH ingest events_per_s=${Math.round(t.rate)} p50_ms=${t.p50.toFixed(1)} p99_ms=${t.p99.toFixed(1)} ratio=${ratio.toFixed(2)}\n`);
    ok = true;
  } finally {
    await stopAll();
    // Keep the logs of a failed run for inspection; drop the rest (the persisted state can be large).
    cleanUp(!ok);
  }
}

// Whatever happens, never leave wrangler or workerd (or their state) behind.
process.on("exit", () => {
  killAllSync();
  cleanUp(true);
});
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(sig, () => {
    log(`${sig}: stopping servers`);
    process.exit(code);
  });
}

main().catch((err) => {
  log(`FAIL: ${err instanceof BenchFailure ? err.message : err?.stack ?? err}`);
  process.exitCode = 1;
});
