/**
 * Public holidays computed per year (no tables to go stale). Add a country by writing its
 * `(year) => dates` function and registering it in CALENDARS.
 */
import { addLocalDays, weekdayOf } from "./zoned";

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;
const ymd = (y: number, m: number, d: number) => `${String(y).padStart(4, "0")}-${pad2(m)}-${pad2(d)}`;

/** Easter Sunday ("YYYY-MM-DD") of a Gregorian year, by the anonymous Gregorian computus (Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** France's 11 national jours fériés (Code du travail L3133-1). Alsace-Moselle's extra days and overseas departments' abolition days are regional and not included. */
function france(year: number): string[] {
  const easter = easterSunday(year);
  return [
    ymd(year, 1, 1), // Jour de l'an
    addLocalDays(easter, 1), // Lundi de Pâques
    ymd(year, 5, 1), // Fête du Travail
    ymd(year, 5, 8), // Victoire 1945
    addLocalDays(easter, 39), // Ascension (Thursday)
    addLocalDays(easter, 50), // Lundi de Pentecôte
    ymd(year, 7, 14), // Fête nationale
    ymd(year, 8, 15), // Assomption
    ymd(year, 11, 1), // Toussaint
    ymd(year, 11, 11), // Armistice
    ymd(year, 12, 25), // Noël
  ];
}

/** The n-th (1-based) given ISO weekday of a month; n = -1 for the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  if (n > 0) {
    const first = ymd(year, month, 1);
    return addLocalDays(first, ((weekday - weekdayOf(first) + 7) % 7) + 7 * (n - 1));
  }
  const last = addLocalDays(ymd(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1), -1);
  return addLocalDays(last, -((weekdayOf(last) - weekday + 7) % 7));
}

/** A fixed-date federal holiday and, when it falls on a weekend, its observed weekday (5 U.S.C. 6103(b)). */
function withObserved(date: string): string[] {
  const wd = weekdayOf(date);
  return wd === 6 ? [date, addLocalDays(date, -1)] : wd === 7 ? [date, addLocalDays(date, 1)] : [date];
}

/**
 * US federal holidays (5 U.S.C. 6103), both the actual and the observed date. Used for states whose
 * telemarketing law bans "holidays" until a state calendar is added: a floor, not the state's list.
 */
function unitedStates(year: number): string[] {
  const out = [
    ...withObserved(ymd(year, 1, 1)),
    nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    nthWeekday(year, 5, 1, -1), // Memorial Day
    ...(year >= 2021 ? withObserved(ymd(year, 6, 19)) : []), // Juneteenth (since 2021)
    ...withObserved(ymd(year, 7, 4)),
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 10, 1, 2), // Columbus Day
    ...withObserved(ymd(year, 11, 11)),
    nthWeekday(year, 11, 4, 4), // Thanksgiving
    ...withObserved(ymd(year, 12, 25)),
  ];
  // Next year's New Year's Day, when a Saturday, is observed on this year's Dec 31.
  if (weekdayOf(ymd(year + 1, 1, 1)) === 6) out.push(ymd(year, 12, 31));
  // …and this year's, when a Saturday, was observed last year: drop that Dec 31 from this year's list.
  return out.filter((d) => d.startsWith(`${String(year).padStart(4, "0")}-`));
}

const CALENDARS: Record<string, (year: number) => string[]> = { FR: france, US: unitedStates };

/** The calendar key used for a country or subdivision: "US-AL" uses "US" until a state calendar exists. */
function calendarKey(country: string): string | undefined {
  const c = country.toUpperCase();
  if (CALENDARS[c]) return c;
  const parent = c.split("-")[0] ?? c;
  return CALENDARS[parent] ? parent : undefined;
}

/** True when a holiday calendar exists for the country (or the subdivision's country). */
export function hasHolidayCalendar(country: string): boolean {
  return calendarKey(country) !== undefined;
}

const cache = new Map<string, ReadonlySet<string>>();

function holidaySet(country: string, year: number): ReadonlySet<string> {
  const key = calendarKey(country);
  if (!key) return new Set();
  const k = `${key}|${year}`;
  let set = cache.get(k);
  if (!set) {
    set = new Set(CALENDARS[key]?.(year) ?? []);
    if (cache.size > 256) cache.clear();
    cache.set(k, set);
  }
  return set;
}

/** Public holidays ("YYYY-MM-DD", sorted) of a country ("FR", "US"; a subdivision like "US-AL" uses its country's list); [] for a country with no calendar. */
export function publicHolidays(country: "FR" | "US" | (string & {}), year: number): string[] {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) throw new RangeError(`year ${year} outside 1583-9999 (Gregorian)`);
  return [...holidaySet(country, year)].sort();
}

/** True when the local date ("YYYY-MM-DD") is a public holiday in the country (false when no calendar exists). */
export function isPublicHoliday(country: string, date: string): boolean {
  const year = Number(date.slice(0, 4));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || year < 1583) return false;
  return holidaySet(country, year).has(date);
}
