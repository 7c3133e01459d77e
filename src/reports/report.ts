/**
 * The reports, built from totals (./totals.ts): every flow and template by the same message metrics,
 * each job by the brief's measure of it, stages by movement, time in stage and weekly cohorts, and
 * each flow's holdout lift. Pure: no bindings. Metric definitions are in the README ("Reports").
 */
import { JOBS } from "../settings/vocabulary";
import { histogramMedian } from "./attribution";
import { type Cohort, type Lift, liftOf } from "./lift";
import { type Cohorts, type Totals, metricsOf } from "./totals";

const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 6) : null);
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;
const get = (m: Map<string, number>, k: string) => m.get(k) ?? 0;

/** Amounts of the metrics `<prefix><currency>`, by currency. */
function byPrefix(m: Map<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) if (k.startsWith(prefix) && !k.slice(prefix.length).includes(":")) out[k.slice(prefix.length)] = round(v);
  return out;
}

/**
 * Counts of `<outcome>:<reason>` metrics for one outcome, by reason. Not `byPrefix`: reason codes
 * carry their own colon (`quiet_hours:US`, `cap:daily`, `no_consent:marketing`) and must be kept.
 */
function reasons(m: Map<string, number>, outcome: "skipped" | "deferred"): Record<string, number> {
  const prefix = `${outcome}:`;
  const out: Record<string, number> = {};
  for (const [k, v] of m) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** The metrics every flow, template, job and stage shares. */
export interface MessageMetrics {
  sent: number;
  delivered: number;
  failed: number;
  deliveryRate: number | null;
  clicks: number;
  replies: number;
  optOuts: number;
  optOutsPer1000: number | null;
  conversions: number;
  revenue: Record<string, number>;
  segments: number;
  cost: Record<string, number>;
}

/** The shared message metrics of one key's totals. */
export function messageMetrics(m: Map<string, number>): MessageMetrics {
  const sent = get(m, "sent");
  return {
    sent, delivered: get(m, "delivered"), failed: get(m, "failed"), deliveryRate: ratio(get(m, "delivered"), sent),
    clicks: get(m, "clicks"), replies: get(m, "replies"), optOuts: get(m, "opt_outs"),
    optOutsPer1000: sent ? round((get(m, "opt_outs") * 1000) / sent, 3) : null,
    conversions: get(m, "conversions"), revenue: byPrefix(m, "revenue:"), segments: get(m, "segments"), cost: byPrefix(m, "cost:"),
  };
}

/** A flow as the reports know it (from the flows table). */
export interface FlowInfo {
  key: string;
  name: string;
  status: string;
  job: string;
  holdout: number;
}

/** One flow's report row. */
export interface FlowRow extends MessageMetrics {
  flow: string;
  name: string | null;
  status: string | null;
  job: string | null;
  holdout: number;
  entered: number;
  heldOut: number;
  skipped: Record<string, number>;
  deferred: Record<string, number>;
  /** Sent-cohort entrants whose run reached the goal (independent of last-touch credit). */
  goals: number;
  lift: Lift | null;
}

function cohortOf(m: Map<string, number>, group: "sent" | "control"): Cohort {
  const revenue: Cohort["revenue"] = {};
  for (const [currency, sum] of Object.entries(byPrefix(m, `revenue:${group}:`))) revenue[currency] = { sum, sumSq: get(m, `revenue_sq:${group}:${currency}`) };
  return { entrants: get(m, `entered:${group}`), conversions: get(m, `converted:${group}`), revenue };
}

/** The flows report: every flow that is configured or had activity in the range. */
export function flowsReport(t: Totals, flows: readonly FlowInfo[], only?: string): FlowRow[] {
  const keys = new Set([...flows.map((f) => f.key), ...(t.get("flow")?.keys() ?? [])]);
  return [...keys].filter((k) => !only || k === only).sort().map((key) => {
    const m = metricsOf(t, "flow", key);
    const info = flows.find((f) => f.key === key);
    const cohorts = metricsOf(t, "cohort", key);
    const control = cohortOf(cohorts, "control");
    return {
      flow: key, name: info?.name ?? null, status: info?.status ?? null, job: info?.job ?? null, holdout: info?.holdout ?? 0,
      entered: get(m, "entered"), heldOut: get(m, "held_out"), ...messageMetrics(m),
      skipped: reasons(m, "skipped"), deferred: reasons(m, "deferred"), goals: get(m, "goals:sent"),
      lift: control.entrants > 0 ? liftOf(cohortOf(cohorts, "sent"), control) : null,
    };
  });
}

/** One template's report row. */
export interface TemplateRow extends MessageMetrics {
  template: string;
  /** Messages created from the template (every contact a send step reached, sent or not). */
  entered: number;
}

/** The templates report. */
export function templatesReport(t: Totals, only?: string): TemplateRow[] {
  return [...(t.get("template")?.keys() ?? [])].filter((k) => !only || k === only).sort().map((key) => {
    const m = metricsOf(t, "template", key);
    return { template: key, entered: get(m, "messages"), ...messageMetrics(m) };
  });
}

/** The kind of a consent source: `keyword:JOIN` is a keyword, `page:vip` a hosted sign-up page, `provider:21610` a provider. */
export function sourceKind(source: string): string {
  return source.split(":")[0]!;
}

/** Opt-ins by kind of source (keyword, form, page, import, shopify, api). */
function bySourceKind(sources: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [source, n] of Object.entries(sources)) out[sourceKind(source)] = (out[sourceKind(source)] ?? 0) + n;
  return out;
}

/**
 * Source quality: per source, opt-ins and the opt-outs of people whose grant came from it, within
 * the period (opt-outs in the period may end grants from before it, so the rate is a period's ratio).
 */
function sourceQuality(t: Totals): Array<{ source: string; kind: string; optedIn: number; optedOut: number; optOutRate: number | null }> {
  return [...(t.get("source") ?? [])]
    .map(([source, m]) => ({ source, kind: sourceKind(source), optedIn: get(m, "opted_in"), optedOut: get(m, "opted_out"), optOutRate: ratio(get(m, "opted_out"), get(m, "opted_in")) }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

/** The jobs report: each job's message metrics and the brief's measure of it. */
export function jobsReport(t: Totals) {
  const brand = metricsOf(t, "all", "brand");
  return JOBS.map((job) => {
    const m = metricsOf(t, "job", job);
    const base = { job, entered: get(m, "entered"), ...messageMetrics(m) };
    const goals = get(m, "goals");
    switch (job) {
      case "acquisition": {
        const sources: Record<string, number> = {};
        for (const [source, metrics] of t.get("source") ?? []) if (get(metrics, "opted_in")) sources[source] = get(metrics, "opted_in");
        return {
          ...base, prompts: get(m, "prompts"), optedIn: get(m, "opted_in"), optInRate: ratio(get(m, "opted_in"), get(m, "prompts")),
          optInsBySource: sources, optInsBySourceKind: bySourceKind(sources), sourceQuality: sourceQuality(t),
        };
      }
      case "activation": {
        const tta = new Map([...m].filter(([k]) => k.startsWith("tta:")).map(([k, v]) => [Number(k.slice(4)), v]));
        const median = histogramMedian(tta);
        return { ...base, firstActions: goals, firstActionRate: ratio(goals, base.entered), medianHoursToAction: median === undefined ? null : round(median / 3_600_000, 2) };
      }
      case "conversion":
        return { ...base, completedActions: base.conversions };
      case "transactional":
        return base;
      case "retention":
        return { ...base, repeatPurchases: goals, repeatPurchaseRate: ratio(goals, base.entered), unsubscribeRate: ratio(base.optOuts, base.sent) };
      case "service":
        return {
          ...base, replyRate: ratio(base.replies, base.sent), appointments: get(brand, "appointments"), noShows: get(brand, "no_shows"),
          noShowRate: ratio(get(brand, "no_shows"), get(brand, "appointments")),
        };
      case "reactivation":
        return { ...base, returningContacts: goals, returningRate: ratio(goals, base.entered), optOutRate: ratio(base.optOuts, base.sent) };
    }
  });
}

/** The stages report: moves A → B, entries and median days in each stage, weekly entry cohorts, B2B pipeline rates. */
export function stagesReport(t: Totals, cohorts: Cohorts, stages: readonly string[]) {
  const brand = metricsOf(t, "all", "brand");
  const moves = [...(t.get("move") ?? [])].map(([key, m]) => {
    const [from, to] = key.split(">");
    return { from: from!, to: to!, contacts: get(m, "moves") };
  }).sort((a, b) => b.contacts - a.contacts || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  // Configured stages in their order, then any others that had activity, sorted (not in whatever order the totals were read).
  const names = [...new Set([...stages, ...[...(t.get("stage")?.keys() ?? [])].sort()])];
  const byStage = names.map((stage) => {
    const m = metricsOf(t, "stage", stage);
    const dwell = new Map([...m].filter(([k]) => k.startsWith("dwell:")).map(([k, v]) => [Number(k.slice(6)), v]));
    const median = histogramMedian(dwell);
    return { stage, entered: get(m, "entered"), left: get(m, "left"), medianDaysInStage: median === undefined ? null : round(median / 86_400_000, 2), ...messageMetrics(m) };
  });
  const weekly = [...cohorts].flatMap(([stage, weeks]) =>
    [...weeks].map(([week, m]) => ({ stage, week, entered: get(m, "entered"), movedTo: byPrefix(m, "moved:") })),
  ).sort((a, b) => a.week.localeCompare(b.week) || a.stage.localeCompare(b.stage));
  const [meetings, opportunities, won] = [get(brand, "meetings"), get(brand, "opportunities"), get(brand, "won")];
  const replies = get(brand, "replies") + get(brand, "unattributed_replies");
  return {
    moves, stages: byStage, cohorts: weekly,
    b2b: { replies, meetings, opportunities, won, meetingRate: ratio(meetings, replies), opportunityRate: ratio(opportunities, meetings), winRate: ratio(won, opportunities) },
  };
}

/** Brand totals: all message metrics, unattributed outcomes, and deferred/skipped by reason. */
export function brandTotals(t: Totals) {
  const m = metricsOf(t, "all", "brand");
  return {
    ...messageMetrics(m),
    unattributed: { conversions: get(m, "unattributed_conversions"), revenue: byPrefix(m, "unattributed_revenue:"), optOuts: get(m, "unattributed_opt_outs"), replies: get(m, "unattributed_replies") },
    skipped: reasons(m, "skipped"), deferred: reasons(m, "deferred"),
  };
}
