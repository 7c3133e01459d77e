/**
 * Bench-only Worker for bench/reports.mjs (never deployed): generates a deterministic history of
 * records inside the Workers runtime and writes it through the records consumer's `writeRecords` in
 * batches of 100 (the records queue's max_batch_size), then answers each report built from the
 * rollups or from the full scan of the raw rows, with the totals it was built from.
 *
 *   POST /load?seed=&from=&count=   units [from, from+count) → { records, batches }
 *   GET  /report?kind=&source=rollup|scan&from=&to=   → { report, totals }
 *
 * A unit is one contact's journey in one flow, always UNIT_RECORDS (10) records, so record i belongs
 * to unit ⌊i/10⌋ and a run of N records is N/10 units: a run (10% held out in holdout flows), two
 * messages at three revisions each (queued → sent → delivered, failed, undelivered or still sent),
 * a click or preview, an outcome, and one of a goal conversion, a stage change, a gate decision or a
 * consent change. 60% of the records are message revisions.
 */
import { writeRecords } from "../src/records/consumer";
import type { MessageRecord, RecordMessage } from "../src/records/types";
import { brandTotals, flowsReport, jobsReport, stagesReport, templatesReport } from "../src/reports/report";
import { rollupCohorts, rollupTotals } from "../src/reports/rollups";
import { scanCohorts, scanTotals } from "../src/reports/scan";
import type { Cohorts, Totals } from "../src/reports/totals";
import { getConfig } from "../src/settings/config";
import { stagesOf } from "../src/settings/schema";
import { JOBS } from "../src/settings/vocabulary";

const DAY = 86_400_000;
const MIN = 60_000;
/** Records per unit. */
const UNIT_RECORDS = 10;
/** The history covers 90 days from here (UTC). */
const BASE = Date.UTC(2026, 7, 26);
const FLOWS = Array.from({ length: 20 }, (_, i) => ({
  key: `flow-${String(i).padStart(2, "0")}`,
  job: JOBS[i % JOBS.length]!,
  holdout: i % 4 === 0 ? 0.1 : 0,
}));
const STAGES = ["lead", "subscriber", "customer", "repeat", "lapsed"];
const REASONS = [["skipped", "no_consent:marketing"], ["skipped", "holdout"], ["deferred", "quiet_hours:US"], ["deferred", "cap:daily"], ["skipped", "expired"]] as const;
const OUTCOMES: Array<[number, string, boolean]> = [
  // weight, type, credited to a message
  [35, "conversion", true], [10, "conversion", false], [10, "opt_out", true], [5, "opt_out", false], [15, "reply", true], [5, "reply", false],
  [8, "appointment", false], [4, "no_show", false], [4, "meeting", false], [2, "opportunity", false], [2, "won", false],
];

/** mulberry32 seeded from (seed, unit): the same unit always gives the same records. */
function rngOf(seed: number, unit: number): () => number {
  let a = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(unit + 1, 0xc2b2ae35)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The UNIT_RECORDS records of one unit, in the order a contact would produce them. */
function unitRecords(seed: number, u: number): RecordMessage[] {
  const rnd = rngOf(seed, u);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const contactId = `c${seed}-${u}`;
  const t0 = BASE + Math.floor(rnd() * 90 * DAY);
  const flowIndex = Math.min(19, Math.floor(rnd() ** 1.4 * 20)); // some flows busier than others
  const flow = FLOWS[flowIndex]!;
  const holdout = flow.holdout > 0 && rnd() < flow.holdout;
  const stage = rnd() < 0.08 ? null : pick(STAGES);
  const country = rnd();
  const [to, gateway] = country < 0.6 ? [`+1415${int(2_000_000, 8_999_999)}`, "twilio"]
    : country < 0.75 ? [`+447700${int(100_000, 999_999)}`, "twilio"]
    : country < 0.9 ? [`+48500${int(100_000, 999_999)}`, "smsapi"]
    : [`+4915${int(100_000_000, 999_999_999)}`, "smsapi:eu"];
  const out: RecordMessage[] = [];
  out.push({
    kind: "run", id: `r${seed}-${u}`, rev: 1, contactId, flowKey: flow.key, version: 1, step: "start", status: "active",
    startedAt: t0, updatedAt: t0, job: flow.job, holdout,
  });
  const messages: MessageRecord[] = [];
  for (const n of [0, 1]) {
    const created = t0 + (n === 0 ? int(0, 10 * MIN) : int(DAY, 3 * DAY));
    const oneOff = holdout || rnd() < 0.05;
    const base: MessageRecord = {
      kind: "message", id: `m${seed}-${u}-${n}`, rev: 1, contactId,
      flowKey: oneOff ? null : flow.key, runId: oneOff ? null : `r${seed}-${u}`, step: oneOff ? null : `send-${n}`,
      templateKey: oneOff ? pick(["oneoff:notice", "system:consent_request"]) : `${flow.key}-t${n === 0 ? 0 : int(1, 2)}`, templateVersion: 1,
      purpose: "marketing", job: oneOff ? "transactional" : flow.job, stage, to, body: "Hello from the bench", segments: null, encoding: null,
      status: "queued", reason: null, errorCode: null, errorMessage: null, gateway: null, providerId: null,
      createdAt: created, expiresAt: created + DAY, sentAt: null, deliveredAt: null, updatedAt: created, consent: null,
    };
    const sentAt = created + int(1_000, 60_000);
    const sent: MessageRecord = { ...base, rev: 2, status: "sent", sentAt, updatedAt: sentAt, segments: int(1, 3), encoding: "GSM-7", gateway, providerId: `p${u}-${n}` };
    const fate = rnd();
    const later = sentAt + int(2_000, 600_000);
    const last: MessageRecord = fate < 0.8 ? { ...sent, rev: 3, status: "delivered", deliveredAt: later, updatedAt: later }
      : fate < 0.9 ? { ...sent, rev: 3, status: "failed", errorCode: "30003", updatedAt: later }
      : fate < 0.95 ? { ...sent, rev: 3, status: "undelivered", errorCode: "30005", updatedAt: later }
      : { ...sent, rev: 3, updatedAt: later };
    out.push(base, sent, last);
    messages.push(last);
  }
  const m = messages[0]!;
  const clickAt = (m.deliveredAt ?? m.sentAt!) + int(MIN, 6 * 60 * MIN);
  out.push({
    kind: "click", id: `k${seed}-${u}`, code: `code${u}`, messageId: m.id, contactId, flowKey: m.flowKey, templateKey: m.templateKey,
    click: rnd() < 0.8 ? "click" : "preview", reason: null, userAgent: "bench", at: clickAt, job: m.job, stage: m.stage,
  });
  let w = rnd() * 100;
  let [, type, credited] = OUTCOMES[0]!;
  for (const o of OUTCOMES) {
    if ((w -= o[0]) < 0) {
      [, type, credited] = o;
      break;
    }
  }
  const revenue = type === "conversion" ? Math.round(rnd() * 20_000) / 100 : null;
  out.push({
    kind: "outcome", id: `o${seed}-${u}`, contactId, type: type as "conversion", event: type, at: clickAt + int(MIN, 2 * DAY),
    revenue, currency: revenue === null ? null : rnd() < 0.7 ? "USD" : "EUR",
    messageId: credited ? m.id : null, flowKey: credited ? m.flowKey : null, templateKey: credited ? m.templateKey : null, templateVersion: credited ? 1 : null,
    stage: credited ? m.stage : null, job: credited ? m.job : null, touch: credited ? "click" : null, touchAt: credited ? clickAt : null,
  });
  const last = rnd();
  if (last < 0.4) {
    const value = rnd() < 0.8 ? Math.round(rnd() * 30_000) / 100 : null;
    out.push({
      kind: "conversion", id: `g${seed}-${u}`, contactId, runId: `r${seed}-${u}`, flowKey: flow.key, event: "Order Completed",
      revenue: value, currency: value === null ? null : rnd() < 0.6 ? "USD" : "EUR", at: t0 + int(5 * MIN, 5 * DAY), holdout, startedAt: t0, job: flow.job,
    });
  } else if (last < 0.7) {
    const from = rnd() < 0.15 ? null : pick(STAGES);
    out.push({
      kind: "stage_change", id: `s${seed}-${u}`, contactId, from, to: pick(STAGES.filter((s) => s !== from)), reason: "rule",
      at: t0 + int(0, 2 * DAY), fromAt: from ? t0 - int(MIN, 60 * DAY) : null,
    });
  } else if (last < 0.85) {
    const [outcome, reason] = pick(REASONS);
    out.push({ kind: "decision", id: `d${seed}-${u}`, contactId, messageId: m.id, flowKey: m.flowKey ?? undefined, outcome, reason, at: t0 + int(0, DAY) });
  } else {
    out.push({
      kind: "consent", id: `a${seed}-${u}`, contactId, purpose: rnd() < 0.8 ? "marketing" : "transactional", action: pick(["grant", "confirm", "revoke"]),
      state: "granted", source: pick(["form", "keyword", "import", "shopify"]), hasText: true, hasProof: false, at: t0 + int(0, DAY),
    });
    const c = out[out.length - 1] as { action: string; state: string };
    if (c.action === "revoke") c.state = "revoked";
  }
  return out;
}

const REPORTS: Record<string, { dims: string[]; cohorts?: boolean }> = {
  flows: { dims: ["flow", "cohort"] },
  templates: { dims: ["template"] },
  jobs: { dims: ["job", "source", "all"] },
  stages: { dims: ["move", "stage", "all"], cohorts: true },
  overview: { dims: ["all"] },
};

const plain = (t: Totals | Cohorts) => Object.fromEntries([...t].map(([d, keys]) => [d, Object.fromEntries([...keys].map(([k, m]) => [k, Object.fromEntries(m)]))]));

/** One report, from the rollups or from the scan, as the route builds it (without its D1 look-ups of flows and contacts). */
async function report(db: D1Database, kind: string, source: string, from: number, to: number) {
  const spec = REPORTS[kind];
  if (!spec) throw new Error(`unknown kind ${kind}`);
  const totalsOf = source === "scan" ? scanTotals : rollupTotals;
  const cohortsOf = source === "scan" ? scanCohorts : rollupCohorts;
  const [totals, cohorts, config] = await Promise.all([
    totalsOf(db, spec.dims, from, to),
    spec.cohorts ? cohortsOf(db, from, to) : Promise.resolve(undefined),
    kind === "stages" ? getConfig(db) : Promise.resolve(undefined),
  ]);
  const body =
    kind === "flows" ? flowsReport(totals, [])
    : kind === "templates" ? templatesReport(totals)
    : kind === "jobs" ? jobsReport(totals)
    : kind === "stages" ? stagesReport(totals, cohorts!, stagesOf(config!.settings))
    : brandTotals(totals);
  return { report: body, totals: plain(totals), ...(cohorts ? { cohorts: plain(cohorts) } : {}) };
}

export default {
  async fetch(req: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(req.url);
    const q = (k: string) => Number(url.searchParams.get(k) ?? NaN);
    try {
      if (req.method === "POST" && url.pathname === "/load") {
        const [seed, from, count] = [q("seed"), q("from"), q("count")];
        let records = 0;
        let batches = 0;
        let batch: RecordMessage[] = [];
        for (let u = from; u < from + count; u++) {
          batch.push(...unitRecords(seed, u));
          if (batch.length >= 100) {
            await writeRecords(env as unknown as Env, batch.splice(0, 100));
            records += 100;
            batches++;
          }
        }
        if (batch.length) {
          await writeRecords(env as unknown as Env, batch);
          records += batch.length;
          batches++;
        }
        return Response.json({ records, batches });
      }
      if (url.pathname === "/report") {
        return Response.json(await report(env.DB, url.searchParams.get("kind") ?? "", url.searchParams.get("source") ?? "rollup", q("from"), q("to")));
      }
      if (url.pathname === "/range") return Response.json({ from: Math.floor(BASE / DAY), to: Math.floor(BASE / DAY) + 94 });
      return new Response("tidings reports bench worker\n");
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};
