/**
 * A variant test's numbers: each variant's sends, clicks, replies, opt-outs, conversions and revenue,
 * and its difference to the best variant with a 95% interval on conversion rate and on revenue per
 * recipient (the holdout-lift arithmetic of ./lift.ts, recipients in place of entrants), with a verdict
 * in plain words. Pure: totals in, report out.
 */
import { type Cohort, type Estimate, liftOf } from "./lift";

/** Under this many recipients per variant the normal approximation is not trusted: the verdict says so. */
export const MIN_RECIPIENTS = 30;

/** One variant's totals over the report's days (from the `variant` rollups). */
export interface VariantTotals {
  label: string;
  template: string;
  weight: number;
  sent: number;
  clicks: number;
  replies: number;
  optOuts: number;
  conversions: number;
  /** Credited revenue per currency: its sum and the sum of squares the interval needs. */
  revenue: Record<string, { sum: number; sumSq: number }>;
}

/** One variant's report row: its totals, and the rates and comparison made from them. */
export interface VariantRow extends Omit<VariantTotals, "revenue"> {
  /** Conversions ÷ recipients (null before anything was sent). */
  conversionRate: number | null;
  revenue: Record<string, number>;
  revenuePerRecipient: Record<string, number>;
  /** Whether this is the best variant (highest conversion rate, then revenue per recipient). */
  best: boolean;
  /** This variant minus the best one, with 95% intervals (null for the best, or with under 2 recipients on either side). */
  vsBest: { conversionRate: Estimate | null; revenuePerRecipient: Record<string, Estimate | null> } | null;
}

/** A variant test's comparison. */
export interface VariantComparison {
  variants: VariantRow[];
  best: string | null;
  /** Whether the data is enough to name a winner at 95%. */
  decided: boolean;
  verdict: string;
}

const cohort = (v: VariantTotals): Cohort => ({ entrants: v.sent, conversions: Math.min(v.conversions, v.sent), revenue: v.revenue });
const rateOf = (v: VariantTotals) => (v.sent ? Math.min(v.conversions, v.sent) / v.sent : -1);
const perRecipient = (v: VariantTotals, currency: string | undefined) => (currency && v.sent ? (v.revenue[currency]?.sum ?? 0) / v.sent : 0);
const pct = (x: number) => `${(Math.round(x * 1000) / 10).toString()}%`;
const points = (x: number) => `${x > 0 ? "+" : ""}${(Math.round(x * 1000) / 10).toString()}`;

/** Compare the variants of one test. */
export function compareVariants(list: readonly VariantTotals[]): VariantComparison {
  const currencies = [...new Set(list.flatMap((v) => Object.keys(v.revenue)))].sort();
  const main = currencies[0];
  const ranked = [...list].sort((a, b) => rateOf(b) - rateOf(a) || perRecipient(b, main) - perRecipient(a, main) || a.label.localeCompare(b.label));
  const best = ranked[0]?.sent ? ranked[0] : undefined;
  const rows: VariantRow[] = list.map((v) => {
    const lift = best && v !== best ? liftOf(cohort(v), cohort(best)) : undefined;
    return {
      label: v.label, template: v.template, weight: v.weight, sent: v.sent, clicks: v.clicks, replies: v.replies, optOuts: v.optOuts,
      conversions: v.conversions, conversionRate: v.sent ? rateOf(v) : null,
      revenue: Object.fromEntries(Object.entries(v.revenue).map(([c, r]) => [c, r.sum])),
      revenuePerRecipient: Object.fromEntries(currencies.map((c) => [c, perRecipient(v, c)])),
      best: v === best,
      vsBest: lift
        ? { conversionRate: lift.conversionRateDiff, revenuePerRecipient: Object.fromEntries(currencies.map((c) => [c, lift.revenue[c]?.perEntrantDiff ?? null])) }
        : null,
    };
  });
  return { variants: rows, best: best?.label ?? null, ...verdictOf(list, rows, best) };
}

/** The verdict in plain words: a winner only when every other variant's interval lies below the best's rate. */
function verdictOf(list: readonly VariantTotals[], rows: VariantRow[], best: VariantTotals | undefined): { decided: boolean; verdict: string } {
  if (!best) return { decided: false, verdict: "Nothing sent yet: there is nothing to compare." };
  const few = list.filter((v) => v.sent < MIN_RECIPIENTS);
  if (few.length) {
    return {
      decided: false,
      verdict: `Not enough data yet: each variant needs at least ${MIN_RECIPIENTS} recipients to compare (${few.map((v) => `${v.label} has ${v.sent}`).join(", ")}).`,
    };
  }
  const others = rows.filter((r) => !r.best);
  const close = others.filter((r) => !r.vsBest?.conversionRate || r.vsBest.conversionRate.high >= 0);
  const rate = pct(rateOf(best));
  if (!close.length) return { decided: true, verdict: `${best.label} (${best.template}) wins: it converts ${rate} of recipients, more than every other variant with 95% confidence.` };
  const spans = close.map((r) => {
    const d = r.vsBest!.conversionRate!;
    return `${r.label}: ${points(d.low)} to ${points(d.high)} points`;
  });
  return {
    decided: false,
    verdict: `Not enough data yet to pick a winner: ${best.label} converts best so far (${rate}), but ${close.map((r) => r.label).join(" and ")} could be as good (${spans.join("; ")}, 95% interval of the difference in conversion rate).`,
  };
}
