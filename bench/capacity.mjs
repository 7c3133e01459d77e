#!/usr/bin/env node
/**
 * Capacity benchmark: what a year of a fixed mix of contacts leaves in D1 and in the Durable
 * Objects, how many rows, requests and queue messages an event costs, and what that costs at list
 * prices. Counted by the runtime, not estimated: see bench/capacity-worker.ts (the whole product
 * under `wrangler dev`, with counters around the SQL cursors, D1 results, alarms, queues and
 * requests, and a clock this script sets).
 *
 * The mix (printed at start), per contact and simulated year:
 *   - 10% active shoppers: ~300 events (tracks; a Checkout Started on 20 steps of the year, each a
 *     cart-recovery run of a reminder and a last call with links; 4 orders), ~40 flow messages plus
 *     4 broadcasts; receipts for every message, clicks on half of them, a reply to 1 in 10.
 *   - 30% occasional buyers: ~30 events, 4 cart runs (~8 messages) plus the 4 broadcasts, a click on 1 in 4.
 *   - 60% quiet subscribers: ~5 events, the 4 broadcasts (marketing, with a link), a click on 1 in 10.
 *   Every contact starts with an identify (phone) and a `Subscribed` (marketing consent): a signup.
 * Time: the year is BENCH_STEPS (26) steps of whole days (14: 364 days). Each step: the clock moves to the step's
 * start (18:00 UTC, daytime for the +1415 numbers), due timers run (bench/capacity-worker.ts tick:
 * the alarm a contact would get), the step's events go in; then the clock moves 3 hours on, due
 * timers run (the cart flow's 1-hour wait), and the clicks and replies to the step's messages
 * arrive. After each half-step the script waits until every queue is drained. Gateway: Twilio's API
 * served by a local mock (bench/gateway-mock.mjs) that posts a signed "delivered" callback per message.
 *
 * Retention: whatever the product under test does. This build has no pruning, so the figures are a
 * year's growth; a build with retention runs the same script (the deletes land in the counters).
 *
 * After the year, two probes of BENCH_PROBE (300) events each, counted on their own:
 *   - known: a `Page Viewed` track by an existing contact that starts nothing (the priced event);
 *   - new: the same track by a brand-new contact (creating it: its schema and first records).
 *
 * Output: the breakdown on stderr; on stdout exactly one line
 *   BENCH capacity d1_bytes_per_contact_year=<n> do_bytes_per_contact_year=<n> d1_rows_per_event=<n>
 *     do_rows_per_event=<n> usd_per_million_events=<n> contacts_per_d1=<n>
 * where the bytes are the year's growth divided by the contacts, rows per event are the year's rows
 * written divided by its events (tracks and identifies through the API; receipts, clicks and
 * replies are counted as the work of the events that caused them), usd_per_million_events prices
 * the `known` probe, and contacts_per_d1 = 10 GB ÷ d1_bytes_per_contact_year. Goals (reported, not
 * asserted): contacts_per_d1 >= 2,000,000, usd_per_million_events <= 2.50.
 *
 * Knobs: BENCH_CONTACTS (200), BENCH_STEPS (26), BENCH_PROBE (300), BENCH_CONCURRENCY (8), BENCH_SEED (1), BENCH_STATE_DIR.
 * Run with `npm run bench:capacity` (or `npx node bench/capacity.mjs`): wrangler needs Node >= 22.12.
 */
import { benchStats, call, setClock, startBenchWorker, waitIdle } from "./bench-worker.mjs";
import { postSigned, startGatewayMock } from "./gateway-mock.mjs";
import { BenchFailure, envInt, localKeys, log, mapLimit, readDotEnv, repoRoot, requireNode, runBench, serversCpuSeconds } from "./lib.mjs";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const CONTACTS = envInt("BENCH_CONTACTS", 200);
const STEPS = envInt("BENCH_STEPS", 26);
const PROBE = envInt("BENCH_PROBE", 300);
const CONCURRENCY = envInt("BENCH_CONCURRENCY", 8);
const SEED = envInt("BENCH_SEED", 1);
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Whole days per step, so every step starts at the same time of day (daytime: no quiet hours in the way). */
const STEP_MS = Math.max(1, Math.round(365 / STEPS)) * DAY;
/** The simulated span (364 days for 26 steps): per-year figures are scaled from it. */
const YEAR_FRACTION = (STEPS * STEP_MS) / (365 * DAY);
/** The simulated year starts on a Tuesday, 18:00 UTC (10:00 in San Francisco, where the numbers are). */
const START = Date.UTC(2027, 0, 5, 18);
const GB = 1e9;
const D1_MAX_BYTES = 10 * GB;
const GOALS = { contactsPerD1: 2_000_000, usdPerMillion: 2.5 };

/**
 * List prices, USD per million units (paid plans; Workers Paid / Standard usage pricing), as quoted
 * in issue 21 (December 2026) from the Cloudflare pricing pages: developers.cloudflare.com/workers/platform/pricing/,
 * /durable-objects/platform/pricing/ (SQLite storage backend), /d1/platform/pricing/, /queues/platform/pricing/.
 * Storage: D1 $0.75 per GB-month, Durable Objects SQLite $0.20 per GB-month (same pages).
 */
export const PRICES = {
  workerRequest: 0.3,
  doRequest: 0.15,
  rowWritten: 1.0,
  rowRead: 0.001,
  queueOperation: 0.4, // each message is a write, a read and a delete: 3 operations
  d1GbMonth: 0.75,
  doGbMonth: 0.2,
};

/** The mix, per contact class and simulated year. */
const MIX = [
  { kind: "active", share: 0.1, events: 300, carts: 20, orders: 4, click: 0.5, reply: 0.1 },
  { kind: "occasional", share: 0.3, events: 30, carts: 4, orders: 1, click: 0.25, reply: 0 },
  { kind: "quiet", share: 0.6, events: 5, carts: 0, orders: 0, click: 0.1, reply: 0 },
];
const BROADCASTS = 4;

/** mulberry32: the same seed, the same year. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct step indexes out of `steps`, spread over the year. */
function spread(n, steps, rnd) {
  const all = Array.from({ length: steps }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return new Set(all.slice(0, Math.min(n, steps)));
}

/** Each contact's class and its year: the API calls of each step. */
function planYear(tag) {
  const rnd = rng(SEED);
  const contacts = [];
  for (let i = 0; i < CONTACTS; i++) {
    const cls = i % 10 === 0 ? MIX[0] : i % 10 <= 3 ? MIX[1] : MIX[2];
    const userId = `cap-${tag}-${i}`;
    const phone = `+1415${String(2_000_000 + i * 13 + (SEED % 7)).padStart(7, "0")}`;
    const steps = Array.from({ length: STEPS }, () => []);
    const cartSteps = spread(cls.carts, STEPS, rnd);
    const orderSteps = spread(cls.orders, STEPS, rnd);
    // The signup: two of the year's events.
    steps[0].push({ type: "identify", userId, traits: { phone, firstName: `Ann${i}`, tier: cls.kind } });
    steps[0].push({ type: "track", userId, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Yes, text me offers." } });
    let left = cls.events - 2;
    for (const s of cartSteps) {
      steps[s].push({ type: "track", userId, event: "Checkout Started", properties: { value: 60, checkout_url: `https://shop.example/c/${userId}/${s}` } });
      left--;
    }
    for (const s of orderSteps) {
      steps[s].push({ type: "track", userId, event: "Order Completed", properties: { value: 60, order_id: `o-${userId}-${s}` } });
      left--;
    }
    for (let k = 0; k < left; k++) {
      const s = Math.floor(rnd() * STEPS);
      steps[s].push({ type: "track", userId, event: "Product Viewed", properties: { sku: `sku-${Math.floor(rnd() * 500)}`, price: 19.99 } });
    }
    contacts.push({ userId, phone, cls, steps });
  }
  return contacts;
}

/** Send one API call (identify or track) with a unique messageId. */
let seq = 0;
async function send(server, key, c) {
  const { type, ...rest } = c;
  return call(server, "POST", `/v1/${type}`, { key, body: { ...rest, messageId: `cap-${++seq}` } });
}

/** The brand: settings, templates with links, the cart flow (its first wait an hour), the first-order flow. */
async function configure(server, owner) {
  const base = server.url;
  const put = (p, body) => call(server, "PUT", p, { key: owner, body });
  await put("/v1/settings/brand", { name: "Juniper & Co", support: "help@juniper.example", defaultTimeZone: "America/Los_Angeles" });
  await put("/v1/settings/stages", { preset: "b2c" });
  await put("/v1/settings/consent", { confirmOptIn: [] });
  await put("/v1/settings/gateway", { use: "twilio", publicBaseUrl: base, twilio: { from: "+14155550100" } });
  await put("/v1/settings/links", { base: `${base}/l` });
  await put("/v1/templates/cart-reminder", {
    body: 'Hi {{firstName | default: "there"}}, your cart at {{brand.name}} is waiting: {{properties.checkout_url}} Reply STOP to opt out.',
    job: "conversion", purpose: "marketing", tags: ["cart"], properties: ["checkout_url"],
  });
  await put("/v1/templates/cart-last-call", {
    body: 'Last call, {{firstName | default: "friend"}}: your cart is saved until tonight. {{properties.checkout_url}} Reply STOP to opt out.',
    job: "conversion", purpose: "marketing", tags: ["cart"], properties: ["checkout_url"],
  });
  await put("/v1/templates/news", {
    body: "{{brand.name}}: the new season is in. https://shop.example/new Reply STOP to opt out.",
    job: "retention", purpose: "marketing",
  });
  await put("/v1/flows/cart-recovery", {
    name: "Cart recovery", status: "active", job: "conversion",
    trigger: { event: "Checkout Started", where: { "properties.value": { gte: 20 } } }, reentry: "P7D", goal: { event: "Order Completed" },
    steps: [
      { wait: "PT1H" },
      { send: { template: "cart-reminder" } },
      { wait_for: { event: "Order Completed", timeout: "P1D" }, on_timeout: [{ send: { template: "cart-last-call" } }] },
    ],
  });
  await put("/v1/flows/first-order", {
    name: "First order makes a customer", status: "active", job: "transactional",
    trigger: { event: "Order Completed", stage: "subscriber" }, steps: [{ set_stage: "customer" }],
  });
}

/** A broadcast of `news` to everyone with marketing consent, now: created (its dry run), then launched. */
async function broadcast(server, owner, n, at) {
  const b = await call(server, "POST", "/v1/broadcasts", {
    key: owner, headers: { "idempotency-key": `cap-news-${n}` },
    body: { name: `News ${n}`, template: "news", segment: { stages: ["subscriber", "customer", "repeat_customer", "dormant"], consent: "marketing" }, sendAt: { at: new Date(at).toISOString() } },
  });
  for (let i = 0; ; i++) {
    const s = await call(server, "GET", `/v1/broadcasts/${b.id}`, { key: owner });
    if (s.dryRun?.status === "done") break;
    if (i > 600) throw new BenchFailure(`broadcast ${b.id}: dry run not done: ${JSON.stringify(s).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await call(server, "POST", `/v1/broadcasts/${b.id}/launch`, { key: owner });
  for (let i = 0; ; i++) {
    const s = await call(server, "GET", `/v1/broadcasts/${b.id}`, { key: owner });
    if (s.status === "done") return s;
    if (i > 600) throw new BenchFailure(`broadcast ${b.id}: fan-out not done: ${JSON.stringify(s).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counters after minus before (numbers only, one level of nesting). */
function diff(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === "number") out[k] = v - (a[k] ?? 0);
    else if (v && typeof v === "object" && !Array.isArray(v)) out[k] = diff(a[k] ?? {}, v);
  }
  return out;
}

const sumOf = (o) => Object.values(o ?? {}).reduce((s, v) => s + (typeof v === "number" ? v : 0), 0);

/** The billed units of a counter difference, and their price in USD per million of `per` (events). */
function bill(d, per) {
  const u = {
    workerRequests: d.workerRequests + d.queueInvocations,
    doRequests: sumOf(d.doRequests) + d.alarms,
    rowsWritten: d.doRowsWritten + d.setAlarm + d.deleteAlarm + d.d1RowsWritten,
    rowsRead: d.doRowsRead + d.d1RowsRead,
    queueOperations: 3 * sumOf(d.queueConsumed),
  };
  const usd = {
    workers: (u.workerRequests / per) * PRICES.workerRequest,
    durableObjects: (u.doRequests / per) * PRICES.doRequest,
    rowsWritten: (u.rowsWritten / per) * PRICES.rowWritten,
    rowsRead: (u.rowsRead / per) * PRICES.rowRead,
    queues: (u.queueOperations / per) * PRICES.queueOperation,
  };
  return { units: Object.fromEntries(Object.entries(u).map(([k, v]) => [k, v / per])), usd, total: sumOf(usd) };
}

/**
 * Bytes by table (indexes folded into their table) of the SQLite files under `dir`: the largest one
 * (`largest`) or all of them, read-only with node:sqlite's dbstat. Only the breakdown; the totals
 * come from the runtime.
 */
async function bytesByTable(dir, { largest = false } = {}) {
  let files;
  try {
    files = readdirSync(dir).filter((n) => n.endsWith(".sqlite")).map((n) => path.join(dir, n));
  } catch {
    return {};
  }
  if (largest) files = files.sort((a, b) => statSync(b).size - statSync(a).size).slice(0, 1);
  const { DatabaseSync } = await import("node:sqlite");
  const out = {};
  for (const file of files) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const owner = new Map(db.prepare("SELECT name, tbl_name FROM sqlite_master").all().map((r) => [r.name, r.tbl_name]));
      for (const r of db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all()) {
        const t = owner.get(r.name) ?? r.name;
        out[t] = (out[t] ?? 0) + r.bytes;
      }
    } finally {
      db.close();
    }
  }
  return out;
}

/** "table 12.3 KB, …", largest first. */
const kbList = (o, per = 1) => Object.entries(o).sort((a, b) => b[1] - a[1]).filter(([, v]) => v > 0).slice(0, 12).map(([k, v]) => `${k} ${(v / per / 1024).toFixed(1)} KB`).join(", ");

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** Print one phase's counters per event on stderr. */
function report(label, d, events, cpuSec) {
  const b = bill(d, events);
  log(`${label}: ${events} events; per event:`);
  log(`  worker requests ${f(d.workerRequests / events)} (+ ${f(d.queueInvocations / events)} queue consumer invocations), DO requests ${f((sumOf(d.doRequests) + d.alarms) / events)} ${JSON.stringify(Object.fromEntries(Object.entries(d.doRequests).map(([k, v]) => [k, +(v / events).toFixed(2)])))} + alarms ${f(d.alarms / events)}`);
  log(`  DO rows written ${f(d.doRowsWritten / events)} + setAlarm ${f(d.setAlarm / events)} + deleteAlarm ${f(d.deleteAlarm / events)}, DO rows read ${f(d.doRowsRead / events, 1)}`);
  log(`  D1 rows written ${f(d.d1RowsWritten / events)}, D1 rows read ${f(d.d1RowsRead / events, 1)} (${f(d.d1Queries / events)} queries with meta, ${f(d.d1QueriesWithoutMeta / events)} first/raw without)`);
  log(`  queue messages ${f(sumOf(d.queueConsumed) / events)} ${JSON.stringify(Object.fromEntries(Object.entries(d.queueConsumed).map(([k, v]) => [k, +(v / events).toFixed(2)])))}`);
  const top = Object.entries(d.writesBySql ?? {}).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 8);
  log(`  DO rows written by statement: ${top.map(([q, v]) => `${f(v / events)} ${q}`).join(" | ")}`);
  log(`  server CPU ${f((cpuSec * 1000) / events)} ms (wrangler dev + workerd, all of it, on this machine)`);
  log(`  USD per million: ${Object.entries(b.usd).map(([k, v]) => `${k} ${f(v, 3)}`).join(", ")} = ${f(b.total, 3)}`);
  return b;
}

async function main({ work, keys: { ingestKey, ownerKey } }) {
  const authToken = readDotEnv(path.join(repoRoot, ".dev.vars")).TWILIO_AUTH_TOKEN;
  const gateway = await startGatewayMock({ authToken, receipts: true });
  try {
    const server = await startBenchWorker(work, { vars: { GATEWAY: "twilio", TWILIO_API_BASE: gateway.url } });
    const idle = () => waitIdle(server, { extraBusy: () => gateway.receiptsPending() > 0 });
    const tag = Date.now().toString(36);
    const plan = planYear(tag);
    const perClass = MIX.map((m) => `${m.kind} ${Math.round(m.share * 100)}% (~${m.events} events, ${m.carts} cart runs, ${m.orders} orders, clicks ${m.click * 100}%, replies ${m.reply * 100}%)`);
    log(`mix: ${CONTACTS} contacts over one year in ${STEPS} steps: ${perClass.join("; ")}; ${BROADCASTS} broadcasts to everyone`);
    log("pruning: whatever this build does (this script does not prune); messages go to a Twilio mock that posts a delivered receipt each");
    await setClock(server, START);
    await configure(server, ownerKey);
    await idle();
    const cpu = () => serversCpuSeconds([server]);
    const before = await benchStats(server);
    const cpu0 = cpu();
    const broadcastSteps = new Set(Array.from({ length: BROADCASTS }, (_, i) => Math.floor(((i + 0.5) * STEPS) / BROADCASTS)));
    const byPhone = new Map(plan.map((c) => [c.phone, c]));
    const clickRnd = rng(SEED + 1);
    let events = 0;
    let clicks = 0;
    let replies = 0;
    let seen = 0;
    const t0 = Date.now();
    for (let s = 0; s < STEPS; s++) {
      const at = START + s * STEP_MS;
      await setClock(server, at);
      await call(server, "POST", "/__bench/tick");
      // A contact's calls of a step go in order (a signup's Subscribed needs the number its identify
      // brought: consent is per number); contacts go CONCURRENCY at a time.
      await mapLimit(plan, CONCURRENCY, async (c) => {
        for (const x of c.steps[s]) await send(server, ingestKey, x);
      });
      events += plan.reduce((n, c) => n + c.steps[s].length, 0);
      if (broadcastSteps.has(s)) await broadcast(server, ownerKey, s, at);
      await idle();
      await setClock(server, at + 3 * HOUR);
      await call(server, "POST", "/__bench/tick");
      await idle();
      // Clicks and replies to what was sent since the last look.
      const fresh = gateway.sends.slice(seen);
      seen = gateway.sends.length;
      const hits = [];
      for (const m of fresh) {
        const c = byPhone.get(m.to);
        if (!c) continue;
        const link = /(https?:\/\/\S+\/l\/[0-9A-Za-z]+)/.exec(m.body)?.[1];
        if (link && clickRnd() < c.cls.click) hits.push(() => fetch(link, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)" } }).then((r) => r.arrayBuffer()).then(() => clicks++));
        if (clickRnd() < c.cls.reply) {
          hits.push(() => postSigned(`${server.url}/webhooks/twilio/inbound`, { MessageSid: `SMr${s}x${replies}${m.sid}`.slice(0, 34), From: m.to, To: "+14155550100", Body: "Thanks, on my way", AccountSid: "AC00000000000000000000000000000000" }, authToken).then(() => replies++));
        }
      }
      await mapLimit(hits, CONCURRENCY, (h) => h());
      await idle();
      if ((s + 1) % Math.max(1, Math.floor(STEPS / 6)) === 0 || s === STEPS - 1) {
        log(`step ${s + 1}/${STEPS}: ${events} events, ${gateway.sends.length} messages, ${clicks} clicks, ${replies} replies in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      }
    }
    // One last tick for the last step's timers, then everything drained.
    await setClock(server, START + STEPS * STEP_MS);
    await call(server, "POST", "/__bench/tick");
    await idle();
    const year = await benchStats(server);
    const stateDir = path.join(work, "tidings-state", "v3");
    const d1Tables = await bytesByTable(path.join(stateDir, "d1", "miniflare-D1DatabaseObject"));
    const doTables = await bytesByTable(path.join(stateDir, "do", "tidings-bench-ContactDO"), { largest: true });
    const yearCpu = cpu() - cpu0;
    const dy = diff(before, year);
    const messages = gateway.sends.length;
    log(`year: ${events} API events, ${messages} messages (receipts for each), ${clicks} clicks, ${replies} replies in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    const yb = report("year (all work per API event)", dy, events, yearCpu);

    // Probe 1: a track by an existing contact that starts nothing.
    const known = plan.filter((c) => c.cls.kind === "quiet");
    const k0 = await benchStats(server);
    const kc0 = cpu();
    await mapLimit(Array.from({ length: PROBE }, (_, i) => known[i % known.length]), CONCURRENCY, (c) =>
      send(server, ingestKey, { type: "track", userId: c.userId, event: "Page Viewed", properties: { path: "/about" } }),
    );
    await idle();
    const k1 = await benchStats(server);
    const kb = report("known contact, a track that starts nothing", diff(k0, k1), PROBE, cpu() - kc0);

    // Probe 2: the same track, each by a brand-new contact.
    const n0 = k1;
    const nc0 = cpu();
    await mapLimit(Array.from({ length: PROBE }, (_, i) => i), CONCURRENCY, (i) =>
      send(server, ingestKey, { type: "track", userId: `cap-${tag}-new-${i}`, event: "Page Viewed", properties: { path: "/about" } }),
    );
    await idle();
    const n1 = await benchStats(server);
    const dn = diff(n0, n1);
    const nb = report("new contact, its first track", dn, PROBE, cpu() - nc0);
    log(`  a new contact's Durable Object: ${f(dn.dos.ContactDO.bytes / PROBE, 0)} bytes after its first event`);

    // Storage: the year's growth.
    const d1Bytes = year.d1Bytes - before.d1Bytes;
    const doBytes = year.dos.ContactDO.bytes - before.dos.ContactDO.bytes;
    const aliasBytes = year.dos.AliasDO.bytes - before.dos.AliasDO.bytes;
    const d1PerContact = d1Bytes / CONTACTS / YEAR_FRACTION;
    const doPerContact = doBytes / CONTACTS / YEAR_FRACTION;
    log(`storage after the year: D1 +${(d1Bytes / 1e6).toFixed(2)} MB (${f(d1PerContact, 0)} bytes per contact), ContactDO ${(doBytes / 1e6).toFixed(2)} MB over ${year.dos.ContactDO.objects} objects (${f(doPerContact, 0)} bytes per contact), AliasDO ${(aliasBytes / 1e6).toFixed(2)} MB over ${year.dos.AliasDO.objects}`);
    log(`D1 bytes by table, per contact (the whole file, configuration included; node:sqlite dbstat): ${kbList(d1Tables, CONTACTS)}`);
    log(`the largest ContactDO (an active shopper's year) by table: ${kbList(doTables)}`);
    const storageUsd = (d1PerContact / GB) * PRICES.d1GbMonth * 12 + ((doPerContact + aliasBytes / CONTACTS) / GB) * PRICES.doGbMonth * 12;
    log(`storage cost of a contact-year kept for a year (upper bound: the year-end size all year): $${f(storageUsd * 1e6, 2)} per million contacts per year`);
    log(`a new contact costs ${f(nb.total / kb.total, 2)}× a known contact's event (rows written ${f(nb.units.rowsWritten, 1)} vs ${f(kb.units.rowsWritten, 1)})`);
    log(`the year's operations: $${f(yb.total, 3)} per million API events (all messages, receipts, clicks, replies included)`);

    const contactsPerD1 = Math.floor(D1_MAX_BYTES / d1PerContact);
    const d1RowsPerEvent = dy.d1RowsWritten / events;
    const doRowsPerEvent = (dy.doRowsWritten + dy.setAlarm + dy.deleteAlarm) / events;
    if (contactsPerD1 < GOALS.contactsPerD1) log(`note: contacts_per_d1 ${contactsPerD1} is below the ${GOALS.contactsPerD1} goal`);
    if (kb.total > GOALS.usdPerMillion) log(`note: usd_per_million_events ${f(kb.total, 3)} is above the ${GOALS.usdPerMillion} goal`);
    return `BENCH capacity d1_bytes_per_contact_year=${Math.round(d1PerContact)} do_bytes_per_contact_year=${Math.round(doPerContact)} d1_rows_per_event=${f(d1RowsPerEvent, 2)} do_rows_per_event=${f(doRowsPerEvent, 2)} usd_per_million_events=${f(kb.total, 3)} contacts_per_d1=${contactsPerD1}`;
  } finally {
    await gateway.close();
  }
}

runBench(() => {
  requireNode("bench/capacity.mjs");
  return localKeys();
}, main);
