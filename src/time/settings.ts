/**
 * The `quietHours` settings section: legal windows by jurisdiction (seeded from quiet_hours.json),
 * the window for every other country, an optional brand window, and the purposes that are exempt.
 * A brand may narrow a legal window, never widen it: a save that would is refused.
 */
import { z } from "@hono/zod-openapi";
import { DEFAULT_QUIET_HOURS, type JurisdictionRule, type LocalWindow } from "./quiet-hours";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "a local time HH:mm");
const Window = z
  .object({ start: HHMM, end: HHMM })
  .strict()
  .refine((w) => w.start < w.end, "start must be before end");
const Rule = z
  .object({
    window: Window,
    byWeekday: z.partialRecord(z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), Window.nullable()).optional(),
    noSundays: z.boolean().optional(),
    noPublicHolidays: z.boolean().optional(),
    holidayCalendar: z.string().optional(),
    status: z.enum(["VERIFIED", "SECONDARY", "UNVERIFIED"]).optional(),
    basis: z.string().optional(),
  })
  .strict();

const within = (w: LocalWindow, legal: LocalWindow) => w.start >= legal.start && w.end <= legal.end;

/** The legal rule a jurisdiction's setting may only narrow (a state also answers to its country). */
function legalRules(key: string): JurisdictionRule[] {
  const out: JurisdictionRule[] = [];
  const own = DEFAULT_QUIET_HOURS.jurisdictions[key];
  if (own) out.push(own);
  const country = DEFAULT_QUIET_HOURS.jurisdictions[key.slice(0, 2)];
  if (key.length > 2 && country) out.push(country);
  return out;
}

/** Where a jurisdiction rule would widen the law, in words (empty when it only narrows). */
export function widenings(key: string, rule: z.infer<typeof Rule>): string[] {
  const problems: string[] = [];
  for (const legal of legalRules(key)) {
    if (!within(rule.window, legal.window)) problems.push(`${key}: window ${rule.window.start}-${rule.window.end} is wider than the legal ${legal.window.start}-${legal.window.end}`);
    if (legal.noSundays && !rule.noSundays && rule.byWeekday?.sun !== null) problems.push(`${key}: Sundays are closed by law`);
    if (legal.noPublicHolidays && !rule.noPublicHolidays) problems.push(`${key}: public holidays are closed by law`);
    // Another calendar (or one we do not have) would reopen the law's holidays.
    if (legal.noPublicHolidays && (rule.holidayCalendar ?? key) !== (legal.holidayCalendar ?? key)) {
      problems.push(`${key}: the holiday calendar is set by law (${legal.holidayCalendar ?? key})`);
    }
    for (const [day, w] of Object.entries(legal.byWeekday ?? {})) {
      const mine = rule.byWeekday?.[day as keyof typeof rule.byWeekday];
      if (w === null && mine !== null) problems.push(`${key}: ${day} is closed by law`);
      else if (w && mine && !within(mine, w)) problems.push(`${key}: ${day} ${mine.start}-${mine.end} is wider than the legal ${w.start}-${w.end}`);
      else if (w && mine === undefined && !within(rule.window, w)) problems.push(`${key}: ${day} needs a window within ${w.start}-${w.end}`);
    }
  }
  // Where no law sets a window, a brand rule still may not open the night: same bounds as the default window.
  if (!legalRules(key).length && !(rule.window.start >= "08:00" && rule.window.end <= "21:00")) {
    problems.push(`${key}: a window must lie within 08:00-21:00`);
  }
  return problems;
}

/** zod schema of the `quietHours` settings section. */
export const QuietHoursSection = z
  .object({
    /** The window for recipients in jurisdictions without a rule: never 24 hours, within 08:00–21:00. */
    defaultWindow: Window.refine((w) => w.start >= "08:00" && w.end <= "21:00", "the default window must lie within 08:00-21:00").default(DEFAULT_QUIET_HOURS.defaultWindow),
    /** The brand's own window, applied everywhere on top of the law (narrows only). */
    brandWindow: Window.optional(),
    /** Rules by jurisdiction (ISO 3166: US, US-FL, FR); seeded from the reference, narrow only. */
    jurisdictions: z.record(z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, "an ISO 3166 code such as US, US-FL or FR"), Rule)
      .default(DEFAULT_QUIET_HOURS.jurisdictions as never),
    /** Purposes that may be sent at any hour (transactional by default; never marketing: quiet-hour laws are about marketing). */
    exempt: z.array(z.string().refine((p) => p !== "marketing", "marketing can never be exempt from quiet hours")).default(["transactional"]),
  })
  .strict()
  .superRefine((s, ctx) => {
    // A jurisdiction the law covers cannot be dropped or widened.
    for (const key of Object.keys(DEFAULT_QUIET_HOURS.jurisdictions)) {
      if (!s.jurisdictions[key]) ctx.addIssue({ code: "custom", path: ["jurisdictions", key], message: `${key} has legal quiet hours and cannot be removed` });
    }
    for (const [key, rule] of Object.entries(s.jurisdictions)) {
      for (const message of widenings(key, rule)) ctx.addIssue({ code: "custom", path: ["jurisdictions", key], message });
    }
  });
