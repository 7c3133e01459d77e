import { describe, expect, it } from "vitest";
import { addLocalDays, isValidTimeZone, localParts, localToInstantMs, weekdayOf, zonedToInstant } from "../src/time/zoned";
import fixtures from "./fixtures/tz-fixtures.json";

// Every expected instant below comes from test/fixtures/tz-fixtures.json, written by
// scripts/gen-tz-fixtures.py with Python's zoneinfo (an independent tz implementation), or from
// hand reasoning stated next to the case.
type WallCase = { zone: string; local: string; kind: string; instant: string; note: string; resolvedLocal?: string };
type PartCase = { zone: string; instant: string; epochMs: number; note: string; expected: Record<string, number | string> };
const walls = fixtures.wallToInstant as WallCase[];
const parts = fixtures.localParts as PartCase[];

describe("zonedToInstant against zoneinfo fixtures", () => {
  it("covers gaps and overlaps", () => {
    expect(walls.filter((c) => c.kind === "gap").length).toBeGreaterThanOrEqual(10);
    expect(walls.filter((c) => c.kind === "overlap").length).toBeGreaterThanOrEqual(10);
  });

  for (const c of walls) {
    it(`${c.zone} ${c.local} (${c.kind}: ${c.note})`, () => {
      expect(zonedToInstant(c.local, c.zone)).toBe(c.instant);
    });
  }
});

describe("localToInstantMs against zoneinfo fixtures", () => {
  for (const c of walls.filter((w) => w.local.length === 16)) {
    it(`${c.zone} ${c.local}`, () => {
      expect(localToInstantMs(c.local.slice(0, 10), c.local.slice(11), c.zone)).toBe(Date.parse(c.instant));
    });
  }

  it('"24:00" is the next day\'s first instant, even when that day has no midnight', () => {
    // Fixture: America/Santiago 2023-09-03T00:00 is skipped and resolves to 04:00Z (01:00 -03).
    expect(localToInstantMs("2023-09-02", "24:00", "America/Santiago")).toBe(Date.parse("2023-09-03T04:00:00.000Z"));
    // Hand: 2024-06-14 24:00 in New York (EDT, -4) = 2024-06-15T04:00Z.
    expect(localToInstantMs("2024-06-14", "24:00", "America/New_York")).toBe(Date.parse("2024-06-15T04:00:00Z"));
  });

  it("rejects bad dates and times", () => {
    expect(() => localToInstantMs("2024-02-30", "09:00", "UTC")).toThrow(RangeError);
    expect(() => localToInstantMs("2024-02-01", "9:00", "UTC")).toThrow(RangeError);
    expect(() => localToInstantMs("2024-02-01", "24:30", "UTC")).toThrow(/hour 24/);
    expect(() => localToInstantMs("2024-02-01", "09:00", "Nowhere/Land")).toThrow(/unknown time zone/);
  });
});

describe("localParts against zoneinfo fixtures", () => {
  for (const c of parts) {
    it(`${c.zone} ${c.instant} (${c.note})`, () => {
      expect(localParts(c.epochMs, c.zone)).toEqual(c.expected);
    });
  }

  it("ignores milliseconds and repeats the same answer from its cached formatter", () => {
    // Hand: 2024-06-14T12:00:00.999Z in Paris (CEST, +2) is 14:00:00 on Friday.
    const p = localParts(Date.parse("2024-06-14T12:00:00.999Z"), "Europe/Paris");
    expect(p).toEqual({ year: 2024, month: 6, day: 14, hour: 14, minute: 0, second: 0, weekday: 5, date: "2024-06-14" });
    expect(localParts(Date.parse("2024-06-14T12:00:00.999Z"), "Europe/Paris")).toEqual(p);
  });

  it("throws RangeError for an unknown zone or a non-finite instant", () => {
    expect(() => localParts(0, "Mars/Olympus_Mons")).toThrow(RangeError);
    expect(() => localParts(Number.NaN, "UTC")).toThrow(RangeError);
  });
});

describe("zonedToInstant input checking", () => {
  const bad: Array<[string, string, RegExp]> = [
    ["2024-03-10 02:30", "UTC", /expected YYYY-MM-DDTHH:mm/],
    ["2024-3-10T02:30", "UTC", /expected YYYY-MM-DDTHH:mm/],
    ["2024-03-10T02:30Z", "UTC", /expected YYYY-MM-DDTHH:mm/],
    ["2024-03-10T02:30:00.000", "UTC", /expected YYYY-MM-DDTHH:mm/],
    ["", "UTC", /expected YYYY-MM-DDTHH:mm/],
    ["2024-13-01T00:00", "UTC", /month 13/],
    ["2024-00-01T00:00", "UTC", /month 00/],
    ["2024-02-30T00:00", "UTC", /day 30/],
    ["2023-02-29T00:00", "UTC", /day 29.*28 days/],
    ["2024-04-31T00:00", "UTC", /day 31/],
    ["2024-01-00T00:00", "UTC", /day 00/],
    ["2024-01-01T24:00", "UTC", /hour 24/],
    ["2024-01-01T12:60", "UTC", /minute 60/],
    ["2024-01-01T12:00:60", "UTC", /second 60/],
    ["0000-01-01T00:00", "UTC", /year 0000/],
    ["2024-01-01T12:00", "Mars/Base", /unknown time zone "Mars\/Base"/],
    ["2024-01-01T12:00", "", /unknown time zone ""/],
  ];
  for (const [input, zone, message] of bad) {
    it(`${JSON.stringify(input)} in ${JSON.stringify(zone)} throws RangeError ${message}`, () => {
      expect(() => zonedToInstant(input, zone)).toThrow(RangeError);
      expect(() => zonedToInstant(input, zone)).toThrow(message);
    });
  }

  it("accepts Feb 29 in a leap year, with seconds", () => {
    // Hand: UTC is the identity.
    expect(zonedToInstant("2024-02-29T23:59:59", "UTC")).toBe("2024-02-29T23:59:59.000Z");
  });
});

describe("calendar helpers", () => {
  it("isValidTimeZone", () => {
    expect(isValidTimeZone("Europe/Warsaw")).toBe(true);
    expect(isValidTimeZone("America/Argentina/Buenos_Aires")).toBe(true);
    expect(isValidTimeZone("UTC")).toBe(true);
    expect(isValidTimeZone("Europe/Atlantis")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });

  it("addLocalDays crosses months, years and leap days", () => {
    expect(addLocalDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addLocalDays("2023-02-28", 1)).toBe("2023-03-01");
    expect(addLocalDays("2024-12-31", 1)).toBe("2025-01-01");
    expect(addLocalDays("2025-01-01", -1)).toBe("2024-12-31");
    expect(addLocalDays("2024-03-31", 14)).toBe("2024-04-14");
    expect(addLocalDays("2024-03-10", 0)).toBe("2024-03-10");
    expect(() => addLocalDays("2024-02-30", 1)).toThrow(RangeError);
  });

  it("weekdayOf is ISO (Mon = 1 … Sun = 7)", () => {
    expect(weekdayOf("2024-06-10")).toBe(1); // a Monday
    expect(weekdayOf("2024-06-16")).toBe(7); // a Sunday
    expect(weekdayOf("2000-01-01")).toBe(6); // a Saturday
  });
});
