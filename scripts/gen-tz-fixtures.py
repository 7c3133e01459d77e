#!/usr/bin/env python3
"""Write test/fixtures/tz-fixtures.json: wall-time -> instant and instant -> wall-time cases for the
DST edge zones in shared/reference/tz/NOTES.md, computed with Python's zoneinfo (IANA tzdata), a
source independent of the JavaScript code under test.

Run from the repo root:  python3 scripts/gen-tz-fixtures.py

Disambiguation. Tidings resolves wall times like Temporal's 'compatible': a skipped wall time (DST
gap) becomes the LATER instant (the wall time shifted forward by the gap), a repeated wall time
(DST overlap) becomes the EARLIER instant. Python's fold=0 means the same thing:
  - gap:     fold=0 reads the wall time with the offset in force BEFORE the transition, which lands
             after the transition, i.e. the later instant;
  - overlap: fold=0 is the first occurrence, i.e. the earlier instant.
This script does not take that on trust: for every case it computes fold=0 and fold=1, classifies
the case by round-tripping, and asserts the ordering (and, for gaps, that the result's wall time is
the input shifted forward by exactly the gap) before writing fold=0 as the expected instant.
"""

import json
import pathlib
import platform
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, TZPATH

UTC = timezone.utc
OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "tz-fixtures.json"

# (zone, local wall time, why the case is here). Transition facts were read off zoneinfo itself.
WALL_CASES = [
    # Lord Howe: 30-minute DST. 2023-10-01 02:00 +10:30 -> 02:30 +11; 2024-04-07 02:00 +11 -> 01:30 +10:30.
    ("Australia/Lord_Howe", "2023-10-01T01:59", "last minute before the 30-min gap"),
    ("Australia/Lord_Howe", "2023-10-01T02:00", "start of the 30-min gap"),
    ("Australia/Lord_Howe", "2023-10-01T02:15", "inside the 30-min gap"),
    ("Australia/Lord_Howe", "2023-10-01T02:30", "first wall time after the 30-min gap"),
    ("Australia/Lord_Howe", "2024-04-07T01:29", "just before the 30-min overlap"),
    ("Australia/Lord_Howe", "2024-04-07T01:30", "start of the 30-min overlap"),
    ("Australia/Lord_Howe", "2024-04-07T01:45", "inside the 30-min overlap"),
    ("Australia/Lord_Howe", "2024-04-07T02:00", "first wall time after the overlap"),
    ("Australia/Lord_Howe", "2024-07-01T12:00", "winter, +10:30"),
    # Apia: 2011-12-30 never existed (-10 -> +14 at 2011-12-29 24:00); DST dropped in 2021.
    ("Pacific/Apia", "2011-12-29T23:59", "last minute before the skipped day"),
    ("Pacific/Apia", "2011-12-30T00:00", "start of the skipped day"),
    ("Pacific/Apia", "2011-12-30T12:00", "middle of the skipped day"),
    ("Pacific/Apia", "2011-12-30T23:59", "end of the skipped day"),
    ("Pacific/Apia", "2011-12-31T00:00", "first wall time after the skipped day"),
    ("Pacific/Apia", "2021-09-26T03:30", "would have been a DST gap before Samoa dropped DST"),
    ("Pacific/Apia", "2024-01-15T09:00", "+13 all year now"),
    # Kiritimati: 1994-12-31 skipped (-10 -> +14); +14 today.
    ("Pacific/Kiritimati", "1994-12-30T23:59", "last minute before the skipped day"),
    ("Pacific/Kiritimati", "1994-12-31T08:00", "inside the skipped day"),
    ("Pacific/Kiritimati", "1995-01-01T00:00", "first wall time after the skipped day"),
    ("Pacific/Kiritimati", "2024-06-01T08:00", "+14, the largest offset in use"),
    # Dublin: negative DST in tzdata (winter GMT is the 'DST'); the wall clock behaves like London.
    ("Europe/Dublin", "2024-03-31T00:59", "before spring-forward"),
    ("Europe/Dublin", "2024-03-31T01:30", "spring-forward gap"),
    ("Europe/Dublin", "2024-03-31T02:00", "after spring-forward"),
    ("Europe/Dublin", "2024-10-27T01:30", "fall-back overlap"),
    ("Europe/Dublin", "2024-01-15T12:00", "winter"),
    ("Europe/Dublin", "2024-07-15T12:00", "summer"),
    # Casablanca: +01, drops to +00 for Ramadan. 2023-03-19 03:00 -> 02:00; 2023-04-23 02:00 -> 03:00.
    ("Africa/Casablanca", "2023-03-19T02:30", "overlap entering Ramadan time"),
    ("Africa/Casablanca", "2023-04-01T12:00", "Ramadan, +00"),
    ("Africa/Casablanca", "2023-04-23T02:30", "gap leaving Ramadan time"),
    ("Africa/Casablanca", "2023-06-01T12:00", "normal, +01"),
    # Sao Paulo (DST until 2019): transitions at local midnight.
    ("America/Sao_Paulo", "2018-11-04T00:00", "midnight skipped on DST start"),
    ("America/Sao_Paulo", "2018-11-04T00:30", "inside the midnight gap"),
    ("America/Sao_Paulo", "2018-11-04T01:00", "first wall time after the midnight gap"),
    ("America/Sao_Paulo", "2019-02-16T23:30", "overlap before midnight at DST end"),
    ("America/Sao_Paulo", "2019-02-17T00:00", "midnight after the overlap"),
    ("America/Sao_Paulo", "2024-11-03T00:30", "no DST since 2019"),
    # Santiago: DST starts at 24:00 Saturday, ends at 24:00 Saturday (-> 23:00).
    ("America/Santiago", "2023-09-03T00:00", "midnight skipped on DST start"),
    ("America/Santiago", "2023-09-03T00:59", "inside the midnight gap"),
    ("America/Santiago", "2023-09-03T01:00", "first wall time after the gap"),
    ("America/Santiago", "2024-04-06T23:30", "overlap before midnight at DST end"),
    ("America/Santiago", "2024-04-07T00:00", "midnight after the overlap"),
    # Havana: 2024-03-10 00:00 -> 01:00; 2024-11-03 01:00 -> 00:00.
    ("America/Havana", "2024-03-10T00:00", "midnight skipped on DST start"),
    ("America/Havana", "2024-03-10T00:30", "inside the midnight gap"),
    ("America/Havana", "2024-11-03T00:00", "midnight repeated at DST end (earlier)"),
    ("America/Havana", "2024-11-03T00:30", "inside the overlap"),
    ("America/Havana", "2024-11-03T01:00", "after the overlap"),
    # Troll: 2-hour DST. 2024-03-31 01:00 +00 -> 03:00 +02; 2024-10-27 03:00 +02 -> 01:00 +00.
    ("Antarctica/Troll", "2024-03-31T00:59", "before the 2-hour gap"),
    ("Antarctica/Troll", "2024-03-31T01:00", "start of the 2-hour gap"),
    ("Antarctica/Troll", "2024-03-31T02:30", "inside the 2-hour gap"),
    ("Antarctica/Troll", "2024-03-31T03:00", "after the 2-hour gap"),
    ("Antarctica/Troll", "2024-10-27T01:00", "start of the 2-hour overlap"),
    ("Antarctica/Troll", "2024-10-27T02:59", "end of the 2-hour overlap"),
    # Chatham: +12:45 / +13:45. 2024-04-07 03:45 -> 02:45; 2024-09-29 02:45 -> 03:45.
    ("Pacific/Chatham", "2024-04-07T03:00", "overlap at DST end"),
    ("Pacific/Chatham", "2024-07-01T09:00", "winter, +12:45"),
    ("Pacific/Chatham", "2024-09-29T03:00", "gap at DST start"),
    ("Pacific/Chatham", "2024-12-25T09:00", "summer, +13:45"),
    # Kathmandu: +05:45 (from +05:30 on 1986-01-01, which skipped 00:00-00:15).
    ("Asia/Kathmandu", "1986-01-01T00:10", "15-minute gap when +05:30 became +05:45"),
    ("Asia/Kathmandu", "2024-06-01T08:00", "+05:45"),
    # St John's: -03:30 / -02:30. 2024-03-10 02:00 -> 03:00; 2024-11-03 02:00 -> 01:00.
    ("America/St_Johns", "2024-03-10T02:30", "spring-forward gap"),
    ("America/St_Johns", "2024-11-03T01:30", "fall-back overlap"),
    ("America/St_Johns", "2024-07-01T08:00", "summer, -02:30"),
    ("America/St_Johns", "2024-12-01T08:00", "winter, -03:30"),
    # No DST at all: these wall times exist on the US DST-change days.
    ("America/Phoenix", "2024-03-10T02:30", "no gap: Arizona has no DST"),
    ("America/Phoenix", "2024-11-03T01:30", "no overlap: Arizona has no DST"),
    ("Pacific/Honolulu", "2024-03-10T02:30", "no gap: Hawaii has no DST"),
    ("Pacific/Honolulu", "2024-11-03T01:30", "no overlap: Hawaii has no DST"),
    # US: 2024-03-10 02:00 -> 03:00; 2024-11-03 02:00 -> 01:00.
    ("America/New_York", "2024-03-10T01:59", "last minute before spring-forward"),
    ("America/New_York", "2024-03-10T02:00", "start of the gap"),
    ("America/New_York", "2024-03-10T02:30", "inside the gap"),
    ("America/New_York", "2024-03-10T03:00", "first wall time after the gap"),
    ("America/New_York", "2024-03-10T08:00", "a morning window start on a DST-change day"),
    ("America/New_York", "2024-11-03T00:59", "before the overlap"),
    ("America/New_York", "2024-11-03T01:00", "start of the overlap"),
    ("America/New_York", "2024-11-03T01:30:45", "inside the overlap, with seconds"),
    ("America/New_York", "2024-11-03T02:00", "after the overlap"),
    ("America/New_York", "2024-11-03T08:00", "a morning window start on a DST-change day"),
    ("America/Chicago", "2024-03-10T02:30", "spring-forward gap"),
    ("America/Chicago", "2024-03-10T12:00", "after spring-forward, CDT"),
    ("America/Chicago", "2024-11-03T01:30", "fall-back overlap"),
    ("America/Chicago", "2024-11-03T12:00", "after fall-back, CST"),
    ("Europe/London", "2024-03-31T01:00", "start of the gap"),
    ("Europe/London", "2024-03-31T01:30", "inside the gap"),
    ("Europe/London", "2024-10-27T01:30", "fall-back overlap"),
    ("Europe/London", "2024-10-27T02:00", "after the overlap"),
    ("Europe/Paris", "2024-03-31T02:00", "start of the gap"),
    ("Europe/Paris", "2024-03-31T02:30", "inside the gap"),
    ("Europe/Paris", "2024-03-31T08:00", "a window start on a DST-change day"),
    ("Europe/Paris", "2024-10-27T02:30", "fall-back overlap"),
    ("Europe/Paris", "2024-10-27T03:00", "after the overlap"),
    ("Europe/Paris", "2024-05-09T08:00", "Ascension Day 2024, CEST"),
    ("Europe/Warsaw", "2025-01-15T09:00:30", "winter, with seconds"),
    # Rule changes: stale tzdata in a runtime gets these wrong.
    ("America/Mexico_City", "2023-04-02T02:30", "no gap since Mexico dropped DST (2022)"),
    ("Asia/Tehran", "2023-03-22T00:30", "no gap since Iran dropped DST (2022)"),
    ("America/Asuncion", "2025-03-22T23:30", "no overlap since Paraguay stayed on -03 (Oct 2024)"),
    ("America/Nuuk", "2023-10-28T22:30", "no overlap: Nuuk stayed on -02 in autumn 2023"),
    # Plain cases.
    ("UTC", "2024-02-29T12:00", "leap day, UTC"),
    ("Asia/Tokyo", "2000-01-01T00:00", "Y2K, +09"),
]

# (zone, UTC instant, why): instant -> local wall fields, for localParts.
PART_CASES = [
    ("America/New_York", "2024-03-10T06:59:59Z", "last second of EST"),
    ("America/New_York", "2024-03-10T07:00:00Z", "first second of EDT (03:00)"),
    ("America/New_York", "2024-11-03T05:30:00Z", "first 01:30 (EDT)"),
    ("America/New_York", "2024-11-03T06:30:00Z", "second 01:30 (EST)"),
    ("Pacific/Apia", "2011-12-30T09:59:59Z", "last second of Thursday 2011-12-29"),
    ("Pacific/Apia", "2011-12-30T10:00:00Z", "first second of Saturday 2011-12-31"),
    ("Pacific/Kiritimati", "1994-12-31T10:00:00Z", "first second after the skipped day"),
    ("Australia/Lord_Howe", "2023-09-30T15:30:00Z", "DST start (30 min)"),
    ("Australia/Lord_Howe", "2024-04-06T15:15:00Z", "first pass of 01:45"),
    ("Australia/Lord_Howe", "2024-04-06T15:45:00Z", "second pass of 01:45"),
    ("America/Santiago", "2023-09-03T04:00:00Z", "01:00 on the day that has no midnight"),
    ("America/Sao_Paulo", "2018-11-04T03:00:00Z", "01:00 on the day that has no midnight"),
    ("America/Havana", "2024-11-03T04:30:00Z", "first 00:30"),
    ("America/Havana", "2024-11-03T05:30:00Z", "second 00:30"),
    ("Antarctica/Troll", "2024-03-31T01:00:00Z", "03:00 after the 2-hour jump"),
    ("Pacific/Chatham", "2024-06-30T20:15:00Z", "+12:45 is 09:00 next day"),
    ("Asia/Kathmandu", "2024-06-01T02:15:00Z", "+05:45 is 08:00"),
    ("America/St_Johns", "2024-07-01T10:30:00Z", "-02:30 is 08:00"),
    ("Europe/Dublin", "2024-01-15T12:00:00Z", "winter (negative DST) is GMT"),
    ("Africa/Casablanca", "2023-04-01T12:00:00Z", "Ramadan, +00"),
    ("Africa/Casablanca", "2023-06-01T12:00:00Z", "+01"),
    ("Pacific/Honolulu", "2024-12-31T23:59:59Z", "year boundary: still 2024 at -10"),
    ("Pacific/Kiritimati", "2024-12-31T10:00:00Z", "year boundary: already 2025 at +14"),
    ("Europe/Paris", "2025-05-29T06:00:00Z", "Ascension Day 2025, 08:00 CEST"),
    ("America/Chicago", "1970-01-01T00:00:00Z", "epoch in Chicago is 1969-12-31 18:00"),
]


def iso_z(dt: datetime) -> str:
    """Format a UTC datetime exactly as JavaScript's Date.prototype.toISOString does."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (dt.microsecond // 1000)


def offset_str(td) -> str:
    s = int(td.total_seconds())
    sign = "-" if s < 0 else "+"
    s = abs(s)
    return "%s%02d:%02d" % (sign, s // 3600, (s % 3600) // 60) + (":%02d" % (s % 60) if s % 60 else "")


def wall_case(zone: str, wall: str, note: str) -> dict:
    tz = ZoneInfo(zone)
    naive = datetime.fromisoformat(wall)
    d0 = naive.replace(tzinfo=tz, fold=0)
    d1 = naive.replace(tzinfo=tz, fold=1)
    u0, u1 = d0.astimezone(UTC), d1.astimezone(UTC)
    back0 = u0.astimezone(tz).replace(tzinfo=None)
    back1 = u1.astimezone(tz).replace(tzinfo=None)
    case = {"zone": zone, "local": wall}
    if u0 == u1:
        assert back0 == naive, (zone, wall, "unique wall time must round-trip")
        case["kind"] = "unique"
    elif back0 == naive and back1 == naive:
        # Repeated wall time: fold=0 must be the earlier of the two instants.
        assert u0 < u1, (zone, wall, "overlap: fold=0 should be the earlier instant")
        case["kind"] = "overlap"
        case["earlier"], case["later"] = iso_z(u0), iso_z(u1)
    else:
        # Skipped wall time: neither fold round-trips; fold=0 (pre-transition offset) is later.
        assert back0 != naive and back1 != naive, (zone, wall, "gap: no fold may round-trip")
        assert u0 > u1, (zone, wall, "gap: fold=0 should be the later instant")
        gap = d1.utcoffset() - d0.utcoffset()  # offset after minus offset before
        assert gap.total_seconds() > 0
        assert back0 == naive + gap, (zone, wall, "gap: 'later' must be the wall time shifted forward by the gap")
        case["kind"] = "gap"
        case["gapMinutes"] = int(gap.total_seconds() // 60)
        case["resolvedLocal"] = back0.isoformat(timespec="seconds")
    case["instant"] = iso_z(u0)  # 'compatible': gap -> later, overlap -> earlier == fold=0
    case["offset"] = offset_str(u0.astimezone(tz).utcoffset())
    case["note"] = note
    return case


def part_case(zone: str, instant: str, note: str) -> dict:
    u = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    loc = u.astimezone(ZoneInfo(zone))
    return {
        "zone": zone,
        "instant": iso_z(u),
        "epochMs": int(u.timestamp() * 1000),
        "expected": {
            "year": loc.year,
            "month": loc.month,
            "day": loc.day,
            "hour": loc.hour,
            "minute": loc.minute,
            "second": loc.second,
            "weekday": loc.isoweekday(),  # 1 = Monday ... 7 = Sunday
            "date": loc.date().isoformat(),
        },
        "note": note,
    }


def tzdata_version() -> str:
    for base in TZPATH:
        p = pathlib.Path(base) / "tzdata.zi"
        if p.exists():
            first = p.read_text().splitlines()[0]
            return first.replace("# version", "").strip()
    return "unknown"


def main() -> None:
    walls = [wall_case(*c) for c in WALL_CASES]
    kinds = {k: sum(1 for w in walls if w["kind"] == k) for k in ("unique", "gap", "overlap")}
    assert kinds["gap"] >= 10 and kinds["overlap"] >= 10, kinds
    out = {
        "_about": (
            "Generated by scripts/gen-tz-fixtures.py with Python zoneinfo; do not edit by hand. "
            "'instant' is the 'compatible' resolution (gap -> later, overlap -> earlier), which equals "
            "Python's fold=0; the script asserts that ordering for every gap and overlap case."
        ),
        "tzdata": tzdata_version(),
        "python": platform.python_version(),
        "wallToInstant": walls,
        "localParts": [part_case(*c) for c in PART_CASES],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(walls)} wall cases: {kinds}; {len(PART_CASES)} part cases; tzdata {out['tzdata']})", file=sys.stderr)


if __name__ == "__main__":
    main()
