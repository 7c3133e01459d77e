/**
 * Overview: contacts per stage, messages per day by outcome, opt-out rate, attributed revenue and
 * deferred/skipped by reason, as SVG charts with the numbers printed. Reads the reports endpoints
 * when they exist and otherwise counts from the contact and message lists and the governance report.
 */
import { Hono } from "hono";
import { now } from "../clock";
import type { ApiCall, ConsoleEnv } from "./api";
import { type Bar, BarChart, type StackColumn, StackedColumns } from "./charts";
import { reasonInWords } from "./explain";
import { refused, render, stagesOfSetting } from "./page";

/** Overview page. */
export const overviewPage = new Hono<ConsoleEnv>();

const DAY = 86_400_000;
const OUTCOMES = ["sent", "deferred", "skipped", "failed"] as const;

/** A message status as the outcome the overview counts it under. */
export function outcomeOf(status: string): (typeof OUTCOMES)[number] | "queued" {
  if (status === "sent" || status === "delivered") return "sent";
  if (status === "deferred") return "deferred";
  if (status === "skipped") return "skipped";
  if (status === "failed" || status === "undelivered") return "failed";
  return "queued";
}

/** Contacts per stage: the stages report, else counted from the contact list (pages of 500, at most `maxPages`). */
async function stageCounts(api: ApiCall, stages: string[], maxPages = 10): Promise<{ bars: Bar[]; capped: boolean }> {
  const report = await api("GET", "/v1/reports/stages");
  if (report.ok) {
    const rows: any[] = Array.isArray(report.body) ? report.body : (report.body.stages ?? report.body.rows ?? []);
    return { bars: rows.map((r) => ({ label: String(r.stage ?? r.key), value: Number(r.contacts ?? r.count ?? r.n ?? 0) })), capped: false };
  }
  let capped = false;
  const bars = await Promise.all(
    stages.map(async (stage) => {
      let n = 0;
      let after: string | null = null;
      for (let page = 0; page < maxPages; page++) {
        const r: any = await api("GET", `/v1/contacts?stage=${stage}&limit=500${after ? `&after=${after}` : ""}`);
        if (!r.ok) break;
        n += r.body.contacts.length;
        after = r.body.next;
        if (!after) break;
        if (page === maxPages - 1) capped = true;
      }
      return { label: stage, value: n };
    }),
  );
  return { bars, capped };
}

/** Messages per day by outcome over the last `days` days (newest messages, at most 2,000 read). */
async function messagesPerDay(api: ApiCall, days: number, at: number): Promise<StackColumn[]> {
  const since = at - days * DAY;
  const cols = new Map<string, Record<string, number>>();
  for (let d = days - 1; d >= 0; d--) cols.set(new Date(at - d * DAY).toISOString().slice(0, 10), {});
  let before: number | null = null;
  for (let page = 0; page < 4; page++) {
    const r: any = await api("GET", `/v1/messages?limit=500${before ? `&before=${before}` : ""}`);
    if (!r.ok) break;
    for (const m of r.body.messages as any[]) {
      if (m.createdAt < since) continue;
      const day = new Date(m.createdAt).toISOString().slice(0, 10);
      const col = cols.get(day);
      if (col) col[outcomeOf(m.status)] = (col[outcomeOf(m.status)] ?? 0) + 1;
    }
    before = r.body.next;
    if (!before || before < since) break;
  }
  return [...cols].map(([day, parts]) => ({ label: day.slice(5), parts }));
}

/** The numbers the overview draws. */
interface OverviewData {
  stages: Bar[];
  days: StackColumn[];
  sent: number;
  optOuts: number;
  /** Attributed revenue per currency (null until the reports exist). */
  revenue: Record<string, number> | null;
  reasons: Bar[];
  revenueByFlow: Bar[];
  /** Where the numbers came from. */
  source: "reports" | "lists";
  note?: string;
}

const money = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([cur, v]) => `${cur} ${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`)
    .join(" + ") || "0";

/** From the reports (step 10): the overview and flow reports for the last 30 days. */
async function fromReports(api: ApiCall, stages: string[]): Promise<OverviewData | undefined> {
  const [o, f] = await Promise.all([api("GET", "/v1/reports/overview"), api("GET", "/v1/reports/flows")]);
  if (!o.ok) return undefined;
  const r = o.body;
  const byStage: Record<string, number> = r.contactsByStage ?? {};
  const order = [...stages, ...Object.keys(byStage).filter((s) => !stages.includes(s))];
  const days: any[] = (r.days ?? []).slice(-14);
  const reasons = (outcome: string, m: Record<string, number> = {}) => Object.entries(m).map(([reason, n]) => ({ label: `${outcome}: ${reason}`, value: n }));
  const flows: any[] = f.ok ? (f.body.flows ?? []) : [];
  return {
    stages: order.map((s) => ({ label: s, value: byStage[s] ?? 0 })),
    days: days.map((d) => ({ label: String(d.date).slice(5), parts: { sent: d.sent, deferred: d.deferred, skipped: d.skipped, failed: d.failed } })),
    sent: r.sent ?? 0,
    optOuts: r.optOuts ?? 0,
    revenue: r.revenue ?? {},
    reasons: [...reasons("deferred", r.deferred), ...reasons("skipped", r.skipped)].sort((a, b) => b.value - a.value).slice(0, 12),
    revenueByFlow: flows.flatMap((row) => Object.entries((row.revenue ?? {}) as Record<string, number>).map(([cur, v]) => ({ label: `${row.name ?? row.flow} (${cur})`, value: v }))),
    source: "reports",
  };
}

/** Without the reports: counted from the contact and message lists and the governance report. */
async function fromLists(api: ApiCall, stages: string[], at: number): Promise<OverviewData> {
  const [perStage, days, report] = await Promise.all([stageCounts(api, stages), messagesPerDay(api, 14, at), api("GET", "/v1/governance/report")]);
  const g = report.ok ? report.body : undefined;
  return {
    stages: perStage.bars,
    days,
    sent: g ? g.templates.reduce((a: number, t: any) => a + t.sent, 0) : 0,
    optOuts: g ? g.templates.reduce((a: number, t: any) => a + t.optOuts, 0) : 0,
    revenue: null,
    reasons: g ? g.topReasons.map((r: any) => ({ label: `${r.outcome}: ${r.reason}`, value: r.count })) : [],
    revenueByFlow: [],
    source: "lists",
    note: perStage.capped ? "Counted up to 5,000 contacts per stage." : undefined,
  };
}

overviewPage.get("/", async (c) => {
  const api = c.get("api");
  const stagesSetting = await api("GET", "/v1/settings/stages");
  const stop = refused(c, stagesSetting);
  if (stop) return stop;
  const v = stagesSetting.body.value;
  const stages: string[] = stagesOfSetting(v);
  const d = (await fromReports(api, stages)) ?? (await fromLists(api, stages, now()));
  const reasonCodes = d.reasons.map((b) => b.label.slice(b.label.indexOf(": ") + 2));

  return render(
    c,
    "Overview",
    <>
      <div class="grid">
        <div class="card">
          <p class="mute">Opt-out rate, last 30 days</p>
          <p style="font-size:1.8rem;margin:0" id="opt-out-rate">
            {d.sent ? `${((d.optOuts / d.sent) * 100).toFixed(2)}%` : "—"}
          </p>
          <p class="mute">
            {d.optOuts} opt-out{d.optOuts === 1 ? "" : "s"} after {d.sent} message{d.sent === 1 ? "" : "s"} sent
          </p>
        </div>
        <div class="card">
          <p class="mute">Attributed revenue, last 30 days</p>
          <p style="font-size:1.8rem;margin:0" id="revenue">
            {d.revenue ? money(d.revenue) : "—"}
          </p>
          <p class="mute">{d.revenue ? "conversions credited to the last message before them" : "appears once the reports are available"}</p>
        </div>
      </div>
      <div class="grid">
        <div class="card">
          <BarChart title="Contacts per stage" bars={d.stages} />
          {d.note ? <p class="mute">{d.note}</p> : null}
        </div>
        <div class="card">
          <StackedColumns title="Messages per day by outcome (last 14 days, UTC)" columns={d.days} series={[...OUTCOMES]} />
        </div>
      </div>
      <div class="grid">
        <div class="card">
          <BarChart title="Deferred and skipped by reason (last 30 days)" bars={d.reasons} color="#d08a00" />
          {reasonCodes.length ? (
            <ul class="mute">
              {[...new Set(reasonCodes)].map((r) => (
                <li>
                  <span class="mono">{r}</span>: {reasonInWords(r)}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div class="card">
          <BarChart title="Attributed revenue by flow (last 30 days)" bars={d.revenueByFlow} color="#1f8a4c" />
        </div>
      </div>
    </>,
  );
});
