/**
 * Wall-clock time in IANA zones, with nothing but `Intl` (no Temporal, no date library), so it runs
 * unchanged in Node and in Workers. Conversions follow Temporal's 'compatible' disambiguation:
 * a skipped wall time (DST gap) resolves to the later instant, i.e. it is shifted forward by the
 * gap; a repeated wall time (DST overlap) resolves to the earlier instant.
 */

/** Wall-clock fields of an instant in one zone. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** The local date as "YYYY-MM-DD". */
  date: string;
}

const DAY_MS = 86_400_000;

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one.
const formatters = new Map<string, Intl.DateTimeFormat>();
const validity = new Map<string, boolean>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      calendar: "gregory",
      numberingSystem: "latn",
      // h23, not hour12:false: some engines print midnight as "24" with the latter.
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    // Bounded: zone spellings are case-insensitive, so user input could otherwise add entries forever.
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime's `Intl` knows the time zone (IANA names, case-insensitive; also "UTC" and "+01:00"-style offsets). */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== "string" || tz === "") return false;
  const known = validity.get(tz);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    formatterFor(tz);
    ok = true;
  } catch {
    ok = false;
  }
  // Bounded so arbitrary user input cannot grow the cache without limit.
  if (validity.size > 1000) validity.clear();
  validity.set(tz, ok);
  return ok;
}

function assertZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`);
}

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;
const pad4 = (n: number) => (n < 0 ? "-" + String(-n).padStart(6, "0") : n > 9999 ? "+" + String(n).padStart(6, "0") : String(n).padStart(4, "0"));

/** "YYYY-MM-DD" for a proleptic Gregorian date. */
function ymd(year: number, month: number, day: number): string {
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}`;
}

/** Epoch ms of a wall time read as if it were UTC; safe for years 0–99, which Date.UTC maps to 19xx. */
function wallAsUtc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** ISO weekday (1 = Mon … 7 = Sun) of a proleptic Gregorian date. */
function isoWeekday(year: number, month: number, day: number): number {
  const dow = new Date(wallAsUtc(year, month, day, 12, 0, 0)).getUTCDay();
  return dow === 0 ? 7 : dow;
}

// en-US with era and h23, e.g. "3/10/2024 AD, 03:00:00".
const FORMATTED = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6})\s*(AD|BC|A|B)?,?\s+(\d{1,2}):(\d{2}):(\d{2})$/;

/** [year, month, day, hour, minute, second] of an instant in a zone; the shared core of localParts and offsetAt. */
function wallFields(instantMs: number, timeZone: string): [number, number, number, number, number, number] {
  if (!Number.isFinite(instantMs)) throw new RangeError(`invalid instant ${instantMs}`);
  let f: Intl.DateTimeFormat;
  try {
    f = formatterFor(timeZone);
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, bc = false;
  // format() + a regex is about 4x faster than formatToParts(); the parts path is the fallback
  // in case an engine ever lays the en-US string out differently.
  const m = FORMATTED.exec(f.format(instantMs));
  if (m) {
    month = Number(m[1]);
    day = Number(m[2]);
    year = Number(m[3]);
    bc = m[4] === "BC" || m[4] === "B";
    hour = Number(m[5]) % 24;
    minute = Number(m[6]);
    second = Number(m[7]);
  } else {
    for (const p of f.formatToParts(instantMs)) {
      switch (p.type) {
        case "year": year = Number(p.value); break;
        case "month": month = Number(p.value); break;
        case "day": day = Number(p.value); break;
        case "hour": hour = Number(p.value) % 24; break;
        case "minute": minute = Number(p.value); break;
        case "second": second = Number(p.value); break;
        case "era": bc = p.value === "BC" || p.value === "B"; break;
      }
    }
  }
  // Intl counts years by era (1 BC, 2 BC…); ISO uses astronomical years (0, -1…).
  if (bc) year = 1 - year;
  return [year, month, day, hour, minute, second];
}

/** Wall-clock fields of an instant in a zone (cached formatter per zone; throws RangeError for an unknown zone). */
export function localParts(instantMs: number, timeZone: string): LocalParts {
  const [year, month, day, hour, minute, second] = wallFields(instantMs, timeZone);
  return { year, month, day, hour, minute, second, weekday: isoWeekday(year, month, day), date: ymd(year, month, day) };
}

/** UTC offset (ms) of a zone at an instant, to the second (historic LMT offsets have seconds). */
function offsetAt(instantMs: number, timeZone: string): number {
  const t = Math.floor(instantMs / 1000) * 1000;
  const [year, month, day, hour, minute, second] = wallFields(t, timeZone);
  return wallAsUtc(year, month, day, hour, minute, second) - t;
}

/** Wall time (as ms read as UTC) → epoch ms, 'compatible' disambiguation. The zone must be valid. */
function wallToEpoch(wallMs: number, timeZone: string): number {
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  // Fast path: no transition near this day (the usual case), verified so that two transitions
  // within the two days (rare) still go through the general path.
  if (before === after && offsetAt(wallMs - before, timeZone) === before) return wallMs - before;
  // The instants whose offset reproduces this wall time. The offset at the wall time itself is a
  // third candidate in case two transitions lie within the ±1 day span.
  const candidates = new Set([before, after, offsetAt(wallMs, timeZone)]);
  let best: number | undefined;
  for (const off of candidates) {
    const t = wallMs - off;
    if (offsetAt(t, timeZone) === off && (best === undefined || t < best)) best = t; // overlap → earlier
  }
  if (best !== undefined) return best;
  // Gap: read the wall time with the offset in force before the transition. That lands after the
  // transition, shifted forward by the gap's length, as Temporal's 'compatible' and Python's fold=0 do.
  return wallMs - before;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(wallAsUtc(year, month + 1, 0, 12, 0, 0)).getUTCDate();
}

/** Checks a calendar date's fields, throwing a RangeError that names the bad part. */
function checkDate(year: number, month: number, day: number, input: string): void {
  if (year < 1) throw new RangeError(`invalid year ${pad4(year)} in ${JSON.stringify(input)} (0001-9999)`);
  if (month < 1 || month > 12) throw new RangeError(`invalid month ${pad2(month)} in ${JSON.stringify(input)}`);
  const dim = daysInMonth(year, month);
  if (day < 1 || day > dim)
    throw new RangeError(`invalid day ${pad2(day)} in ${JSON.stringify(input)}: ${pad4(year)}-${pad2(month)} has ${dim} days`);
}

function checkTime(hour: number, minute: number, second: number, input: string): void {
  if (hour > 23) throw new RangeError(`invalid hour ${pad2(hour)} in ${JSON.stringify(input)} (00-23)`);
  if (minute > 59) throw new RangeError(`invalid minute ${pad2(minute)} in ${JSON.stringify(input)} (00-59)`);
  if (second > 59) throw new RangeError(`invalid second ${pad2(second)} in ${JSON.stringify(input)} (00-59)`);
}

/** "YYYY-MM-DDTHH:mm[:ss]" wall time in an IANA zone → UTC instant as `toISOString()` writes it (gap → later, overlap → earlier). */
export function zonedToInstant(localDateTime: string, timeZone: string): string {
  if (typeof localDateTime !== "string") throw new RangeError("local date-time must be a string");
  const m = DATE_TIME.exec(localDateTime);
  if (!m) throw new RangeError(`invalid local date-time ${JSON.stringify(localDateTime)}: expected YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss`);
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  checkDate(year, month, day, localDateTime);
  checkTime(hour, minute, second, localDateTime);
  assertZone(timeZone);
  return new Date(wallToEpoch(wallAsUtc(year, month, day, hour, minute, second), timeZone)).toISOString();
}

// Window edges ("09:00" on a given day in a given zone) recur on every send decision; memoise them.
const edgeCache = new Map<string, number>();

/** Epoch ms of "HH:mm" (or "24:00" = next day's start) on a local date in a zone, 'compatible' rule; memoised. */
export function localToInstantMs(date: string, time: string, timeZone: string): number {
  const key = `${timeZone}|${date}|${time}`;
  const hit = edgeCache.get(key);
  if (hit !== undefined) return hit;
  const dm = DATE.exec(date);
  if (!dm) throw new RangeError(`invalid local date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  const tm = TIME.exec(time);
  if (!tm) throw new RangeError(`invalid local time ${JSON.stringify(time)}: expected HH:mm`);
  const [year, month, day] = [dm[1], dm[2], dm[3]].map(Number) as [number, number, number];
  let [hour, minute] = [tm[1], tm[2]].map(Number) as [number, number];
  checkDate(year, month, day, date);
  let dayShift = 0;
  if (hour === 24 && minute === 0) {
    // End-of-day edge: the next day's first instant (itself 'compatible' if midnight is skipped).
    hour = 0;
    dayShift = 1;
  } else checkTime(hour, minute, 0, time);
  assertZone(timeZone);
  const ms = wallToEpoch(wallAsUtc(year, month, day + dayShift, hour, minute, 0), timeZone);
  if (edgeCache.size > 4096) edgeCache.clear();
  edgeCache.set(key, ms);
  return ms;
}

/** The calendar date `n` days after (or before, for negative `n`) a "YYYY-MM-DD" date. */
export function addLocalDays(date: string, n: number): string {
  const dm = DATE.exec(date);
  if (!dm) throw new RangeError(`invalid local date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  const [year, month, day] = [dm[1], dm[2], dm[3]].map(Number) as [number, number, number];
  checkDate(year, month, day, date);
  const d = new Date(wallAsUtc(year, month, day + n, 12, 0, 0));
  return ymd(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a "YYYY-MM-DD" date. */
export function weekdayOf(date: string): number {
  const dm = DATE.exec(date);
  if (!dm) throw new RangeError(`invalid local date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  const [year, month, day] = [dm[1], dm[2], dm[3]].map(Number) as [number, number, number];
  checkDate(year, month, day, date);
  return isoWeekday(year, month, day);
}
