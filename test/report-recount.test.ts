// Report rollups never drift from the raw rows: a mixed history written through the records consumer,
// redelivered (the same batch twice, overlapping batches, old message revisions after new ones), gives
// the same totals from the rollups as a full recount of the rows, and the numbers the test expects.
// The recount compares hot rows only: once retention prunes raw rows (test/retention-and-archive.test.ts
// shows the reports stay the same), a recount agrees with the rollups for the days still hot.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../src/records/consumer";
import type {
  ClickRecord, ConsentChangeRecord, ConversionRecord, DecisionRecord, MessageRecord, OutcomeRecord, RecordMessage, RunRecord, StageChangeRecord,
} from "../src/records/types";
import { dayOf } from "../src/reports/attribution";
import { brandTotals, flowsReport, jobsReport, stagesReport, templatesReport } from "../src/reports/report";
import { rollupCohorts, rollupTotals } from "../src/reports/rollups";
import { scanCohorts, scanTotals } from "../src/reports/scan";
import type { Cohorts, Totals } from "../src/reports/totals";
import { getConfig } from "../src/settings/config";
import { stagesOf } from "../src/settings/schema";
import { DAY, HOUR, MIN, api, unique } from "./helpers";

const DIMS = ["all", "flow", "template", "job", "stage", "cohort", "move", "stage_cohort", "source", "variant"] as const;
/** 2026-10-05 (a Monday), 00:00 UTC: day 0 of the history. */
const T0 = Date.UTC(2026, 9, 5);
const D0 = dayOf(T0);
const at = (day: number, hours = 12, minutes = 0) => T0 + day * DAY + hours * HOUR + minutes * MIN;
const iso = (day: number) => new Date((D0 + day) * DAY).toISOString().slice(0, 10);

/** Totals (or cohorts) as plain nested objects, for readable failures. */
const plain = (t: Totals | Cohorts) => Object.fromEntries([...t].map(([d, keys]) => [d, Object.fromEntries([...keys].map(([k, m]) => [k, Object.fromEntries(m)]))]));

/** Deep equality with numbers within 1e-9 relative (money is summed in a different order). */
function expectClose(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof actual === "number" && typeof expected === "number") {
    if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected))) expect(actual, path).toBe(expected);
    return;
  }
  if (actual === null || expected === null || typeof actual !== "object" || typeof expected !== "object") {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(Object.keys(actual).sort(), path).toEqual(Object.keys(expected).sort());
  for (const k of Object.keys(actual)) expectClose((actual as any)[k], (expected as any)[k], `${path}.${k}`);
}

/** A seeded history with fresh ids: every record kind, several revisions per message. */
function history() {
  const p = unique("rc");
  const contact = (n: number) => `${p}-c${n}`;
  const runs: RunRecord[] = [];
  const revisions: MessageRecord[][] = [];
  const others: RecordMessage[] = [];

  type Msg = {
    flow: string | null; template: string; job: string; stage: string | null; to: string | null; gateway: string | null; segments: number | null;
    created: number; sent?: number; delivered?: number; failed?: { at: number; status: "failed" | "undelivered" };
  };
  const message = (n: number, m: Msg): MessageRecord[] => {
    const base: MessageRecord = {
      kind: "message", id: `${p}-m${n}`, rev: 1, contactId: contact(n % 7), flowKey: m.flow, runId: null, step: null, templateKey: m.template,
      templateVersion: 1, purpose: "marketing", job: m.job, stage: m.stage, to: m.to, body: "Hi", segments: null, encoding: null, status: "queued",
      reason: null, errorCode: null, errorMessage: null, gateway: null, providerId: null, createdAt: m.created, expiresAt: m.created + DAY,
      sentAt: null, deliveredAt: null, updatedAt: m.created, consent: null,
    };
    if (m.sent === undefined) return [base, { ...base, rev: 2, status: "skipped", reason: "quiet_hours:US", updatedAt: m.created + MIN }];
    const sent: MessageRecord = { ...base, rev: 2, status: "sent", sentAt: m.sent, updatedAt: m.sent, segments: m.segments, gateway: m.gateway, providerId: `pv${n}` };
    if (m.delivered !== undefined) return [base, sent, { ...sent, rev: 3, status: "delivered", deliveredAt: m.delivered, updatedAt: m.delivered }];
    if (m.failed) return [base, sent, { ...sent, rev: 3, status: m.failed.status, errorCode: "30003", updatedAt: m.failed.at }];
    return [base, sent];
  };

  // Hand-picked edges: a send crossing midnight, failures on a later day, no gateway (no cost), no segments, never sent.
  const fixed: Msg[] = [
    { flow: "welcome", template: "welcome-1", job: "activation", stage: "lead", to: "+14155550123", gateway: "twilio", segments: 1, created: at(0, 10), sent: at(0, 10, 1), delivered: at(0, 10, 2) },
    { flow: "welcome", template: "welcome-1", job: "activation", stage: "lead", to: "+447700900123", gateway: "twilio:main", segments: 2, created: at(0, 23, 59), sent: at(1, 0, 1), delivered: at(1, 0, 3) },
    { flow: "welcome", template: "welcome-2", job: "activation", stage: "customer", to: "+48500100200", gateway: "smsapi", segments: 1, created: at(2), sent: at(2, 12, 5), failed: { at: at(3, 1), status: "failed" } },
    { flow: "winback", template: "winback-1", job: "reactivation", stage: null, to: "+4915112345678", gateway: "smsapi:eu", segments: 3, created: at(5), sent: at(5, 13), failed: { at: at(5, 14), status: "undelivered" } },
    { flow: null, template: "oneoff:notice", job: "transactional", stage: "customer", to: "+14155550124", gateway: "sandbox", segments: 1, created: at(6), sent: at(6, 12, 1), delivered: at(6, 12, 2) },
    { flow: null, template: "system:consent_request", job: "acquisition", stage: null, to: "+14155550125", gateway: "twilio", segments: 1, created: at(7), sent: at(7, 12, 1), delivered: at(7, 12, 3) },
    { flow: "welcome", template: "welcome-2", job: "activation", stage: "lead", to: "+14155550126", gateway: null, segments: null, created: at(8) },
    { flow: "winback", template: "winback-1", job: "reactivation", stage: "customer", to: "+14155550127", gateway: null, segments: 1, created: at(9, 22), sent: at(10, 9), delivered: at(10, 9, 1) },
    { flow: "welcome", template: "welcome-1", job: "activation", stage: "lead", to: "+14155550128", gateway: "twilio", segments: null, created: at(11), sent: at(11, 12, 1), delivered: at(11, 13) },
    { flow: "welcome", template: "welcome-1", job: "activation", stage: "lead", to: "+14155550129", gateway: "twilio", segments: 2, created: at(12), sent: at(12, 12, 1) },
  ];
  // And some volume: 40 more over three weeks, cycling through flows, templates, stages, countries and fates.
  const flows = [["welcome", "welcome-1", "activation"], ["welcome", "welcome-2", "activation"], ["winback", "winback-1", "reactivation"], [null, "oneoff:notice", "transactional"]] as const;
  const phones = [["+14155551000", "twilio"], ["+447700900500", "twilio"], ["+48500100300", "smsapi"], ["+33612345678", "smsapi"]] as const;
  for (let i = 0; i < 40; i++) {
    const [flow, template, job] = flows[i % 4]!;
    const [to, gateway] = phones[(i * 3) % 4]!;
    const created = at(i % 21, (i * 5) % 24, (i * 7) % 60);
    fixed.push({
      flow, template, job, stage: [null, "lead", "customer"][i % 3]!, to, gateway, segments: 1 + (i % 3), created,
      sent: created + 30_000, ...(i % 5 === 4 ? { failed: { at: created + 2 * HOUR, status: "failed" as const } } : { delivered: created + 90_000 }),
    });
  }
  fixed.forEach((m, n) => revisions.push(message(n, m)));

  // Runs: welcome (activation, no holdout) and winback (reactivation, with a control group).
  for (let i = 0; i < 12; i++) {
    const flow = i % 2 ? "winback" : "welcome";
    runs.push({
      kind: "run", id: `${p}-r${i}`, rev: 1, contactId: contact(i), flowKey: flow, version: 1, step: "start", status: "active",
      startedAt: at(i * 2, 8), updatedAt: at(i * 2, 8), job: flow === "welcome" ? "activation" : "reactivation", holdout: flow === "winback" && i % 3 === 0,
    });
  }
  // Later revisions of a few runs (the entry counts once, from the first revision written).
  const runRevisions = runs.slice(0, 4).map((r) => ({ ...r, rev: 2, step: "wait", updatedAt: r.updatedAt + HOUR }));

  const conversion = (i: number, c: Partial<ConversionRecord>): ConversionRecord => {
    const run = runs[i]!;
    return {
      kind: "conversion", id: `${p}-g${i}`, contactId: run.contactId, runId: run.id, flowKey: run.flowKey, event: "Order Completed",
      revenue: null, currency: null, at: run.startedAt + (i + 1) * 7 * HOUR, holdout: run.holdout, startedAt: run.startedAt, job: run.job, ...c,
    };
  };
  const conversions: ConversionRecord[] = [
    conversion(0, { revenue: 40, currency: "USD" }),
    conversion(1, { revenue: 12.5, currency: "EUR" }), // holdout (control)
    conversion(2, { revenue: 19.99, currency: "USD" }),
    conversion(3, { revenue: 7.25, currency: "EUR" }),
    conversion(4, {}), // no revenue
    conversion(6, { revenue: 0.1, currency: "USD" }),
    conversion(7, { revenue: 0.2, currency: "EUR", at: runs[7]!.startedAt + 20 * DAY }), // converts long after (outside shorter ranges)
    conversion(8, { flowKey: null, revenue: 99, currency: "USD" }), // no flow: no facts
    conversion(10, { startedAt: undefined, revenue: 5, currency: "USD" }), // no entry time: no facts
  ];

  const msg = (n: number) => revisions[n]!.at(-1)!;
  const outcome = (i: number, o: Partial<OutcomeRecord> & Pick<OutcomeRecord, "type" | "at">, credit?: MessageRecord): OutcomeRecord => ({
    kind: "outcome", id: `${p}-o${i}`, contactId: contact(i), event: o.type, revenue: null, currency: null,
    messageId: credit?.id ?? null, flowKey: credit?.flowKey ?? null, templateKey: credit?.templateKey ?? null, templateVersion: credit ? 1 : null,
    stage: credit?.stage ?? null, job: credit?.job ?? null, touch: credit ? "delivery" : null, touchAt: credit?.deliveredAt ?? null, ...o,
  });
  const outcomes: OutcomeRecord[] = [
    outcome(0, { type: "conversion", at: at(0, 18), revenue: 25.5, currency: "USD" }, msg(0)),
    outcome(1, { type: "conversion", at: at(1, 2), revenue: 30, currency: "EUR" }, msg(1)),
    outcome(2, { type: "conversion", at: at(6, 20), revenue: 9.99, currency: "USD" }, msg(4)), // one-off message
    outcome(3, { type: "conversion", at: at(3), revenue: 10, currency: "EUR" }), // unattributed
    outcome(4, { type: "conversion", at: at(4) }), // unattributed, no revenue
    outcome(5, { type: "opt_out", at: at(5, 15) }, msg(3)),
    outcome(6, { type: "opt_out", at: at(6) }),
    outcome(7, { type: "reply", at: at(0, 11) }, msg(0)),
    outcome(8, { type: "reply", at: at(9) }),
    outcome(9, { type: "appointment", at: at(10) }),
    outcome(10, { type: "appointment", at: at(13) }),
    outcome(11, { type: "no_show", at: at(13, 14) }),
    outcome(12, { type: "meeting", at: at(14) }),
    outcome(13, { type: "opportunity", at: at(15) }),
    outcome(14, { type: "won", at: at(16) }),
  ];

  const click = (i: number, m: MessageRecord, kind: "click" | "preview", when: number): ClickRecord => ({
    kind: "click", id: `${p}-k${i}`, code: `code${i}`, messageId: m.id, contactId: m.contactId, flowKey: m.flowKey, templateKey: m.templateKey,
    click: kind, reason: null, userAgent: "test", at: when, job: m.job, stage: m.stage,
  });
  const clicks = [click(0, msg(0), "click", at(0, 11)), click(1, msg(0), "preview", at(0, 10, 5)), click(2, msg(4), "click", at(7, 1)), click(3, msg(12), "click", at(14))];

  const stage = (i: number, from: string | null, to: string, when: number, fromAt: number | null): StageChangeRecord => ({
    kind: "stage_change", id: `${p}-s${i}`, contactId: contact(i), from, to, reason: "rule", at: when, fromAt,
  });
  const stages = [
    stage(0, null, "lead", at(0, 9), null),
    stage(1, "lead", "customer", at(3), at(0, 9)),
    stage(2, "customer", "lapsed", at(12), at(3)),
    stage(3, "lead", "customer", at(8), at(-10)), // entered lead before the history: cohort week outside short ranges
    stage(4, "lead", "lapsed", at(9), at(1)),
    stage(5, "lead", "customer", at(20), null), // no entry time: a move, no dwell
  ];

  const consent = (i: number, c: Partial<ConsentChangeRecord>): ConsentChangeRecord => ({
    kind: "consent", id: `${p}-a${i}`, contactId: contact(i), purpose: "marketing", action: "grant", state: "granted", source: "form", hasText: true, hasProof: false, at: at(i), ...c,
  });
  const consents = [
    consent(0, {}), consent(1, { action: "confirm", source: "keyword" }), consent(2, { source: "keyword" }),
    consent(3, { purpose: "transactional" }), consent(4, { action: "revoke", state: "revoked" }), consent(5, { state: "pending" }),
  ];

  const decision = (i: number, d: Partial<DecisionRecord>): DecisionRecord => ({
    kind: "decision", id: `${p}-d${i}`, contactId: contact(i), outcome: "skipped", reason: "holdout", at: at(i), ...d,
  });
  const decisions = [
    decision(0, { flowKey: "winback" }), decision(1, { outcome: "deferred", reason: "quiet_hours:US", flowKey: "welcome", until: at(2) }),
    decision(2, { reason: "no_consent:marketing" }), decision(3, { outcome: "sent", reason: "ok", flowKey: "welcome" }),
    decision(4, { outcome: "deferred", reason: "cap:daily", flowKey: "welcome", until: at(5) }),
  ];

  others.push(...conversions, ...outcomes, ...clicks, ...stages, ...consents, ...decisions);
  return { revisions, runs, runRevisions, conversions, outcomes, clicks, stages, others };
}

/** Batches of at most 100 records, as the records queue delivers them. */
function batches(records: RecordMessage[]): RecordMessage[][] {
  const out: RecordMessage[][] = [];
  for (let i = 0; i < records.length; i += 100) out.push(records.slice(i, i + 100));
  return out;
}

/** Every dimension, then all dimensions at once, and the cohorts: rollups and recount agree over days `from`..`to`. */
async function expectRecountMatches(from: number, to: number) {
  for (const dim of DIMS) {
    const [r, s] = await Promise.all([rollupTotals(env.DB, [dim], from, to), scanTotals(env.DB, [dim], from, to)]);
    expectClose(plain(r), plain(s), `${dim} ${from}..${to}`);
  }
  const [r, s] = await Promise.all([rollupTotals(env.DB, DIMS, from, to), scanTotals(env.DB, DIMS, from, to)]);
  expectClose(plain(r), plain(s), `all dims ${from}..${to}`);
  expectClose(plain(await rollupCohorts(env.DB, from, to)), plain(await scanCohorts(env.DB, from, to)), `cohorts ${from}..${to}`);
  return r;
}

const seeded = history();
// The first revision of every message, then the others, interleaved with everything else.
const firsts = seeded.revisions.map((r) => r[0]!);
const rest = seeded.revisions.flatMap((r) => r.slice(1));
const stream: RecordMessage[] = [...seeded.runs, ...firsts, ...seeded.others.slice(0, 20), ...rest.slice(0, 60), ...seeded.runRevisions, ...seeded.others.slice(20), ...rest.slice(60)];

/** Write the history once for the file's tests: batches, redelivered and reordered. */
let written: Promise<void> | undefined;
const writeHistory = () => (written ??= (async () => {
  const bs = batches(stream);
  expect(bs.length).toBeGreaterThan(2);
  // Older revisions after newer: the last revision of the first ten messages arrives before all of them.
  await writeRecords(env, seeded.revisions.slice(0, 10).map((r) => r.at(-1)!));
  for (const [i, b] of bs.entries()) {
    await writeRecords(env, b);
    if (i === 0) await writeRecords(env, b); // the same batch twice
  }
  // Overlapping redeliveries: the tail of one batch with the head of the next, and everything once more.
  for (let i = 0; i + 1 < bs.length; i++) await writeRecords(env, [...bs[i]!.slice(50), ...bs[i + 1]!.slice(0, 50)]);
  for (const b of batches([...stream].reverse())) await writeRecords(env, b);
})());

describe("report rollups against a recount of the rows", () => {
  it("agree after a mixed history is written, redelivered and reordered", async () => {
    await writeHistory();
    const totals = await expectRecountMatches(D0 - 15, D0 + 45);
    // Ranges that cut through the history (facts of one record on different days: sent after midnight,
    // failed the next day, converted weeks after entry, left a stage entered before), and single days.
    for (const [a, b] of [[1, 9], [3, 14], [15, 45], [1, 1], [3, 3], [5, 5]] as const) await expectRecountMatches(D0 + a, D0 + b);

    // Numbers the test computes from its own data.
    const finals = seeded.revisions.map((r) => r.at(-1)!);
    const sentBy = new Map<string, number>();
    for (const m of finals) if (m.sentAt !== null) sentBy.set(m.flowKey ?? "(one-off)", (sentBy.get(m.flowKey ?? "(one-off)") ?? 0) + 1);
    for (const [flow, n] of sentBy) expect(totals.get("flow")?.get(flow)?.get("sent"), flow).toBe(n);
    const brand = totals.get("all")!.get("brand")!;
    expect(brand.get("messages")).toBe(finals.length);
    expect(brand.get("sent")).toBe(finals.filter((m) => m.sentAt !== null).length);
    expect(brand.get("delivered")).toBe(finals.filter((m) => m.deliveredAt !== null).length);
    expect(brand.get("failed")).toBe(finals.filter((m) => m.status === "failed" || m.status === "undelivered").length);
    expect(brand.get("segments")).toBe(finals.reduce((s, m) => s + (m.sentAt !== null ? (m.segments ?? 0) : 0), 0));
    const revenue = (list: OutcomeRecord[], currency: string) => list.filter((o) => o.currency === currency).reduce((s, o) => s + o.revenue!, 0);
    const credited = seeded.outcomes.filter((o) => o.type === "conversion" && o.messageId);
    const uncredited = seeded.outcomes.filter((o) => o.type === "conversion" && !o.messageId);
    expect(brand.get("revenue:USD")).toBeCloseTo(revenue(credited, "USD"), 9);
    expect(brand.get("revenue:EUR")).toBeCloseTo(revenue(credited, "EUR"), 9);
    expect(brand.get("unattributed_revenue:EUR")).toBeCloseTo(revenue(uncredited, "EUR"), 9);
    expect(brand.get("conversions")).toBe(credited.length);
    expect(brand.get("unattributed_conversions")).toBe(uncredited.length);
    expect(brand.get("clicks")).toBe(seeded.clicks.filter((c) => c.click === "click").length);
    expect(brand.get("appointments")).toBe(2);
    expect(brand.get("skipped:no_consent:marketing")).toBe(1);
    expect(brand.get("sent:ok")).toBeUndefined();
    // Goal revenue by the cohort's entry: welcome's sent cohort in USD, winback's cohorts in EUR.
    const goals = seeded.conversions.filter((c) => c.flowKey === "welcome" && c.startedAt !== undefined && !c.holdout);
    const welcome = totals.get("cohort")!.get("welcome")!;
    expect(welcome.get("converted:sent")).toBe(goals.length);
    expect(welcome.get("revenue:sent:USD")).toBeCloseTo(goals.filter((c) => c.currency === "USD").reduce((s, c) => s + c.revenue!, 0), 9);
    const winback = totals.get("cohort")!.get("winback")!;
    const eur = (holdout: boolean) => seeded.conversions.filter((c) => c.flowKey === "winback" && !!c.holdout === holdout && c.currency === "EUR").reduce((s, c) => s + c.revenue!, 0);
    expect(winback.get("revenue:sent:EUR")).toBeCloseTo(eur(false), 9);
    expect(winback.get("revenue:control:EUR")).toBeCloseTo(eur(true), 9);
    expect(welcome.get("entered:sent")).toBe(seeded.runs.filter((r) => r.flowKey === "welcome").length);
    expect(totals.get("flow")!.get("winback")!.get("held_out")).toBe(seeded.runs.filter((r) => r.holdout).length);
    expect(totals.get("move")!.get("lead>customer")!.get("moves")).toBe(3);
    expect(totals.get("source")!.get("keyword")!.get("opted_in")).toBe(2);
    expect(totals.get("job")!.get("acquisition")!.get("prompts")).toBe(1);
    // Costs exist (price table in settings) and match the recount; a message without a gateway costs nothing.
    expect(brand.get("cost:USD")).toBeGreaterThan(0);
  });

  it("routes answer the recount's numbers, as JSON and CSV; bad ranges are 400 naming the field", async () => {
    await writeHistory();
    const [from, to] = [D0 - 15, D0 + 45];
    const q = `from=${iso(-15)}&to=${iso(45)}`;
    const get = async (kind: string, extra = "") => {
      const r = await api("GET", `/v1/reports/${kind}?${q}${extra}`);
      expect(r.status, `${kind}${extra}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
      return r;
    };
    const scan = (dims: string[]) => scanTotals(env.DB, dims, from, to);

    const flows = (await get("flows")).body;
    expect([flows.from, flows.to]).toEqual([iso(-15), iso(45)]);
    // No flow is configured in this file's D1, so the route knows flows only by their activity.
    expectClose(flows.flows, flowsReport(await scan(["flow", "cohort"]), []), "flows");
    expect(flows.flows.find((f: any) => f.flow === "welcome").deferred).toEqual({ "quiet_hours:US": 1, "cap:daily": 1 });
    expectClose((await get("templates")).body.templates, templatesReport(await scan(["template"])), "templates");
    expectClose((await get("jobs")).body.jobs, jobsReport(await scan(["job", "source", "all"])), "jobs");
    const stages = (await get("stages")).body;
    const expected = stagesReport(await scan(["move", "stage", "all"]), await scanCohorts(env.DB, from, to), stagesOf((await getConfig(env.DB)).settings));
    expectClose({ moves: stages.moves, stages: stages.stages, cohorts: stages.cohorts, b2b: stages.b2b }, expected, "stages");
    const overview = (await get("overview")).body;
    const brand = brandTotals(await scan(["all"]));
    for (const [k, v] of Object.entries(brand)) expectClose(overview[k], v, `overview.${k}`);
    expect(overview.days).toHaveLength(61);
    expect(overview.days.reduce((s: number, d: any) => s + d.sent, 0)).toBe(brand.sent);
    // One flow only.
    expect((await get("flows", "&key=winback")).body.flows.map((f: any) => f.flow)).toEqual(["winback"]);

    // CSV: a header row, then one line per report row.
    const rowsOf: Record<string, number> = {
      flows: flows.flows.length, templates: templatesReport(await scan(["template"])).length, jobs: 7,
      stages: stages.moves.length + stages.stages.length + stages.cohorts.length + 1, overview: 61,
    };
    for (const [kind, n] of Object.entries(rowsOf)) {
      const r = await get(kind, "&format=csv");
      expect(r.type).toContain("text/csv");
      const lines = (r.body as string).split("\r\n");
      expect(lines.at(-1)).toBe("");
      expect(lines.length - 2, kind).toBe(n);
      expect(lines[0]!.split(",").length).toBeGreaterThan(3);
    }
    expect(((await get("flows", "&format=csv")).body as string).split("\r\n")[0]).toMatch(/^flow,name,status,job,holdout,entered,heldOut,sent,/);

    // Bad input: 400 problem+json naming the field (query validation names it `query.<name>`, as elsewhere in the API).
    for (const [query, field] of [["from=2026-13-40&to=2026-11-01", "query.from"], ["from=2026-10-01&to=tomorrow", "query.to"], [`from=${iso(10)}&to=${iso(2)}`, "query.from"], ["from=2026-02-30&to=2026-03-01", "query.from"]]) {
      const r = await api("GET", `/v1/reports/flows?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.type).toContain("application/problem+json");
      expect(r.body.errors.map((e: any) => e.field), query).toContain(field);
    }
  });
});
