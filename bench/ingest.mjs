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
 *   with fresh --persist-to directories on tmpfs when available (see stateRoot in lib.mjs), on free
 *   loopback ports, and are always killed (whole process group) at the end, on error and on
 *   SIGINT/SIGTERM (lib.mjs startTidingsAndBaseline and runBench).
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
 * BENCH_STATE_DIR (where the fresh --persist-to directories go; default /dev/shm, see stateRoot in lib.mjs),
 * BENCH_B (a directory holding another Tidings tree, e.g. `git worktree add /tmp/tidings-a <ref>`: it runs
 * as a third side in the same turns, baseline, Tidings, B, and the line gets `b_ratio=<B/baseline>`:
 * an A-B comparison in one run, on the same machine load).
 * Run with `npm run bench` (or `npx node bench/ingest.mjs`): wrangler needs Node >= 22.12.
 */
import path from "node:path";
import { BenchFailure, baselinePreflight, envInt, ingestLoad, log, mapLimit, pooled, runBench, settle, settledIngestRound, startTidings, startTidingsAndBaseline, waitUntilUp } from "./lib.mjs";

const LOAD = ingestLoad();
const { events: EVENTS, rounds: ROUNDS, warmup: WARMUP } = LOAD;
const VERIFY_CONCURRENCY = envInt("BENCH_VERIFY_CONCURRENCY", 32);
const CONTACTS = process.env.BENCH_CONTACTS || "new";
const RATIO_TARGET = 0.5;
/** Another Tidings tree (e.g. `git worktree add /tmp/tidings-main main`) run as a third side: an A-B comparison in one run. */
const B_SOURCE = process.env.BENCH_B ? path.resolve(process.env.BENCH_B) : undefined;

/** Stop early with a clear message when the contacts mode, Node, the baseline or the local keys are not usable. */
function preflight() {
  if (!["new", "existing"].includes(CONTACTS)) throw new BenchFailure(`BENCH_CONTACTS must be "new" or "existing", got ${CONTACTS}`);
  return baselinePreflight("bench/ingest.mjs", LOAD);
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

/** The whole benchmark: start, warm up, alternate rounds, verify; resolves to the result line. */
async function main({ work, keys: { ingestKey, ownerKey } }) {
  const tag = Date.now().toString(36);
  const { tidings, baseline } = await startTidingsAndBaseline(work);
  const b = B_SOURCE ? await startTidings(work, { source: B_SOURCE, name: "tidings-b" }) : undefined;
  if (b) {
    await waitUntilUp(b);
    log(`A-B: tidings-b from ${B_SOURCE} on :${b.port}`);
  }
  const servers = [tidings, baseline, ...(b ? [b] : [])];
  const headers = { authorization: `Bearer ${ingestKey}` };
  const side = {
    tidings: { server: tidings, route: "/v1/track", headers, rounds: [], events: [] },
    baseline: { server: baseline, route: "/", headers, rounds: [], events: [] },
    ...(b ? { b: { server: b, route: "/v1/track", headers, rounds: [], events: [] } } : {}),
  };
  // New mode: every round has its own contacts. Existing mode: measured rounds share one set.
  const contactsOf = (label) => (CONTACTS === "new" || label === "warm" ? (i) => `u-${tag}-${label}-${i}` : (i) => `u-${tag}-c-${i}`);

  /** One round on one side, then wait until both servers are idle again; `measured` rounds count towards the result. */
  const run = async (name, label, amount, measured) => {
    const s = side[name];
    const round = { label, amount, contactOf: contactsOf(label), route: s.route, headers: s.headers, connections: LOAD.connections };
    const r = await settledIngestRound(s.server, round, servers);
    if (measured) s.rounds.push(r);
    s.events.push(...r.events);
  };

  await settle(servers);
  const names = Object.keys(side);
  for (const name of names) await run(name, "warm", WARMUP, false);
  if (CONTACTS === "existing") for (const name of names) await run(name, "prime", EVENTS, false);
  for (let n = 1; n <= ROUNDS; n++) for (const name of names) await run(name, `r${n}`, EVENTS, true);
  await verify(tidings, ownerKey, side.tidings.events);

  const t = pooled(side.tidings.rounds);
  const base = pooled(side.baseline.rounds);
  const ratio = t.rate / base.rate;
  log(`baseline: ${base.rate.toFixed(0)} ev/s, p50 ${base.p50.toFixed(1)} ms, p99 ${base.p99.toFixed(1)} ms (contacts: ${CONTACTS})`);
  if (ratio < RATIO_TARGET) log(`note: ratio ${ratio.toFixed(2)} is below the ${RATIO_TARGET} target`);
  let bPart = "";
  if (side.b) {
    const pb = pooled(side.b.rounds);
    log(`A-B: tidings ${t.rate.toFixed(0)} ev/s (ratio ${ratio.toFixed(2)}), tidings-b ${pb.rate.toFixed(0)} ev/s (ratio ${(pb.rate / base.rate).toFixed(2)}), p99 ${t.p99.toFixed(1)} vs ${pb.p99.toFixed(1)} ms`);
    bPart = ` b_ratio=${(pb.rate / base.rate).toFixed(2)}`;
  }
  return `BENCH ingest events_per_s=${Math.round(t.rate)} p50_ms=${t.p50.toFixed(1)} p99_ms=${t.p99.toFixed(1)} ratio=${ratio.toFixed(2)}${bPart}`;
}

runBench(preflight, main);
