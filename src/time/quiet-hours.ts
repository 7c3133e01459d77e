/**
 * Quiet hours: when a marketing SMS may reach a recipient, evaluated in the recipient's local time.
 *
 * A jurisdiction key is "default", a country ("US", "FR") or a subdivision ("US-FL"). A subdivision
 * is bound by its own rule AND its country's (state law adds to federal law), so their windows are
 * intersected and their day bans combined. A brand window is intersected too: it can only narrow.
 * When the recipient's zone is uncertain, every candidate zone must be inside the window at once.
 *
 * Pure and binding-free: no I/O, only `Intl` through ./zoned.
 */
import { isPublicHoliday } from "./holidays";
import { countryOfNumber, e164Digits, nanpRegion } from "./phone-zones";
import { addLocalDays, isValidTimeZone, localParts, localToInstantMs, weekdayOf } from "./zoned";

/** A same-day local window [start, end): "HH:mm" 24-hour times, start < end; end may be "24:00". */
export interface LocalWindow {
  start: string;
  end: string;
}

/** Lower-case weekday keys, Monday first. */
export type WeekdayKey = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/** How well a rule is sourced, as quiet_hours.json grades it. */
export type RuleStatus = "VERIFIED" | "SECONDARY" | "UNVERIFIED";

/** One jurisdiction's legal send window. */
export interface JurisdictionRule {
  /** The window on any day without an override. */
  window: LocalWindow;
  /** Per-weekday overrides; `null` = no sends that day. */
  byWeekday?: Partial<Record<WeekdayKey, LocalWindow | null>>;
  /** No sends on Sundays. */
  noSundays?: boolean;
  /** No sends on public holidays (calendar: `holidayCalendar`, else the jurisdiction key; "US-AL" falls back to "US"). */
  noPublicHolidays?: boolean;
  /** Holiday calendar key for `noPublicHolidays` when it differs from the jurisdiction key. */
  holidayCalendar?: string;
  /** Source quality, for audit only. */
  status?: RuleStatus;
  /** Legal basis in words, for audit only. */
  basis?: string;
}

/** Quiet-hours settings: the window for jurisdictions without a rule, plus the rules by jurisdiction key. */
export interface QuietHoursRules {
  defaultWindow: LocalWindow;
  jurisdictions: Record<string, JurisdictionRule>;
}

const WEEKDAY_KEYS: readonly WeekdayKey[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const US_8_TO_8: LocalWindow = { start: "08:00", end: "20:00" };

/**
 * Defaults seeded from shared/reference/compliance/quiet_hours.json (not legal advice). Stricter
 * UNVERIFIED rows are kept because being stricter than the law only delays a message.
 */
export const DEFAULT_QUIET_HOURS: QuietHoursRules = {
  // Recipients outside any listed jurisdiction: the file's "most conservative national window".
  defaultWindow: { start: "09:00", end: "20:00" },
  jurisdictions: {
    // federal_us, VERIFIED: 47 CFR 64.1200(c)(1), 8 a.m.–9 p.m. at the called party's location.
    US: { window: { start: "08:00", end: "21:00" }, status: "VERIFIED", basis: "47 CFR 64.1200(c)(1)" },
    // VERIFIED: Fla. Stat. 501.616(6)(a) (9 p.m. → 8 p.m. by 2021 CS/SB 1120); covers texts.
    "US-FL": { window: US_8_TO_8, status: "VERIFIED", basis: "Fla. Stat. 501.616(6)(a)" },
    // VERIFIED: RCW 19.158.040(2).
    "US-WA": { window: US_8_TO_8, status: "VERIFIED", basis: "RCW 19.158.040(2)" },
    // SECONDARY (8–8 window): Oklahoma Telephone Solicitation Act 2022, covers texts.
    "US-OK": { window: US_8_TO_8, status: "SECONDARY", basis: "15 O.S. 775C.1 et seq." },
    // SECONDARY: Maryland Stop the Spam Calls Act (2023).
    "US-MD": { window: US_8_TO_8, status: "SECONDARY", basis: "Maryland Stop the Spam Calls Act (2023)" },
    // SECONDARY: Conn. Gen. Stat. 42-288a as amended 2023-10-01.
    "US-CT": { window: { start: "09:00", end: "20:00" }, status: "SECONDARY", basis: "Conn. Gen. Stat. 42-288a" },
    // SECONDARY: Mon–Sat 09–21, Sunday 12–21; SB 140 (2025) brings texts in scope.
    "US-TX": {
      window: { start: "09:00", end: "21:00" },
      byWeekday: { sun: { start: "12:00", end: "21:00" } },
      status: "SECONDARY",
      basis: "Tex. Bus. & Com. Code ch. 301/302; SB 140 (2025)",
    },
    // UNVERIFIED (single vendor source): reported 2024 mini-TCPA change.
    "US-NJ": { window: US_8_TO_8, status: "UNVERIFIED", basis: "reported 2024 mini-TCPA change" },
    // SECONDARY: 8–8, no Sunday.
    "US-MS": { window: US_8_TO_8, noSundays: true, status: "SECONDARY" },
    // SECONDARY: 8–8, no Sunday, no holidays (federal holidays as a floor; see holidays.ts).
    "US-AL": { window: US_8_TO_8, noSundays: true, noPublicHolidays: true, status: "SECONDARY" },
    "US-LA": { window: US_8_TO_8, noSundays: true, noPublicHolidays: true, status: "SECONDARY" },
    // SECONDARY (dropcowboy compilation).
    "US-MA": { window: US_8_TO_8, status: "SECONDARY" },
    "US-NV": { window: { start: "09:00", end: "20:00" }, status: "SECONDARY" },
    "US-KY": { window: { start: "10:00", end: "21:00" }, status: "SECONDARY" },
    "US-MI": { window: { start: "09:00", end: "21:00" }, status: "SECONDARY" },
    "US-MN": { window: { start: "09:00", end: "21:00" }, status: "SECONDARY" },
    "US-NM": { window: { start: "09:00", end: "21:00" }, status: "SECONDARY" },
    // UNVERIFIED details: weekdays 09–18, Saturday 10–17; "Sundays/holidays likely prohibited",
    // encoded as prohibited (the conservative reading).
    "US-RI": {
      window: { start: "09:00", end: "18:00" },
      byWeekday: { sat: { start: "10:00", end: "17:00" } },
      noSundays: true,
      noPublicHolidays: true,
      status: "UNVERIFIED",
    },
    // UNVERIFIED, table garbled in the source: "Mon–Fri 8am–9pm, different Sat/Sun hours, no
    // holidays". Only the holiday ban is encoded; the unknown Sat/Sun hours stay at the federal window.
    "US-PA": { window: { start: "08:00", end: "21:00" }, noPublicHolidays: true, status: "UNVERIFIED" },
    // SECONDARY/UNVERIFIED legal basis (CNIL/FFT code of conduct, not a statute): commercial SMS
    // Mon–Sat 08–20, no Sundays, no public holidays.
    FR: {
      window: { start: "08:00", end: "20:00" },
      noSundays: true,
      noPublicHolidays: true,
      status: "SECONDARY",
      basis: "FFT code of conduct / CNIL guidance",
    },
    // PL: no statutory window (window: null in the file), so Poland uses defaultWindow.
  },
};

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** True for a well-formed window: "HH:mm" start before "HH:mm" end, end may be "24:00". */
export function isValidLocalWindow(w: unknown): w is LocalWindow {
  if (!w || typeof w !== "object") return false;
  const { start, end } = w as { start?: unknown; end?: unknown };
  return typeof start === "string" && typeof end === "string" && HHMM.test(start) && HHMM.test(end) && start !== "24:00" && start < end;
}

function checkWindow(w: LocalWindow, what: string): void {
  if (!isValidLocalWindow(w))
    throw new RangeError(`invalid ${what} window ${JSON.stringify(w)}: expected {start,end} as "HH:mm", start < end, end ≤ "24:00"`);
}

// Zero-padded "HH:mm" strings order like the times they name, so plain string comparison suffices.
function intersect(a: LocalWindow, b: LocalWindow): LocalWindow | null {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return start < end ? { start, end } : null;
}

/** The rules that bind a jurisdiction: its country's, then its own. Empty = use the default window. */
function ruleChain(jurisdiction: string, rules: QuietHoursRules): Array<[string, JurisdictionRule]> {
  if (jurisdiction === "default") return [];
  const chain: Array<[string, JurisdictionRule]> = [];
  const dash = jurisdiction.indexOf("-");
  if (dash > 0) {
    const country = jurisdiction.slice(0, dash);
    const parent = rules.jurisdictions[country];
    if (parent) chain.push([country, parent]);
  }
  const own = rules.jurisdictions[jurisdiction];
  if (own) chain.push([jurisdiction, own]);
  return chain;
}

/** One rule's window on a date, or null when the rule bans that day. */
function ruleWindow(key: string, rule: JurisdictionRule, date: string, weekday: number): LocalWindow | null {
  if (rule.noSundays && weekday === 7) return null;
  if (rule.noPublicHolidays && isPublicHoliday(rule.holidayCalendar ?? key, date)) return null;
  const override = rule.byWeekday?.[WEEKDAY_KEYS[weekday - 1] as WeekdayKey];
  const w = override === undefined ? rule.window : override;
  if (w) checkWindow(w, key);
  return w;
}

/** The allowed local window(s) on a local date ("YYYY-MM-DD") for a jurisdiction; [] = no sends that day. A brand window only narrows. */
export function windowFor(jurisdiction: string, localDate: string, rules: QuietHoursRules, brandWindow?: LocalWindow): LocalWindow[] {
  const weekday = weekdayOf(localDate);
  const chain = ruleChain(jurisdiction, rules);
  let w: LocalWindow | null;
  if (chain.length === 0) {
    checkWindow(rules.defaultWindow, "default");
    w = rules.defaultWindow;
  } else {
    w = { start: "00:00", end: "24:00" };
    for (const [key, rule] of chain) {
      const rw = ruleWindow(key, rule, localDate, weekday);
      w = rw && intersect(w, rw);
      if (!w) return [];
    }
  }
  if (brandWindow) {
    checkWindow(brandWindow, "brand");
    w = intersect(w, brandWindow);
  }
  return w ? [{ start: w.start, end: w.end }] : [];
}

// US territories under the TCPA whose numbers are +1 but not in the US/Canada area-code table.
const US_TERRITORIES = new Set(["PR", "GU", "VI", "AS", "MP"]);

/**
 * Jurisdiction key for a number: a US/Canadian area code's state or province (Florida presumes its
 * area codes reach Florida residents), else the calling code's country, else `countryHint` ("FR",
 * or a subdivision such as "US-TX"), narrowed to the most specific key that has a rule, or "default".
 */
export function jurisdictionFor(e164: string, countryHint?: string, rules: QuietHoursRules = DEFAULT_QUIET_HOURS): string {
  let region: string | undefined;
  let country: string | undefined;
  if (e164Digits(e164)) {
    region = nanpRegion(e164);
    country = countryOfNumber(e164);
  }
  const hint = countryHint?.trim().toUpperCase();
  if (hint && /^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/.test(hint)) {
    const hintCountry = hint.slice(0, 2);
    // The number wins where it says something; the hint fills in what it does not.
    if (!country) country = US_TERRITORIES.has(hintCountry) ? "US" : hintCountry;
    if (!region && hint.length > 2 && hintCountry === country) region = hint;
  }
  if (region && rules.jurisdictions[region]) return region;
  if (country && rules.jurisdictions[country]) return country;
  return "default";
}

/** Why no open instant was found. */
export type NoOpenReason =
  /** No candidate zone was given. */
  | "no_zones"
  /** Each zone has windows, but never all at once (e.g. zones too far apart for the window): fall back to one zone. */
  | "zones_never_overlap"
  /** No window at all within the horizon (days all banned, or a brand window disjoint from the legal one). */
  | "no_window_in_horizon";

/** Result of `nextOpenInstant`: `open` = sendable at `fromMs`; `at` = earliest sendable instant ≥ fromMs, or null with a reason. */
export type NextOpenResult =
  | { open: true; at: number; jurisdiction: string }
  | { open: false; at: number; jurisdiction: string }
  | { open: false; at: null; jurisdiction: string; reason: NoOpenReason };

/** Options for `nextOpenInstant`. */
export interface NextOpenOptions {
  /** Local days to search ahead of the starting day (default 14). */
  horizonDays?: number;
}

type Interval = [start: number, end: number];

/** Walks one zone's open intervals forward, a local day at a time, computing each day on demand. */
class ZoneCursor {
  private readonly zone: string;
  private readonly windowsOn: (date: string) => LocalWindow[];
  private date: string;
  private daysLeft: number;
  private queue: Interval[] = [];
  private qi = 0;
  /** Whether this zone alone had any open interval (ending after the start) within the horizon. */
  sawAny = false;

  constructor(zone: string, fromMs: number, horizonDays: number, windowsOn: (date: string) => LocalWindow[]) {
    this.zone = zone;
    this.windowsOn = windowsOn;
    this.date = localParts(fromMs, zone).date;
    this.daysLeft = horizonDays + 1;
  }

  /** The first interval ending after `t` (it may start after `t`), or undefined past the horizon. */
  next(t: number): Interval | undefined {
    for (;;) {
      while (this.qi < this.queue.length) {
        const iv = this.queue[this.qi] as Interval;
        if (iv[1] > t) {
          this.sawAny = true;
          return iv;
        }
        this.qi++;
      }
      if (this.daysLeft <= 0) return undefined;
      this.daysLeft--;
      this.queue = this.intervalsOn(this.date);
      this.qi = 0;
      this.date = addLocalDays(this.date, 1);
    }
  }

  /** True when this zone on its own opens at some point after `t` within the horizon. */
  opensAfter(t: number): boolean {
    return this.sawAny || this.next(t) !== undefined;
  }

  private intervalsOn(date: string): Interval[] {
    const windows = this.windowsOn(date);
    if (windows.length === 0) return [];
    // Clamp to the instants that really carry this local date: a skipped day (Apia 2011-12-30)
    // comes out empty instead of borrowing the next day's hours under the wrong weekday.
    const dayStart = localToInstantMs(date, "00:00", this.zone);
    const dayEnd = localToInstantMs(date, "24:00", this.zone);
    const out: Interval[] = [];
    for (const w of windows) {
      // 'compatible' edges: a start inside a DST gap opens after the gap, never before it.
      const s = Math.max(localToInstantMs(date, w.start, this.zone), dayStart);
      const e = Math.min(localToInstantMs(date, w.end, this.zone), dayEnd);
      if (s < e) out.push([s, e]);
    }
    return out;
  }
}

/**
 * Earliest instant ≥ fromMs at which every candidate zone is inside the jurisdiction's window
 * (`open: true, at: fromMs` when already inside), searching up to `horizonDays` local days ahead.
 */
export function nextOpenInstant(
  fromMs: number,
  zones: readonly string[],
  jurisdiction: string,
  rules: QuietHoursRules,
  brandWindow?: LocalWindow,
  options: NextOpenOptions = {},
): NextOpenResult {
  if (!Number.isFinite(fromMs)) throw new RangeError(`invalid instant ${fromMs}`);
  const horizonDays = options.horizonDays ?? 14;
  if (!Number.isInteger(horizonDays) || horizonDays < 0 || horizonDays > 366)
    throw new RangeError(`horizonDays must be an integer 0-366, got ${horizonDays}`);
  const unique = [...new Set(zones)];
  if (unique.length === 0) return { open: false, at: null, jurisdiction, reason: "no_zones" };
  for (const z of unique) if (!isValidTimeZone(z)) throw new RangeError(`unknown time zone ${JSON.stringify(z)}`);
  if (brandWindow) checkWindow(brandWindow, "brand");

  // The legal windows of a date do not depend on the zone: compute each date once per call.
  const byDate = new Map<string, LocalWindow[]>();
  const windowsOn = (date: string) => {
    let w = byDate.get(date);
    if (!w) byDate.set(date, (w = windowFor(jurisdiction, date, rules, brandWindow)));
    return w;
  };
  const cursors = unique.map((z) => new ZoneCursor(z, fromMs, horizonDays, windowsOn));

  // Every zone yields its first interval ending after t. If all of them already contain t, t is
  // open everywhere; otherwise nothing before the latest of their starts can be, so jump there.
  let t = fromMs;
  for (;;) {
    let latest = t;
    let exhausted = false;
    for (const c of cursors) {
      const iv = c.next(t);
      if (!iv) {
        exhausted = true;
        break;
      }
      if (iv[0] > latest) latest = iv[0];
    }
    if (exhausted) break;
    if (latest === t) return t === fromMs ? { open: true, at: t, jurisdiction } : { open: false, at: t, jurisdiction };
    t = latest;
  }
  const eachOpens = cursors.every((c) => c.opensAfter(fromMs));
  return {
    open: false,
    at: null,
    jurisdiction,
    reason: unique.length > 1 && eachOpens ? "zones_never_overlap" : "no_window_in_horizon",
  };
}

/** False when the candidate zones each open but never all at once within the horizon, so the caller should fall back to a single zone. */
export function zonesCanIntersect(
  zones: readonly string[],
  fromMs: number,
  jurisdiction: string,
  rules: QuietHoursRules,
  brandWindow?: LocalWindow,
  options?: NextOpenOptions,
): boolean {
  const r = nextOpenInstant(fromMs, zones, jurisdiction, rules, brandWindow, options);
  return !(r.at === null && r.reason === "zones_never_overlap");
}
