/**
 * The governance report for a period [from, to): what a compliance review looks at. Every query is
 * bounded by the period (messages by send time, decisions, conversions and consent changes by time).
 */
import { iso, now } from "../clock";
import { getConfig } from "../settings/config";
import { flowsUsing } from "../templates/library";
import type { GovernanceSettings } from "./settings";

const DAY = 86_400_000;

/** A template's or flow's messages and the opt-outs that followed them. */
export interface RateRow {
  key: string;
  sent: number;
  optOuts: number;
  reviews: number;
  optOutRate: number;
  reviewRate: number;
  flagged: string[];
}

/** The report. */
export interface GovernanceReport {
  from: string;
  to: string;
  generatedAt: string;
  thresholds: GovernanceSettings;
  templates: RateRow[];
  flows: RateRow[];
  flowsWithoutConversions: Array<{ flow: string; sent: number; hasGoal: boolean }>;
  staleOffers: Array<{ template: string; version: number; unchangedDays: number; matches: string[] }>;
  topReasons: Array<{ outcome: string; reason: string; kind: string; count: number }>;
  topContacts: Array<{ contactId: string; messages: number }>;
  consentWithoutProvenance: {
    grants: number;
    bySource: Array<{ source: string; count: number }>;
    messagesRelyingOnIt: number;
  };
  retiredTemplatesInFlows: Array<{ template: string; status: string; flows: Array<{ flow: string; version: number; status: string }> }>;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Opt-outs per template and per flow: STOP/provider revocations within the window after that contact's latest message. */
async function rates(db: D1Database, from: number, to: number, g: GovernanceSettings): Promise<{ templates: RateRow[]; flows: RateRow[] }> {
  const windowMs = g.optOutWindowDays * DAY;
  const [sentT, sentF, revs] = await db.batch<{ key: string; sent?: number; review?: number }>([
    db.prepare("SELECT template_key AS key, count(*) AS sent FROM messages WHERE sent_at >= ? AND sent_at < ? GROUP BY template_key").bind(from, to),
    db.prepare("SELECT flow_key AS key, count(*) AS sent FROM messages WHERE sent_at >= ? AND sent_at < ? AND flow_key IS NOT NULL GROUP BY flow_key").bind(from, to),
    // One STOP revokes every purpose at one instant: count it once per contact and instant.
    db.prepare(
      `WITH rev AS (
         SELECT contact_id, at, max(source = 'keyword:reasonable_means') AS review FROM consent_changes
         WHERE action = 'revoke' AND (source LIKE 'keyword%' OR source LIKE 'provider:%') AND at >= ? AND at < ?
         GROUP BY contact_id, at)
       SELECT m.template_key AS template, m.flow_key AS flow, r.review AS review FROM rev r
       JOIN messages m ON m.id = (SELECT id FROM messages s WHERE s.contact_id = r.contact_id AND s.sent_at <= r.at AND s.sent_at > r.at - ?
                                    AND s.sent_at >= ? AND s.sent_at < ? ORDER BY s.sent_at DESC LIMIT 1)`,
    ).bind(from, to + windowMs, windowMs, from, to),
  ]);
  const build = (sent: Array<{ key: string; sent?: number }>, field: "template" | "flow"): RateRow[] =>
    sent.map(({ key, sent: n = 0 }) => {
      const mine = (revs!.results as unknown as Array<{ template: string; flow: string | null; review: number }>).filter((r) => r[field] === key);
      const optOuts = mine.length;
      const reviews = mine.filter((r) => r.review === 1).length;
      const row = { key, sent: n, optOuts, reviews, optOutRate: n ? round(optOuts / n) : 0, reviewRate: n ? round(reviews / n) : 0, flagged: [] as string[] };
      if (n >= g.minMessages && row.optOutRate > g.optOutRate) row.flagged.push("opt_out_rate");
      if (n >= g.minMessages && row.reviewRate > g.reviewRate) row.flagged.push("review_rate");
      return row;
    }).sort((a, b) => b.optOutRate - a.optOutRate || a.key.localeCompare(b.key));
  return { templates: build(sentT!.results, "template"), flows: build(sentF!.results, "flow") };
}

/** Compute the report for [from, to). */
export async function governanceReport(env: Env, from: number, to: number): Promise<GovernanceReport> {
  const db = env.DB;
  const config = await getConfig(db);
  const g = config.settings.governance;
  const { templates, flows } = await rates(db, from, to, g);
  const [conv, current, reasons, contacts, grants, relying] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT flow_key AS flow, count(*) AS n FROM conversions WHERE at >= ? AND at < ? AND flow_key IS NOT NULL GROUP BY flow_key").bind(from, to),
    // The current version of every template (SQLite: the bare columns come from the max row).
    db.prepare("SELECT key, max(version) AS version, status, body, created_at FROM templates GROUP BY key"),
    db.prepare(
      "SELECT outcome, reason, count(*) AS n FROM decisions WHERE at >= ? AND at < ? AND outcome IN ('deferred', 'skipped') GROUP BY outcome, reason ORDER BY n DESC, reason LIMIT ?",
    ).bind(from, to, g.top),
    db.prepare("SELECT contact_id, count(*) AS n FROM messages WHERE sent_at >= ? AND sent_at < ? GROUP BY contact_id ORDER BY n DESC, contact_id LIMIT ?").bind(from, to, g.top),
    db.prepare("SELECT source, count(*) AS n FROM consent_changes WHERE action IN ('grant', 'confirm') AND at >= ? AND at < ? AND NOT has_text AND NOT has_proof GROUP BY source ORDER BY n DESC").bind(from, to),
    db.prepare(
      `SELECT count(*) AS n FROM messages WHERE sent_at >= ? AND sent_at < ? AND json_extract(consent, '$.state') = 'granted' AND json_extract(consent, '$.text') IS NULL`,
    ).bind(from, to),
  ]);
  const converted = new Map((conv!.results as Array<{ flow: string; n: number }>).map((r) => [r.flow, r.n]));
  const flowsWithoutConversions = flows
    .filter((f) => f.sent > 0 && !converted.get(f.key))
    .map((f) => ({ flow: f.key, sent: f.sent, hasGoal: Boolean(config.flows.get(f.key)?.goal) }));

  const offer = new RegExp(g.offerPattern, "gi");
  const staleOffers: GovernanceReport["staleOffers"] = [];
  for (const t of current!.results as Array<{ key: string; version: number; status: string; body: string; created_at: number }>) {
    const unchangedDays = Math.floor((to - t.created_at) / DAY);
    if (t.status !== "active" || unchangedDays < g.staleOfferDays) continue;
    const body = JSON.parse(t.body) as { body: string; locales?: Record<string, string> };
    const text = [body.body, ...Object.values(body.locales ?? {})].join("\n");
    const matches = [...new Set([...text.matchAll(offer)].map((m) => m[0]))];
    if (matches.length) staleOffers.push({ template: t.key, version: t.version, unchangedDays, matches });
  }

  const kind = (reason: string) => (reason.includes(":") ? reason.slice(0, reason.indexOf(":")) : reason);
  const grantRows = grants!.results as Array<{ source: string; n: number }>;
  const retiredTemplatesInFlows = [...config.templates.values()]
    .filter((t) => t.status === "retired")
    .map((t) => ({ template: t.key, status: t.status, flows: flowsUsing(config.flows, t.key) }))
    .filter((t) => t.flows.length > 0);

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    generatedAt: iso(now())!,
    thresholds: g,
    templates,
    flows,
    flowsWithoutConversions,
    staleOffers,
    topReasons: (reasons!.results as Array<{ outcome: string; reason: string; n: number }>).map((r) => ({ outcome: r.outcome, reason: r.reason, kind: kind(r.reason), count: r.n })),
    topContacts: (contacts!.results as Array<{ contact_id: string; n: number }>).map((r) => ({ contactId: r.contact_id, messages: r.n })),
    consentWithoutProvenance: {
      grants: grantRows.reduce((a, r) => a + r.n, 0),
      bySource: grantRows.map((r) => ({ source: r.source, count: r.n })),
      messagesRelyingOnIt: (relying!.results[0] as { n: number }).n,
    },
    retiredTemplatesInFlows,
  };
}

/** The previous calendar month (UTC) of an instant: what the monthly Cron Trigger reports on. */
export function previousMonth(at: number): { from: number; to: number } {
  const d = new Date(at);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  return { from, to };
}

/** Compute and store the report for [from, to) (idempotent: one stored report per period). */
export async function storeReport(env: Env, from: number, to: number): Promise<{ id: string; report: GovernanceReport }> {
  const report = await governanceReport(env, from, to);
  const id = `gov_${new Date(from).toISOString().slice(0, 10)}_${new Date(to).toISOString().slice(0, 10)}`;
  await env.DB.prepare("INSERT OR REPLACE INTO governance_reports (id, from_at, to_at, created_at, body) VALUES (?, ?, ?, ?, ?)")
    .bind(id, from, to, now(), JSON.stringify(report)).run();
  return { id, report };
}
