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
import { render } from "./page";
import { refused } from "./page";

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

overviewPage.get("/", async (c) => {
  const api = c.get("api");
  const at = now();
  const [stagesSetting, report, flowsReport] = await Promise.all([api("GET", "/v1/settings/stages"), api("GET", "/v1/governance/report"), api("GET", "/v1/reports/flows")]);
  const stop = refused(c, stagesSetting);
  if (stop) return stop;
  const v = stagesSetting.body.value;
  const stages: string[] = v.stages ?? (v.preset === "b2b" ? ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "renewal"] : ["subscriber", "customer", "repeat_customer", "dormant"]);
  const [perStage, perDay] = await Promise.all([stageCounts(api, stages), messagesPerDay(api, 14, at)]);

  const g = report.ok ? report.body : undefined;
  const sent = g ? g.templates.reduce((a: number, t: any) => a + t.sent, 0) : 0;
  const optOuts = g ? g.templates.reduce((a: number, t: any) => a + t.optOuts, 0) : 0;
  const reasons: Bar[] = g ? g.topReasons.map((r: any) => ({ label: `${r.outcome}: ${r.reason}`, value: r.count })) : [];

  const flowRows: any[] = flowsReport.ok ? (Array.isArray(flowsReport.body) ? flowsReport.body : (flowsReport.body.flows ?? flowsReport.body.rows ?? [])) : [];
  const revenue: Bar[] = flowRows.filter((f) => typeof f.revenue === "number").map((f) => ({ label: String(f.flow ?? f.key), value: f.revenue }));
  const totalRevenue = revenue.reduce((a, b) => a + b.value, 0);

  return render(
    c,
    "Overview",
    <>
      <div class="grid">
        <div class="card">
          <p class="mute">Opt-out rate, last 30 days</p>
          <p style="font-size:1.8rem;margin:0" id="opt-out-rate">
            {sent ? `${((optOuts / sent) * 100).toFixed(2)}%` : "—"}
          </p>
          <p class="mute">
            {optOuts} opt-out{optOuts === 1 ? "" : "s"} after {sent} message{sent === 1 ? "" : "s"}
          </p>
        </div>
        <div class="card">
          <p class="mute">Attributed revenue</p>
          <p style="font-size:1.8rem;margin:0" id="revenue">
            {flowsReport.ok ? totalRevenue.toLocaleString("en-US", { maximumFractionDigits: 2 }) : "—"}
          </p>
          <p class="mute">{flowsReport.ok ? "from flow conversions" : "appears once the flow report is available"}</p>
        </div>
      </div>
      <div class="grid">
        <div class="card">
          <BarChart title="Contacts per stage" bars={perStage.bars} />
          {perStage.capped ? <p class="mute">Counted up to 5,000 per stage.</p> : null}
        </div>
        <div class="card">
          <StackedColumns title="Messages per day by outcome (last 14 days, UTC)" columns={perDay} series={[...OUTCOMES]} />
        </div>
      </div>
      <div class="grid">
        <div class="card">
          <BarChart title="Deferred and skipped by reason (last 30 days)" bars={reasons} color="#d08a00" />
          {reasons.length ? (
            <ul class="mute">
              {g.topReasons.map((r: any) => (
                <li>
                  <span class="mono">{r.reason}</span>: {reasonInWords(r.reason)}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        {revenue.length ? (
          <div class="card">
            <BarChart title="Attributed revenue by flow" bars={revenue} color="#1f8a4c" />
          </div>
        ) : null}
      </div>
    </>,
  );
});
