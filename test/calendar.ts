/**
 * Calendar arithmetic for tests that must hold at whatever instant test/setup.ts pins: a Tuesday,
 * 18:00 UTC, in US standard time (TIDINGS_TEST_CLOCK). Tests express dates relative to that instant
 * instead of writing the default date's calendar into their expectations.
 */
const DAY = 86_400_000;

/** ISO instant `days` after the UTC midnight of `from`'s day, at hh:mm UTC. */
export function utcDay(from: number, days: number, hh = 0, mm = 0): string {
  return new Date(from - (from % DAY) + days * DAY + (hh * 60 + mm) * 60_000).toISOString();
}

/** The calendar date (YYYY-MM-DD, UTC) `days` after `from`'s day. */
export function dateAfter(from: number, days: number): string {
  return utcDay(from, days).slice(0, 10);
}

/**
 * The next US change to daylight time (second Sunday of March, since 2007; YYYY-MM-DD) at least
 * `minDays` after `from`. Europe changes later (last Sunday of March), so that day is still GMT/CET there.
 */
export function nextUsDaylightSaving(from: number, minDays = 2): string {
  for (let year = new Date(from).getUTCFullYear(); ; year++) {
    const firstSunday = 1 + ((7 - new Date(Date.UTC(year, 2, 1)).getUTCDay()) % 7);
    const change = Date.UTC(year, 2, firstSunday + 7);
    if (change >= from + minDays * DAY) return new Date(change).toISOString().slice(0, 10);
  }
}
