#!/usr/bin/env node
/**
 * Latency benchmark: how long from an event to the gateway call it causes, measured at the network
 * edge, under `wrangler dev`, at a light load and at the ingest bench's load, in the same run as
 * the ingest baseline (../shared/bench/baseline) so the figures come with a ratio.
 *
 * What is measured
 *   - Gateway: Twilio's Messages API served by a local mock (bench/gateway-mock.mjs) that stamps each
 *     request's arrival with this process's clock (performance.now), so client and gateway share one
 *     clock; Tidings runs as deployed (src/index.ts) with GATEWAY=twilio and TWILIO_API_BASE pointing there.
 *   - send: `POST /v1/track` "Order Completed" for a contact with a phone, whose flow sends a
 *     transactional confirmation at once (send queue → consumer → gateway). Latency = the gateway's
 *     arrival stamp − the moment the request left the client. Each probe has its own contact (made
 *     beforehand, unmeasured), so the mock's `To` names the probe.
 *   - timer: "Timer Started" starts a flow that waits PT10S (a Durable Object alarm, in real time)
 *     and then sends. Lateness = arrival − (request start + 10 s): an upper bound, since the wait
 *     starts when the contact handles the event, a little after the request left.
 *   - Probes go at BENCH_PROBE_RATE (10) per second, alternating send and timer probes, BENCH_PROBES
 *     (200) of each: first alone (light load), then again while autocannon drives the ingest bench's
 *     load (BENCH_CONNECTIONS 32 connections of brand-new-contact tracks) at Tidings. The same load
 *     is driven at the baseline alone, before and after, to get its events/s and p99 in this run.
 *
 * Output: progress on stderr; on stdout exactly one line
 *   BENCH latency send_p50_ms=<n> send_p99_ms=<n> timer_late_p50_ms=<n> timer_late_p99_ms=<n>
 *     loaded_send_p50_ms=<n> loaded_send_p99_ms=<n> loaded_timer_late_p50_ms=<n> loaded_timer_late_p99_ms=<n>
 *     load_ratio=<Tidings events/s under load ÷ baseline events/s> baseline_p99_ms=<n>
 * Goals (reported, not asserted): send p99 < 100 ms light, < 250 ms loaded; timer lateness p99 < 250 ms at both.
 * Knobs: BENCH_PROBES (200), BENCH_PROBE_RATE (10), BENCH_EVENTS (load size, 5000), BENCH_CONNECTIONS (32),
 * BENCH_STATE_DIR. Run with `npm run bench:latency`: wrangler needs Node >= 22.12.
 */
import { call } from "./bench-worker.mjs";
import { startGatewayMock } from "./gateway-mock.mjs";
import { BenchFailure, baselinePreflight, envInt, ingestLoad, log, loadRound, percentile, runBench, settle, sleep, startTidingsAndBaseline } from "./lib.mjs";

const LOAD = ingestLoad();
const PROBES = envInt("BENCH_PROBES", 200);
const RATE = envInt("BENCH_PROBE_RATE", 10);
const WAIT_MS = 10_000;
const GOALS = { light: 100, loaded: 250, late: 250 };

/** The brand for the probes: no opt-in confirmation, Twilio at the mock, two transactional flows. */
async function configure(server, owner) {
  const put = (p, body) => call(server, "PUT", p, { key: owner, body });
  await put("/v1/settings/consent", { confirmOptIn: [] });
  await put("/v1/settings/gateway", { use: "twilio", publicBaseUrl: server.url, twilio: { from: "+14155550100" } });
  await put("/v1/settings/caps", { rules: [] });
  await put("/v1/templates/order-confirmation", { body: "Order {{properties.order_id}} is confirmed.", job: "transactional", purpose: "transactional", properties: ["order_id"] });
  await put("/v1/templates/timer-ping", { body: "Your timer is up.", job: "transactional", purpose: "transactional" });
  await put("/v1/flows/order-confirmation", {
    name: "Order confirmation", status: "active", job: "transactional", trigger: { event: "Order Completed" },
    steps: [{ send: { template: "order-confirmation" } }],
  });
  await put("/v1/flows/timer", {
    name: "Timer", status: "active", job: "transactional", trigger: { event: "Timer Started" },
    steps: [{ wait: "PT10S" }, { send: { template: "timer-ping" } }],
  });
}

/** Contacts with phones for `n` probes, made beforehand (unmeasured). */
async function makeContacts(server, key, tag, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const phone = `+1415${String(3_000_000 + i).padStart(7, "0")}`;
    const userId = `lat-${tag}-${i}`;
    await call(server, "POST", "/v1/identify", { key, body: { userId, messageId: `lat-id-${tag}-${i}`, traits: { phone } } });
    out.push({ userId, phone });
  }
  return out;
}

/**
 * Send `contacts.length` probes at RATE per second, alternating an immediate send and a timer; wait
 * for every gateway call (up to 60 s after the last); returns the latencies and lateness in ms.
 */
async function probe(server, key, gateway, contacts, label) {
  const started = new Map();
  const kind = new Map();
  const tasks = [];
  const t0 = performance.now();
  for (let i = 0; i < contacts.length; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const c = contacts[i];
    const timer = i % 2 === 1;
    kind.set(c.phone, timer ? "timer" : "send");
    started.set(c.phone, performance.now());
    const event = timer ? "Timer Started" : "Order Completed";
    tasks.push(call(server, "POST", "/v1/track", { key, body: { userId: c.userId, event, messageId: `lat-${label}-${i}`, properties: { order_id: `o-${label}-${i}` } } }));
  }
  await Promise.all(tasks);
  const deadline = performance.now() + WAIT_MS + 60_000;
  const want = new Set(contacts.map((c) => c.phone));
  const arrived = () => gateway.sends.filter((s) => want.has(s.to));
  while (arrived().length < contacts.length && performance.now() < deadline) await sleep(200);
  const send = [];
  const late = [];
  for (const s of arrived()) {
    const ms = s.at - started.get(s.to);
    if (kind.get(s.to) === "timer") late.push(ms - WAIT_MS);
    else send.push(ms);
  }
  if (arrived().length < contacts.length) throw new BenchFailure(`${label}: ${contacts.length - arrived().length} of ${contacts.length} probes never reached the gateway`);
  const sorted = (xs) => Float64Array.from(xs).sort();
  return { send: sorted(send), late: sorted(late) };
}

/** The ingest load (bench/ingest.mjs shape: brand-new contacts, 32 connections) against one server. */
function load(server, route, key, label) {
  return loadRound({
    url: server.url, path: route, headers: { authorization: `Bearer ${key}` }, amount: LOAD.events, connections: LOAD.connections,
    bodyOf: (i) => JSON.stringify({ userId: `load-${label}-${i}`, event: "Product Viewed", messageId: `load-${label}-${i}`, properties: { sku: `sku-${i % 500}`, price: 19.99 } }),
  });
}

const fmt = (x) => x.toFixed(1);
const summary = (r) => `send p50 ${fmt(percentile(r.send, 50))} p99 ${fmt(percentile(r.send, 99))} ms; timer late p50 ${fmt(percentile(r.late, 50))} p99 ${fmt(percentile(r.late, 99))} ms`;

async function main({ work, keys: { ingestKey, ownerKey } }) {
  const gateway = await startGatewayMock();
  try {
    const { tidings, baseline } = await startTidingsAndBaseline(work, { vars: { GATEWAY: "twilio", TWILIO_API_BASE: gateway.url } });
    await configure(tidings, ownerKey);
    const tag = Date.now().toString(36);
    log(`making ${4 * PROBES} probe contacts`);
    const contacts = await makeContacts(tidings, ingestKey, tag, 4 * PROBES);
    await settle([tidings, baseline]);

    // Warm-up of both (unmeasured), then the baseline's figures under the ingest load.
    await load(baseline, "/", ingestKey, `${tag}-bw`);
    await settle([tidings, baseline]);
    const base1 = await load(baseline, "/", ingestKey, `${tag}-b1`);
    await settle([tidings, baseline]);

    log(`light load: ${2 * PROBES} probes at ${RATE}/s`);
    const light = await probe(tidings, ingestKey, gateway, contacts.slice(0, 2 * PROBES), `${tag}-light`);
    log(`light: ${summary(light)}`);
    await settle([tidings, baseline]);

    log(`ingest load (${LOAD.events} new-contact tracks over ${LOAD.connections} connections) with ${2 * PROBES} probes at ${RATE}/s`);
    const loadRun = load(tidings, "/v1/track", ingestKey, `${tag}-t`);
    await sleep(1_000);
    const loaded = await probe(tidings, ingestKey, gateway, contacts.slice(2 * PROBES), `${tag}-loaded`);
    const t = await loadRun;
    if (t.failures) throw new BenchFailure(`load: ${t.failures} failed requests\n  ${t.samples.join("\n  ")}`);
    log(`loaded: ${summary(loaded)}; load ran at ${fmt(t.ok / t.seconds)} ev/s`);
    if (t.seconds < (2 * PROBES) / RATE + WAIT_MS / 1000) log(`note: the load ended after ${fmt(t.seconds)}s, before the last probes were due: raise BENCH_EVENTS for a fully loaded measurement`);
    await settle([tidings, baseline]);
    const base2 = await load(baseline, "/", ingestKey, `${tag}-b2`);

    const bRate = (base1.ok + base2.ok) / (base1.seconds + base2.seconds);
    const bLat = Float64Array.from([...base1.latencies, ...base2.latencies]).sort();
    const ratio = t.ok / t.seconds / bRate;
    log(`baseline under the same load: ${fmt(bRate)} ev/s, p50 ${fmt(percentile(bLat, 50))} ms, p99 ${fmt(percentile(bLat, 99))} ms`);
    const p = (xs, q) => percentile(xs, q);
    if (p(light.send, 99) >= GOALS.light) log(`note: light send p99 ${fmt(p(light.send, 99))} ms is over the ${GOALS.light} ms goal`);
    if (p(loaded.send, 99) >= GOALS.loaded) log(`note: loaded send p99 ${fmt(p(loaded.send, 99))} ms is over the ${GOALS.loaded} ms goal`);
    for (const [k, r] of [["light", light], ["loaded", loaded]]) if (p(r.late, 99) >= GOALS.late) log(`note: ${k} timer lateness p99 ${fmt(p(r.late, 99))} ms is over the ${GOALS.late} ms goal`);
    return [
      "BENCH latency",
      `send_p50_ms=${fmt(p(light.send, 50))} send_p99_ms=${fmt(p(light.send, 99))}`,
      `timer_late_p50_ms=${fmt(p(light.late, 50))} timer_late_p99_ms=${fmt(p(light.late, 99))}`,
      `loaded_send_p50_ms=${fmt(p(loaded.send, 50))} loaded_send_p99_ms=${fmt(p(loaded.send, 99))}`,
      `loaded_timer_late_p50_ms=${fmt(p(loaded.late, 50))} loaded_timer_late_p99_ms=${fmt(p(loaded.late, 99))}`,
      `load_ratio=${ratio.toFixed(2)} baseline_p99_ms=${fmt(p(bLat, 99))}`,
    ].join(" ");
  } finally {
    await gateway.close();
  }
}

runBench(() => baselinePreflight("bench/latency.mjs", LOAD), main);
