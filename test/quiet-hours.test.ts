import { describe, expect, it } from "vitest";
import { easterSunday, hasHolidayCalendar, isPublicHoliday, publicHolidays } from "../src/time/holidays";
import { candidateZones } from "../src/time/phone-zones";
import {
  DEFAULT_QUIET_HOURS as RULES,
  isValidLocalWindow,
  jurisdictionFor,
  nextOpenInstant,
  type QuietHoursRules,
  windowFor,
  zonesCanIntersect,
} from "../src/time/quiet-hours";
import fixtures from "./fixtures/tz-fixtures.json";

// Expected instants come from the zoneinfo fixtures (fx) or from hand arithmetic shown in comments
// (offsets: EDT -4, CDT -5, EST -5, CST -6, CEST +2, CET +1, HST -10, NDT -2:30).
const ms = (iso: string) => Date.parse(iso);
function fx(zone: string, local: string): number {
  const c = (fixtures.wallToInstant as Array<{ zone: string; local: string; instant: string }>).find((w) => w.zone === zone && w.local === local);
  if (!c) throw new Error(`no fixture ${zone} ${local}`);
  return Date.parse(c.instant);
}
const NY = ["America/New_York"];
const CHI = ["America/Chicago"];
const PARIS = ["Europe/Paris"];

describe("holidays", () => {
  it("Easter Sunday by the Gregorian computus", () => {
    // Known dates, including the earliest (Mar 22) and latest (Apr 25) possible.
    expect(easterSunday(2024)).toBe("2024-03-31");
    expect(easterSunday(2025)).toBe("2025-04-20");
    expect(easterSunday(2026)).toBe("2026-04-05");
    expect(easterSunday(2019)).toBe("2019-04-21");
    expect(easterSunday(2000)).toBe("2000-04-23");
    expect(easterSunday(2008)).toBe("2008-03-23");
    expect(easterSunday(1818)).toBe("1818-03-22");
    expect(easterSunday(2038)).toBe("2038-04-25");
  });

  it("France 2024 and 2025 (Easter Monday = Easter+1, Ascension = +39, Whit Monday = +50)", () => {
    expect(publicHolidays("FR", 2024)).toEqual([
      "2024-01-01", "2024-04-01", "2024-05-01", "2024-05-08", "2024-05-09", "2024-05-20",
      "2024-07-14", "2024-08-15", "2024-11-01", "2024-11-11", "2024-12-25",
    ]);
    expect(publicHolidays("FR", 2025)).toEqual([
      "2025-01-01", "2025-04-21", "2025-05-01", "2025-05-08", "2025-05-29", "2025-06-09",
      "2025-07-14", "2025-08-15", "2025-11-01", "2025-11-11", "2025-12-25",
    ]);
    expect(isPublicHoliday("FR", "2025-05-29")).toBe(true); // Ascension 2025
    expect(isPublicHoliday("FR", "2025-05-30")).toBe(false);
  });

  it("US federal 2024 (all on weekdays that year), and observed dates", () => {
    expect(publicHolidays("US", 2024)).toEqual([
      "2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04",
      "2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25",
    ]);
    // 2022-01-01 was a Saturday: observed Friday 2021-12-31, which belongs to 2021's list.
    expect(isPublicHoliday("US", "2021-12-31")).toBe(true);
    expect(publicHolidays("US", 2022)).not.toContain("2021-12-31");
    // 2026-07-04 is a Saturday: observed Friday 2026-07-03.
    expect(isPublicHoliday("US", "2026-07-03")).toBe(true);
  });

  it("subdivisions use their country's calendar; unknown countries have none", () => {
    expect(isPublicHoliday("US-AL", "2024-07-04")).toBe(true);
    expect(hasHolidayCalendar("US-AL")).toBe(true);
    expect(hasHolidayCalendar("PL")).toBe(false);
    expect(publicHolidays("PL", 2025)).toEqual([]);
    expect(isPublicHoliday("PL", "2025-01-01")).toBe(false);
  });
});

describe("jurisdictionFor", () => {
  it("US area codes with a state rule give the state", () => {
    expect(jurisdictionFor("+13055551234")).toBe("US-FL"); // 305 Florida
    expect(jurisdictionFor("+18502001234")).toBe("US-FL"); // 850 Florida panhandle (Central time)
    expect(jurisdictionFor("+12145551234")).toBe("US-TX"); // 214 Texas
    expect(jurisdictionFor("+12055551234")).toBe("US-AL"); // 205 Alabama
  });

  it("US states without a rule fall back to federal US", () => {
    expect(jurisdictionFor("+12125551234")).toBe("US"); // 212 New York
    expect(jurisdictionFor("+18085551234")).toBe("US"); // 808 Hawaii
  });

  it("France by calling code; countries without a rule use default", () => {
    expect(jurisdictionFor("+33612345678")).toBe("FR");
    expect(jurisdictionFor("+48601234567")).toBe("default"); // Poland: no statutory window
    expect(jurisdictionFor("+447700900123")).toBe("default");
    expect(jurisdictionFor("+14165551234")).toBe("default"); // Ontario: no rule
  });

  it("the hint fills in what the number does not say", () => {
    expect(jurisdictionFor("+18765551234")).toBe("default"); // Jamaica, not in the US/CA table
    expect(jurisdictionFor("+17875551234", "PR")).toBe("US"); // Puerto Rico: TCPA applies
    expect(jurisdictionFor("+18765551234", "us")).toBe("US");
    expect(jurisdictionFor("+26212345678", "FR")).toBe("FR"); // +262 not in our calling-code list
    expect(jurisdictionFor("+18765551234", "US-TX")).toBe("US-TX");
    // The number's own area code wins over a hinted state.
    expect(jurisdictionFor("+13055551234", "US-TX")).toBe("US-FL");
    expect(jurisdictionFor("not a number", "FR")).toBe("FR");
    expect(jurisdictionFor("not a number")).toBe("default");
  });

  it("uses the rules it is given", () => {
    const rules: QuietHoursRules = { ...RULES, jurisdictions: { ...RULES.jurisdictions, "US-NY": { window: { start: "09:00", end: "20:00" } } } };
    expect(jurisdictionFor("+12125551234", undefined, rules)).toBe("US-NY");
  });
});

describe("windowFor", () => {
  it("Texas: Mon–Sat 09–21, Sunday 12–21", () => {
    expect(windowFor("US-TX", "2024-06-15", RULES)).toEqual([{ start: "09:00", end: "21:00" }]); // Saturday
    expect(windowFor("US-TX", "2024-06-16", RULES)).toEqual([{ start: "12:00", end: "21:00" }]); // Sunday
  });

  it("a state is also bound by federal law (intersection)", () => {
    expect(windowFor("US-KY", "2024-06-14", RULES)).toEqual([{ start: "10:00", end: "21:00" }]);
    expect(windowFor("US-NY", "2024-06-14", RULES)).toEqual([{ start: "08:00", end: "21:00" }]); // no NY rule → federal
    const wide: QuietHoursRules = { ...RULES, jurisdictions: { ...RULES.jurisdictions, "US-ZZ": { window: { start: "07:00", end: "23:00" } } } };
    expect(windowFor("US-ZZ", "2024-06-14", wide)).toEqual([{ start: "08:00", end: "21:00" }]);
  });

  it("Sunday and holiday bans", () => {
    expect(windowFor("US-MS", "2024-06-16", RULES)).toEqual([]); // Sunday
    expect(windowFor("US-AL", "2024-07-04", RULES)).toEqual([]); // Independence Day (Thursday)
    expect(windowFor("US-AL", "2024-07-05", RULES)).toEqual([{ start: "08:00", end: "20:00" }]);
    expect(windowFor("FR", "2025-06-01", RULES)).toEqual([]); // Sunday
    expect(windowFor("FR", "2025-05-29", RULES)).toEqual([]); // Ascension
    expect(windowFor("FR", "2025-06-09", RULES)).toEqual([]); // Whit Monday
    expect(windowFor("FR", "2025-06-02", RULES)).toEqual([{ start: "08:00", end: "20:00" }]);
  });

  it("Rhode Island: weekdays 09–18, Saturday 10–17, no Sunday", () => {
    expect(windowFor("US-RI", "2024-06-14", RULES)).toEqual([{ start: "09:00", end: "18:00" }]);
    expect(windowFor("US-RI", "2024-06-15", RULES)).toEqual([{ start: "10:00", end: "17:00" }]);
    expect(windowFor("US-RI", "2024-06-16", RULES)).toEqual([]);
  });

  it("default and unlisted jurisdictions use the default window", () => {
    expect(windowFor("default", "2025-01-15", RULES)).toEqual([{ start: "09:00", end: "20:00" }]);
    expect(windowFor("CA-ON", "2025-01-15", RULES)).toEqual([{ start: "09:00", end: "20:00" }]);
    expect(windowFor("PL", "2025-01-19", RULES)).toEqual([{ start: "09:00", end: "20:00" }]); // even on a Sunday
  });

  it("a brand window narrows but never widens", () => {
    expect(windowFor("US-FL", "2024-06-14", RULES, { start: "10:00", end: "18:00" })).toEqual([{ start: "10:00", end: "18:00" }]);
    expect(windowFor("US-FL", "2024-06-14", RULES, { start: "07:00", end: "22:00" })).toEqual([{ start: "08:00", end: "20:00" }]);
    expect(windowFor("US-FL", "2024-06-14", RULES, { start: "07:00", end: "12:00" })).toEqual([{ start: "08:00", end: "12:00" }]);
    expect(windowFor("US-FL", "2024-06-14", RULES, { start: "21:00", end: "23:00" })).toEqual([]);
    expect(windowFor("default", "2024-06-14", RULES, { start: "00:00", end: "24:00" })).toEqual([{ start: "09:00", end: "20:00" }]);
  });

  it("rejects malformed windows", () => {
    expect(() => windowFor("US-FL", "2024-06-14", RULES, { start: "18:00", end: "10:00" })).toThrow(RangeError);
    expect(() => windowFor("US-FL", "2024-06-14", RULES, { start: "9:00", end: "10:00" })).toThrow(RangeError);
    expect(() => windowFor("US-FL", "2024-02-30", RULES)).toThrow(RangeError);
    expect(isValidLocalWindow({ start: "00:00", end: "24:00" })).toBe(true);
    expect(isValidLocalWindow({ start: "24:00", end: "24:00" })).toBe(false);
    expect(isValidLocalWindow({ start: "09:00", end: "09:00" })).toBe(false);
  });
});

describe("nextOpenInstant: Florida 08:00–20:00 edges (Friday 2024-06-14, EDT -4)", () => {
  it("07:59 is closed; opens at 08:00 (12:00Z)", () => {
    expect(nextOpenInstant(ms("2024-06-14T11:59:00Z"), NY, "US-FL", RULES)).toEqual({ open: false, at: ms("2024-06-14T12:00:00Z"), jurisdiction: "US-FL" });
  });
  it("07:59:59.999 is still closed", () => {
    expect(nextOpenInstant(ms("2024-06-14T11:59:59.999Z"), NY, "US-FL", RULES).open).toBe(false);
  });
  it("08:00 is open", () => {
    expect(nextOpenInstant(ms("2024-06-14T12:00:00Z"), NY, "US-FL", RULES)).toEqual({ open: true, at: ms("2024-06-14T12:00:00Z"), jurisdiction: "US-FL" });
  });
  it("19:59 is open", () => {
    expect(nextOpenInstant(ms("2024-06-14T23:59:00Z"), NY, "US-FL", RULES)).toEqual({ open: true, at: ms("2024-06-14T23:59:00Z"), jurisdiction: "US-FL" });
  });
  it("20:00 is closed (end exclusive); next open Saturday 08:00 (12:00Z)", () => {
    expect(nextOpenInstant(ms("2024-06-15T00:00:00Z"), NY, "US-FL", RULES)).toEqual({ open: false, at: ms("2024-06-15T12:00:00Z"), jurisdiction: "US-FL" });
  });
  it("the panhandle (Central) reads the same window in its own zone: 08:00 CDT = 13:00Z", () => {
    expect(nextOpenInstant(ms("2024-06-14T12:30:00Z"), CHI, "US-FL", RULES).at).toBe(ms("2024-06-14T13:00:00Z"));
  });
});

describe("nextOpenInstant: Texas Sunday 12:00–21:00 (CDT -5)", () => {
  it("Saturday 21:30 → Sunday 12:00 local (17:00Z)", () => {
    // Sat 2024-06-15 21:30 CDT = 2024-06-16T02:30Z; Sat window ended 21:00; Sunday opens 12:00 CDT.
    expect(nextOpenInstant(ms("2024-06-16T02:30:00Z"), CHI, "US-TX", RULES)).toEqual({ open: false, at: ms("2024-06-16T17:00:00Z"), jurisdiction: "US-TX" });
  });
  it("Sunday 11:59 is closed, 12:00 is open", () => {
    expect(nextOpenInstant(ms("2024-06-16T16:59:00Z"), CHI, "US-TX", RULES).at).toBe(ms("2024-06-16T17:00:00Z"));
    expect(nextOpenInstant(ms("2024-06-16T17:00:00Z"), CHI, "US-TX", RULES).open).toBe(true);
  });
  it("Sunday 09:30 would be open under federal law but not in Texas", () => {
    expect(nextOpenInstant(ms("2024-06-16T14:30:00Z"), CHI, "US", RULES).open).toBe(true);
    expect(nextOpenInstant(ms("2024-06-16T14:30:00Z"), CHI, "US-TX", RULES).open).toBe(false);
  });
  it("Sunday 21:00 → Monday 09:00 (14:00Z)", () => {
    expect(nextOpenInstant(ms("2024-06-17T02:00:00Z"), CHI, "US-TX", RULES).at).toBe(ms("2024-06-17T14:00:00Z"));
  });
});

describe("nextOpenInstant: France (Mon–Sat 08–20, no Sundays, no public holidays; CEST +2)", () => {
  it("Sunday 2025-06-01 10:00 → Monday 08:00 (06:00Z)", () => {
    expect(nextOpenInstant(ms("2025-06-01T08:00:00Z"), PARIS, "FR", RULES)).toEqual({ open: false, at: ms("2025-06-02T06:00:00Z"), jurisdiction: "FR" });
  });
  it("Ascension Thursday 2025-05-29 10:00 → Friday 08:00 (06:00Z)", () => {
    expect(nextOpenInstant(ms("2025-05-29T08:00:00Z"), PARIS, "FR", RULES).at).toBe(ms("2025-05-30T06:00:00Z"));
  });
  it("Saturday 2025-06-07 20:30 → skips Sunday and Whit Monday → Tuesday 08:00", () => {
    expect(nextOpenInstant(ms("2025-06-07T18:30:00Z"), PARIS, "FR", RULES).at).toBe(ms("2025-06-10T06:00:00Z"));
  });
  it("Ascension 2024 (2024-05-09): 08:00 on the next day, from the fixture's CEST offset", () => {
    // fixture: Europe/Paris 2024-05-09T08:00 = 06:00Z, so Friday 08:00 is 24 h later.
    expect(nextOpenInstant(fx("Europe/Paris", "2024-05-09T08:00"), PARIS, "FR", RULES).at).toBe(fx("Europe/Paris", "2024-05-09T08:00") + 86_400_000);
  });
});

describe("nextOpenInstant across DST changes", () => {
  it("spring-forward day: Florida opens at 08:00 EDT, not 08:00 EST", () => {
    // From 00:00 EST (05:00Z) on 2024-03-10; fixture New_York 2024-03-10T08:00 = 12:00Z.
    expect(nextOpenInstant(ms("2024-03-10T05:00:00Z"), NY, "US-FL", RULES).at).toBe(fx("America/New_York", "2024-03-10T08:00"));
  });
  it("fall-back day: Florida opens at 08:00 EST", () => {
    // From 00:00 EDT (04:00Z) on 2024-11-03; fixture New_York 2024-11-03T08:00 = 13:00Z.
    expect(nextOpenInstant(ms("2024-11-03T04:00:00Z"), NY, "US-FL", RULES).at).toBe(fx("America/New_York", "2024-11-03T08:00"));
  });
  it("Paris spring-forward Sunday (Easter 2024) is banned, so is Easter Monday: Tuesday 08:00 CEST", () => {
    // 2024-03-31 is Easter Sunday and the DST change; 04-01 is Easter Monday. Fixture Paris
    // 2024-03-31T08:00 = 06:00Z (already CEST); Tuesday 08:00 CEST is 48 h later.
    expect(nextOpenInstant(ms("2024-03-31T00:00:00Z"), PARIS, "FR", RULES).at).toBe(fx("Europe/Paris", "2024-03-31T08:00") + 2 * 86_400_000);
  });
  it("a window start inside the gap opens after the gap ('compatible')", () => {
    const rules: QuietHoursRules = { defaultWindow: { start: "02:30", end: "20:00" }, jurisdictions: {} };
    // 02:30 does not exist on 2024-03-10 in New York; fixture resolves it to 07:30Z (03:30 EDT).
    expect(nextOpenInstant(ms("2024-03-10T06:00:00Z"), NY, "default", rules).at).toBe(fx("America/New_York", "2024-03-10T02:30"));
    // Lord Howe's 30-minute gap: 02:15 on 2023-10-01 → fixture 15:45Z (02:45 +11).
    const lh: QuietHoursRules = { defaultWindow: { start: "02:15", end: "20:00" }, jurisdictions: {} };
    expect(nextOpenInstant(ms("2023-09-30T14:00:00Z"), ["Australia/Lord_Howe"], "default", lh).at).toBe(fx("Australia/Lord_Howe", "2023-10-01T02:15"));
  });
  it("a day that has no midnight starts at its first instant (Santiago 2023-09-03)", () => {
    const rules: QuietHoursRules = { defaultWindow: { start: "00:00", end: "01:30" }, jurisdictions: {} };
    // From 2023-09-02T23:30 -04 (03:30Z), Saturday's window is over; Sunday's 00:00 is skipped →
    // fixture 04:00Z (01:00 -03).
    expect(nextOpenInstant(ms("2023-09-03T03:30:00Z"), ["America/Santiago"], "default", rules).at).toBe(fx("America/Santiago", "2023-09-03T00:00"));
  });
  it("a skipped calendar day is not borrowed from the next day (Apia 2011-12-30)", () => {
    // Saturdays banned. Thu 2011-12-29 23:00 -10 = 2011-12-30T09:00Z. Fri 12-30 never existed,
    // Sat 12-31 is banned, so the next open is Sun 2012-01-01 08:00 +14 = 2011-12-31T18:00Z.
    const rules: QuietHoursRules = {
      defaultWindow: { start: "08:00", end: "20:00" },
      jurisdictions: { WS: { window: { start: "08:00", end: "20:00" }, byWeekday: { sat: null } } },
    };
    expect(nextOpenInstant(ms("2011-12-30T09:00:00Z"), ["Pacific/Apia"], "WS", rules).at).toBe(ms("2011-12-31T18:00:00Z"));
  });
});

describe("nextOpenInstant with several candidate zones", () => {
  const NY_LA = ["America/New_York", "America/Los_Angeles"];
  it("open only when every zone is open", () => {
    // 15:30Z = 11:30 EDT / 08:30 PDT: both inside 08–21.
    expect(nextOpenInstant(ms("2024-06-14T15:30:00Z"), NY_LA, "US", RULES).open).toBe(true);
    // 14:00Z = 10:00 EDT / 07:00 PDT: LA still closed; it opens at 08:00 PDT = 15:00Z.
    expect(nextOpenInstant(ms("2024-06-14T14:00:00Z"), NY_LA, "US", RULES)).toEqual({ open: false, at: ms("2024-06-14T15:00:00Z"), jurisdiction: "US" });
    // 01:30Z Sat = 21:30 EDT Fri (closed) / 18:30 PDT; next: NY 08:00 EDT = 12:00Z, LA 08:00 PDT = 15:00Z → 15:00Z.
    expect(nextOpenInstant(ms("2024-06-15T01:30:00Z"), NY_LA, "US", RULES).at).toBe(ms("2024-06-15T15:00:00Z"));
  });
  it("Florida number with Eastern and Central candidates", () => {
    // 00:00Z Sat = 20:00 EDT (closed) / 19:00 CDT; next: 08:00 EDT = 12:00Z, 08:00 CDT = 13:00Z → 13:00Z.
    expect(nextOpenInstant(ms("2024-06-15T00:00:00Z"), ["America/New_York", "America/Chicago"], "US-FL", RULES).at).toBe(ms("2024-06-15T13:00:00Z"));
  });
  it("duplicate zones are harmless", () => {
    expect(nextOpenInstant(ms("2024-06-14T11:59:00Z"), ["America/New_York", "America/New_York"], "US-FL", RULES).at).toBe(ms("2024-06-14T12:00:00Z"));
  });
  it("all of +1 under federal hours meets in Guam's morning and St John's evening", () => {
    // From Sat 2024-06-15 21:30 CDT (02:30Z Sun). Guam (+10) opens 08:00 = 22:00Z; St John's (NDT
    // -2:30) closes 21:00 = 23:30Z; every other +1 zone is between -11 and -3 then (11:00–19:00).
    const all = candidateZones("+1");
    expect(nextOpenInstant(ms("2024-06-16T02:30:00Z"), all, "US", RULES)).toEqual({ open: false, at: ms("2024-06-16T22:00:00Z"), jurisdiction: "US" });
    expect(zonesCanIntersect(all, ms("2024-06-16T02:30:00Z"), "US", RULES)).toBe(true);
  });
  it("all of +1 under the default 09–20 window never meets in June", () => {
    // Guam opens 09:00 +10 = 23:00Z; St John's closes 20:00 -2:30 = 22:30Z the same UTC day, and
    // Guam closes 20:00 = 10:00Z before St John's opens 09:00 = 11:30Z: disjoint every day.
    const all = candidateZones("+1");
    expect(nextOpenInstant(ms("2024-06-16T02:30:00Z"), all, "default", RULES)).toEqual({
      open: false,
      at: null,
      jurisdiction: "default",
      reason: "zones_never_overlap",
    });
    expect(zonesCanIntersect(all, ms("2024-06-16T02:30:00Z"), "default", RULES)).toBe(false);
  });
  it("Hawaii and Newfoundland with a narrow brand window never meet", () => {
    // 09–12 HST = 19:00–22:00Z; 09–12 NDT = 11:30–14:30Z.
    const zones = ["Pacific/Honolulu", "America/St_Johns"];
    const r = nextOpenInstant(ms("2024-06-14T12:00:00Z"), zones, "US", RULES, { start: "09:00", end: "12:00" });
    expect(r).toEqual({ open: false, at: null, jurisdiction: "US", reason: "zones_never_overlap" });
    // Each alone does open.
    expect(nextOpenInstant(ms("2024-06-14T12:00:00Z"), ["Pacific/Honolulu"], "US", RULES, { start: "09:00", end: "12:00" }).at).toBe(ms("2024-06-14T19:00:00Z"));
  });
});

describe("nextOpenInstant: brand windows and defaults", () => {
  it("a brand window narrows the legal one", () => {
    // 09:00 EDT (13:00Z) is legal in Florida but before the brand's 10:00 (14:00Z).
    expect(nextOpenInstant(ms("2024-06-14T13:00:00Z"), NY, "US-FL", RULES, { start: "10:00", end: "18:00" }).at).toBe(ms("2024-06-14T14:00:00Z"));
    // 18:30 EDT (22:30Z): after the brand's 18:00 → Saturday 10:00 EDT = 14:00Z.
    expect(nextOpenInstant(ms("2024-06-14T22:30:00Z"), NY, "US-FL", RULES, { start: "10:00", end: "18:00" }).at).toBe(ms("2024-06-15T14:00:00Z"));
  });
  it("a wider brand window cannot widen it", () => {
    // 07:30 EDT (11:30Z): the brand says 07:00 but Florida says 08:00 (12:00Z).
    expect(nextOpenInstant(ms("2024-06-14T11:30:00Z"), NY, "US-FL", RULES, { start: "07:00", end: "22:00" }).at).toBe(ms("2024-06-14T12:00:00Z"));
    // 20:30 EDT (00:30Z Sat): closed despite the brand's 22:00.
    expect(nextOpenInstant(ms("2024-06-15T00:30:00Z"), NY, "US-FL", RULES, { start: "07:00", end: "22:00" }).open).toBe(false);
  });
  it("a brand window disjoint from the legal one never opens", () => {
    expect(nextOpenInstant(ms("2024-06-14T12:00:00Z"), NY, "US-FL", RULES, { start: "21:00", end: "23:00" })).toEqual({
      open: false,
      at: null,
      jurisdiction: "US-FL",
      reason: "no_window_in_horizon",
    });
  });
  it("a country not listed uses the default 09:00–20:00 (Poland, CET +1, Wednesday 2025-01-15)", () => {
    const j = jurisdictionFor("+48601234567");
    expect(j).toBe("default");
    const warsaw = candidateZones("+48601234567");
    // 08:30 CET = 07:30Z → 09:00 CET = 08:00Z.
    expect(nextOpenInstant(ms("2025-01-15T07:30:00Z"), warsaw, j, RULES)).toEqual({ open: false, at: ms("2025-01-15T08:00:00Z"), jurisdiction: "default" });
    // 19:59 CET = 18:59Z open; 20:00 CET = 19:00Z closed → Thursday 08:00Z.
    expect(nextOpenInstant(ms("2025-01-15T18:59:00Z"), warsaw, j, RULES).open).toBe(true);
    expect(nextOpenInstant(ms("2025-01-15T19:00:00Z"), warsaw, j, RULES).at).toBe(ms("2025-01-16T08:00:00Z"));
  });
  it("Alabama: Sunday and Independence Day skipped", () => {
    // Wed 2024-07-03 20:30 CDT = 01:30Z Thu; Thu 07-04 is a holiday → Fri 08:00 CDT = 13:00Z.
    expect(nextOpenInstant(ms("2024-07-04T01:30:00Z"), CHI, "US-AL", RULES).at).toBe(ms("2024-07-05T13:00:00Z"));
    // Sat 2024-06-15 20:30 CDT → Sunday banned → Mon 08:00 CDT = 13:00Z.
    expect(nextOpenInstant(ms("2024-06-16T01:30:00Z"), CHI, "US-AL", RULES).at).toBe(ms("2024-06-17T13:00:00Z"));
  });
});

describe("nextOpenInstant: giving up and bad input", () => {
  it("no zones", () => {
    expect(nextOpenInstant(0, [], "US", RULES)).toEqual({ open: false, at: null, jurisdiction: "US", reason: "no_zones" });
  });
  it("every day banned: gives up after the horizon", () => {
    const closed: QuietHoursRules = {
      defaultWindow: { start: "09:00", end: "20:00" },
      jurisdictions: { XX: { window: { start: "09:00", end: "20:00" }, byWeekday: { mon: null, tue: null, wed: null, thu: null, fri: null, sat: null, sun: null } } },
    };
    expect(nextOpenInstant(ms("2024-06-14T12:00:00Z"), NY, "XX", closed)).toEqual({ open: false, at: null, jurisdiction: "XX", reason: "no_window_in_horizon" });
  });
  it("the horizon is honoured", () => {
    // From Friday 2024-06-14 20:30 EDT: with horizonDays 0 only Friday itself is searched, and
    // Friday's window is over; with 1, Saturday 08:00 EDT (12:00Z) is found.
    const r = nextOpenInstant(ms("2024-06-15T00:30:00Z"), NY, "US-FL", RULES, undefined, { horizonDays: 0 });
    expect(r.at).toBeNull();
    expect(nextOpenInstant(ms("2024-06-15T00:30:00Z"), NY, "US-FL", RULES, undefined, { horizonDays: 1 }).at).toBe(ms("2024-06-15T12:00:00Z"));
  });
  it("unknown zones and bad instants throw RangeError", () => {
    expect(() => nextOpenInstant(0, ["Nowhere/City"], "US", RULES)).toThrow(RangeError);
    expect(() => nextOpenInstant(Number.NaN, NY, "US", RULES)).toThrow(RangeError);
  });
});
