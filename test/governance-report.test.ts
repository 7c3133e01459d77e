// The governance report on a seeded history: templates via the API, messages, decisions, conversions
// and consent changes through the records path. Expected numbers are computed here, independently.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../src/clock";
import worker from "../src/index";
import type { RecordMessage } from "../src/records/types";
import { DAY, HOUR, api, flushRecords } from "./helpers";

const T0 = Date.UTC(2001, 0, 10);
const FROM = Date.UTC(2001, 0, 1);
const TO = Date.UTC(2001, 1, 1);
const WINDOW_DAYS = 3;

type Msg = { id: string; contact: string; template: string; flow: string | null; at: number; consent?: Record<string, unknown> };
type Rev = { contact: string; at: number; source: string };

const msgs: Msg[] = [];
for (let i = 0; i < 10; i++) msgs.push({ id: `gm_a${i}`, contact: `c_gov_a${i}`, template: "gov-a", flow: "gov-flow-a", at: T0 + i * HOUR });
for (let i = 0; i < 4; i++) msgs.push({ id: `gm_b${i}`, contact: `c_gov_b${i}`, template: "gov-b", flow: "gov-flow-b", at: T0 + i * HOUR, consent: { purpose: "marketing", state: "granted", source: "import" } });
// c_gov_a0 is texted most: three more reminders.
for (let i = 0; i < 3; i++) msgs.push({ id: `gm_x${i}`, contact: "c_gov_a0", template: "gov-a", flow: "gov-flow-a", at: T0 + 12 * HOUR + i * HOUR });
// A message outside the period counts nowhere.
msgs.push({ id: "gm_old", contact: "c_gov_a1", template: "gov-a", flow: "gov-flow-a", at: FROM - 5 * DAY });

const revs: Rev[] = [
  { contact: "c_gov_a1", at: T0 + 1 * HOUR + DAY, source: "keyword" },
  { contact: "c_gov_a2", at: T0 + 2 * HOUR + DAY, source: "keyword:reasonable_means" },
  { contact: "c_gov_a3", at: T0 + 3 * HOUR + 5 * DAY, source: "keyword" }, // after the window
  { contact: "c_gov_b0", at: T0 + DAY, source: "api" }, // not an opt-out by keyword or provider
  { contact: "c_gov_b1", at: T0 + HOUR + 2 * DAY, source: "provider:21610" },
];
const grants = [
  { contact: "c_gov_b0", source: "import", text: false, proof: false },
  { contact: "c_gov_b1", source: "import", text: false, proof: false },
  { contact: "c_gov_b2", source: "api", text: false, proof: false },
  { contact: "c_gov_b3", source: "form", text: true, proof: true },
  { contact: "c_gov_a4", source: "form", text: false, proof: true },
];
const decisions = [
  ...Array.from({ length: 5 }, () => ["deferred", "cap:marketing-daily"]),
  ...Array.from({ length: 3 }, () => ["deferred", "quiet_hours:US-FL"]),
  ...Array.from({ length: 2 }, () => ["skipped", "rule:no-support"]),
  ["sent", "ok"],
] as const;

function messageRecord(m: Msg): RecordMessage {
  return {
    kind: "message", id: m.id, rev: 1, contactId: m.contact, flowKey: m.flow, runId: null, step: null, templateKey: m.template, templateVersion: 1,
    purpose: "marketing", job: "retention", stage: null, to: null, body: null, segments: 1, encoding: "GSM-7", status: "delivered", reason: null,
    errorCode: null, errorMessage: null, gateway: "sandbox", providerId: null, createdAt: m.at, expiresAt: m.at + DAY, sentAt: m.at, deliveredAt: m.at,
    updatedAt: m.at, consent: m.consent ?? { purpose: "marketing", state: "granted", source: "form", text: "Yes" },
  };
}

/** Independent expectation: each opt-out goes to the contact's latest message in the period within the window before it. */
function expectedRates(field: "template" | "flow") {
  const inPeriod = msgs.filter((m) => m.at >= FROM && m.at < TO);
  const out: Record<string, { sent: number; optOuts: number; reviews: number }> = {};
  for (const m of inPeriod) (out[m[field]!] ??= { sent: 0, optOuts: 0, reviews: 0 }).sent++;
  for (const r of revs) {
    if (!(r.source.startsWith("keyword") || r.source.startsWith("provider:"))) continue;
    let last: Msg | undefined;
    for (const m of inPeriod) if (m.contact === r.contact && m.at <= r.at && m.at > r.at - WINDOW_DAYS * DAY && (!last || m.at > last.at)) last = m;
    if (!last) continue;
    out[last[field]!]!.optOuts++;
    if (r.source === "keyword:reasonable_means") out[last[field]!]!.reviews++;
  }
  return out;
}

describe("governance report", () => {
  beforeAll(async () => {
    const s = await api("PUT", "/v1/settings/governance", { optOutWindowDays: WINDOW_DAYS, optOutRate: 0.1, reviewRate: 0.05, minMessages: 5, staleOfferDays: 5, top: 3 });
    expect(s.status).toBe(200);
    const records: RecordMessage[] = [
      ...msgs.map(messageRecord),
      ...revs.flatMap((r, i) =>
        // A STOP revokes every purpose at one instant: two rows, one opt-out.
        ["marketing", "transactional"].map((purpose) => ({ kind: "consent" as const, id: `gr${i}${purpose}`, contactId: r.contact, purpose, action: "revoke", state: "revoked", source: r.source, hasText: false, hasProof: false, at: r.at })),
      ),
      ...grants.map((g, i) => ({ kind: "consent" as const, id: `gg${i}`, contactId: g.contact, purpose: "marketing", action: "grant", state: "granted", source: g.source, hasText: g.text, hasProof: g.proof, at: T0 - DAY })),
      ...decisions.map(([outcome, reason], i) => ({ kind: "decision" as const, id: `gd${i}`, contactId: "c_gov_a0", outcome, reason, at: T0 + i * 1000 })),
      { kind: "conversion", id: "gconv", contactId: "c_gov_b0", runId: null, flowKey: "gov-flow-b", event: "Order Completed", revenue: 10, currency: "USD", at: T0 + DAY },
    ];
    for (let i = 0; i < records.length; i += 50) await env.RECORDS_QUEUE.sendBatch(records.slice(i, i + 50).map((body) => ({ body, contentType: "json" as const })));
    await flushRecords();
  });

  it("rates opt-outs and reviews per template and flow, flagged above the thresholds", async () => {
    const r = await api("GET", `/v1/governance/report?from=${new Date(FROM).toISOString()}&to=${new Date(TO).toISOString()}`);
    expect(r.status).toBe(200);
    for (const field of ["template", "flow"] as const) {
      const expected = expectedRates(field);
      const rows = r.body[field === "template" ? "templates" : "flows"] as Array<Record<string, any>>;
      expect(rows.map((x) => x.key).sort()).toEqual(Object.keys(expected).sort());
      for (const [key, e] of Object.entries(expected)) {
        const row = rows.find((x) => x.key === key)!;
        expect(row, key).toMatchObject({ sent: e.sent, optOuts: e.optOuts, reviews: e.reviews });
        expect(row.optOutRate).toBeCloseTo(e.optOuts / e.sent, 4);
        const flags = [...(e.sent >= 5 && e.optOuts / e.sent > 0.1 ? ["opt_out_rate"] : []), ...(e.sent >= 5 && e.reviews / e.sent > 0.05 ? ["review_rate"] : [])];
        expect(row.flagged, key).toEqual(flags);
      }
    }
    // gov-a: 13 sent, 2 opt-outs (one reviewed): flagged; gov-b: 4 sent is under minMessages.
    expect(r.body.templates.find((x: any) => x.key === "gov-a")).toMatchObject({ sent: 13, optOuts: 2, reviews: 1, flagged: ["opt_out_rate", "review_rate"] });
    expect(r.body.flowsWithoutConversions).toEqual([{ flow: "gov-flow-a", sent: 13, hasGoal: false }]);
  });

  it("lists the top deferral and skip reasons, the most-texted contacts and consent without provenance", async () => {
    const r = (await api("GET", `/v1/governance/report?from=${new Date(FROM).toISOString()}&to=${new Date(TO).toISOString()}`)).body;
    expect(r.topReasons).toEqual([
      { outcome: "deferred", reason: "cap:marketing-daily", kind: "cap", count: 5 },
      { outcome: "deferred", reason: "quiet_hours:US-FL", kind: "quiet_hours", count: 3 },
      { outcome: "skipped", reason: "rule:no-support", kind: "rule", count: 2 },
    ]);
    const per = new Map<string, number>();
    for (const m of msgs) if (m.at >= FROM && m.at < TO) per.set(m.contact, (per.get(m.contact) ?? 0) + 1);
    expect(r.topContacts[0]).toEqual({ contactId: "c_gov_a0", messages: per.get("c_gov_a0") });
    expect(r.topContacts).toHaveLength(3);
    const bare = grants.filter((g) => !g.text && !g.proof);
    expect(r.consentWithoutProvenance.grants).toBe(bare.length);
    expect(r.consentWithoutProvenance.bySource).toEqual([{ source: "import", count: 2 }, { source: "api", count: 1 }]);
    expect(r.consentWithoutProvenance.messagesRelyingOnIt).toBe(msgs.filter((m) => m.consent && m.at >= FROM && m.at < TO).length);
  });

  it("flags stale dated offers and retired templates that flows still send", async () => {
    await api("PUT", "/v1/templates/gov-offer", { body: "20% off everything until Friday! Reply STOP to opt out", job: "retention", purpose: "marketing" });
    await api("PUT", "/v1/templates/gov-plain", { body: "Thanks for your order.", job: "transactional", purpose: "transactional" });
    await api("PUT", "/v1/templates/gov-old", { body: "Your receipt is ready.", job: "transactional", purpose: "transactional" });
    const f = await api("PUT", "/v1/flows/gov-uses-old", { name: "Old", status: "active", job: "transactional", trigger: { event: "Receipt" }, steps: [{ send: { template: "gov-old" } }] });
    expect(f.status).toBe(200);
    await api("PUT", "/v1/templates/gov-old", { body: "Your receipt is ready.", job: "transactional", purpose: "transactional", status: "retired" });
    // Versions are stamped with the clock's time: ten days on the clock make the offer ten days old.
    const to = now() + 10 * DAY;
    const r = (await api("GET", `/v1/governance/report?from=${new Date(to - DAY).toISOString()}&to=${new Date(to).toISOString()}`)).body;
    expect(r.staleOffers).toEqual([{ template: "gov-offer", version: 1, unchangedDays: 10, matches: ["until"] }]);
    expect(r.retiredTemplatesInFlows).toEqual([{ template: "gov-old", status: "retired", flows: [{ flow: "gov-uses-old", version: 1, status: "active" }] }]);
    const soon = (await api("GET", `/v1/governance/report?from=${new Date(now() - DAY).toISOString()}&to=${new Date(now() + DAY).toISOString()}`)).body;
    expect(soon.staleOffers).toEqual([]);
  });

  it("is computed and stored monthly by the Cron Trigger, and listed", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.UTC(2001, 1, 1, 6), cron: "0 6 1 * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const list = await api("GET", "/v1/governance/reports");
    const stored = list.body.reports.find((x: any) => x.id === "gov_2001-01-01_2001-02-01");
    expect(stored).toMatchObject({ from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() });
    expect(stored.report.templates.find((x: any) => x.key === "gov-a")).toMatchObject({ sent: 13, optOuts: 2 });
    expect((await api("GET", "/v1/governance/reports/gov_2001-01-01_2001-02-01")).status).toBe(200);
  });

  it("refuses a bad period, naming the field", async () => {
    const r = await api("GET", "/v1/governance/report?from=2001-02-01T00:00:00Z&to=2001-01-01T00:00:00Z");
    expect([r.status, r.body.errors[0].field]).toEqual([400, "from"]);
    expect((await api("PUT", "/v1/settings/governance", { offerPattern: "(" })).body.errors[0].field).toBe("offerPattern");
  });
});
