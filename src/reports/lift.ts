/**
 * Holdout lift: what a flow's messages added over its control group, with 95% confidence intervals
 * (normal approximation; Welch's standard error for revenue). Pure arithmetic on cohort totals.
 */

/** One cohort's totals: entrants, those who reached the goal, and goal revenue per currency (sum and sum of squares per entrant). */
export interface Cohort {
  entrants: number;
  conversions: number;
  revenue: Record<string, { sum: number; sumSq: number }>;
}

/** An estimate with its 95% confidence interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** The lift of a flow: sent cohort against control cohort. */
export interface Lift {
  sent: { entrants: number; conversions: number; conversionRate: number | null };
  control: { entrants: number; conversions: number; conversionRate: number | null };
  /** Conversion rate of the sent cohort minus the control's (absolute, 0..1). */
  conversionRateDiff: Estimate | null;
  /** conversionRateDiff ÷ control's rate. */
  relativeLift: number | null;
  /** Conversions the messages added: the rate difference times the sent cohort's entrants. */
  incrementalConversions: Estimate | null;
  /** Per currency: revenue per entrant of each cohort, the difference, and revenue added (difference × sent entrants). */
  revenue: Record<string, { sentPerEntrant: number; controlPerEntrant: number; perEntrantDiff: Estimate | null; incremental: Estimate | null }>;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959964;

const estimate = (value: number, se: number, scale = 1): Estimate => ({ value: value * scale, low: (value - Z95 * se) * scale, high: (value + Z95 * se) * scale });

/** Lift of `sent` over `control`; intervals are null until each cohort has at least two entrants. */
export function liftOf(sent: Cohort, control: Cohort): Lift {
  const rate = (c: Cohort) => (c.entrants ? c.conversions / c.entrants : null);
  const p1 = rate(sent);
  const p0 = rate(control);
  const enough = sent.entrants >= 2 && control.entrants >= 2;
  let diff: Estimate | null = null;
  let incremental: Estimate | null = null;
  if (enough && p1 !== null && p0 !== null) {
    const se = Math.sqrt((p1 * (1 - p1)) / sent.entrants + (p0 * (1 - p0)) / control.entrants);
    diff = estimate(p1 - p0, se);
    incremental = estimate(p1 - p0, se, sent.entrants);
  }
  const revenue: Lift["revenue"] = {};
  for (const currency of new Set([...Object.keys(sent.revenue), ...Object.keys(control.revenue)])) {
    const s = sent.revenue[currency] ?? { sum: 0, sumSq: 0 };
    const c = control.revenue[currency] ?? { sum: 0, sumSq: 0 };
    const m1 = sent.entrants ? s.sum / sent.entrants : 0;
    const m0 = control.entrants ? c.sum / control.entrants : 0;
    let perEntrantDiff: Estimate | null = null;
    let added: Estimate | null = null;
    if (enough) {
      // Sample variance of revenue per entrant (entrants who did not convert count as 0).
      const variance = (x: { sum: number; sumSq: number }, n: number) => Math.max(0, (x.sumSq - (x.sum * x.sum) / n) / (n - 1));
      const se = Math.sqrt(variance(s, sent.entrants) / sent.entrants + variance(c, control.entrants) / control.entrants);
      perEntrantDiff = estimate(m1 - m0, se);
      added = estimate(m1 - m0, se, sent.entrants);
    }
    revenue[currency] = { sentPerEntrant: m1, controlPerEntrant: m0, perEntrantDiff, incremental: added };
  }
  return {
    sent: { entrants: sent.entrants, conversions: sent.conversions, conversionRate: p1 },
    control: { entrants: control.entrants, conversions: control.conversions, conversionRate: p0 },
    conversionRateDiff: diff,
    relativeLift: diff && p0 ? diff.value / p0 : null,
    incrementalConversions: incremental,
    revenue,
  };
}
