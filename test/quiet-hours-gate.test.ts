// Quiet hours in the send gate: a marketing text waits for the recipient's legal window (their
// jurisdiction, in their local time) and goes when its timer fires; transactional texts are exempt;
// a message that would wait past its expiry is skipped; a brand may narrow the law, never widen it.
//
// Expected instants are worked out by hand in the comments. Offsets: EST = UTC−5 and CST = UTC−6 in
// late November (US DST ended 2026-11-01), EDT = UTC−4, CET = UTC+1 in Nov/Dec, PST = UTC−8.
// Calendar: 2026-11-24 is a Tuesday, 2026-11-28 a Saturday, 2026-12-25 a Friday, 2027-01-01 a Friday,
// 2026-03-08 (US spring forward) and 2026-11-01 (US fall back) are Sundays.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceClock, setClock } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import worker from "../src/index";
import { HOUR, MIN, advance, api, contactStub, flushRecords, optedIn, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const OFFER = "Weekend offer: 20% off. Reply STOP to opt out.";
const RECEIPT = "Order confirmed.";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] }); // this file is about quiet hours, not caps
  await api("PUT", "/v1/templates/offer", { body: OFFER, job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/receipt", { body: RECEIPT, job: "transactional", purpose: "transactional" });
});

/** Set the simulated clock to an ISO instant. */
const at = (iso: string) => setClock(Date.parse(iso));

// Random valid numbers: the exchange (first digit after the area code) is 2–9 in NANP.
const nanp = (area: string) => `+1${area}${2_000_000 + Math.floor(Math.random() * 7_000_000)}`;
/** Miami (+1 305): America/New_York, jurisdiction US-FL (08:00–20:00). */
const florida = () => nanp("305");
/** Austin (+1 512): America/Chicago, jurisdiction US-TX (09:00–21:00, Sunday 12:00–21:00). */
const texas = () => nanp("512");
/** New York City (+1 212): America/New_York, federal window only (08:00–21:00). */
const newYork = () => nanp("212");
/**
 * A French mobile (+33 6 12 …): Europe/Paris, jurisdiction FR (08:00–20:00, no Sundays, no holidays).
 * (Not any +33 6: some 06 ranges, such as 0639 and 069x, belong to overseas departments.)
 */
const france = () => `+33612${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;

/** An Australian number: "4" a mobile (+61 4…, not tied to a place), "29" a Sydney landline (+61 2 9…). */
const australia = (range: "4" | "29") => `+61${range}${range === "4" ? "12" : "3"}${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;

async function person(to: string, traits: Record<string, unknown> = {}) {
  const user = unique("u");
  await optedIn(user, to, traits);
  return { user, to, ref: `user:${user}` };
}

const send = (ref: string, template = "offer", extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/messages", { contact: ref, template, ...extra });

/**
 * What the sandbox delivered to a number, with the minute it arrived (simulated clock). The clock is
 * an offset on real time, so a few real milliseconds pass after each setClock: minutes, not ms.
 */
async function delivered(to: string): Promise<Array<{ body: string; at: string }>> {
  const { results } = await env.DB.prepare('SELECT body, at FROM sandbox_messages WHERE "to" = ? ORDER BY at').bind(to).all<{ body: string; at: number }>();
  return results.map((r) => ({ body: r.body, at: new Date(r.at).toISOString().slice(0, 16) + "Z" }));
}

const view = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body;

const deferred = (reason: string, until: string) => ({ outcome: "deferred", reason, until });

describe("Florida (+1 305): marketing only 08:00–20:00 America/New_York", () => {
  it("defers a 20:30 send to 08:00 the next morning and delivers it only when the timer fires", async () => {
    at("2026-11-25T01:30:00Z"); // Tue 2026-11-24 20:30 EST
    const p = await person(florida());
    const r = await send(p.ref);
    expect(r.status).toBe(202);
    expect(r.body.status).toBe("deferred");
    // Wed 2026-11-25 08:00 EST = 08:00 + 5 h = 13:00 UTC.
    expect(r.body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
    const v = await view(p.ref);
    expect(v.timers).toEqual([{ id: `send:${r.body.messageId}`, kind: "send", ref: r.body.messageId, dueAt: "2026-11-25T13:00:00.000Z" }]);
    expect(v.recentDecisions[0]).toMatchObject({ messageId: r.body.messageId, outcome: "deferred", reason: "quiet_hours:US-FL", until: "2026-11-25T13:00:00.000Z" });

    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([]);
    await advance(p.ref, 11 * HOUR + 29 * MIN); // 12:59 UTC = 07:59 EST: still closed
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([]);
    await advance(p.ref, MIN); // 13:00 UTC = 08:00 EST
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-11-25T13:00Z" }]);
    const after = await view(p.ref);
    expect(after.timers).toEqual([]);
    expect(after.recentDecisions[0]).toMatchObject({ messageId: r.body.messageId, outcome: "sent", reason: "ok" });
  });

  it("is open from 08:00 up to, not including, 20:00", async () => {
    // 07:59 EST Tue = 12:59 UTC → the window opens at 08:00 EST = 13:00 UTC the same day.
    at("2026-11-24T12:59:00Z");
    const early = await person(florida());
    expect((await send(early.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T13:00:00.000Z"));

    // (Each sent message is settled before the clock moves on: the consumer re-checks the window.)
    at("2026-11-24T13:00:00Z"); // 08:00 EST exactly
    const eight = await person(florida());
    expect((await send(eight.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(eight.ref);
    expect(await delivered(eight.to)).toEqual([{ body: OFFER, at: "2026-11-24T13:00Z" }]);

    at("2026-11-25T00:59:00Z"); // Tue 19:59 EST
    const late = await person(florida());
    expect((await send(late.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(late.ref);
    expect(await delivered(late.to)).toEqual([{ body: OFFER, at: "2026-11-25T00:59Z" }]);

    at("2026-11-25T01:00:00Z"); // Tue 20:00 EST: closed → Wed 08:00 EST = 13:00 UTC
    const closed = await person(florida());
    expect((await send(closed.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
    await settleSends(closed.ref);
    expect(await delivered(closed.to)).toEqual([]);
  });

  it("applies Florida's stricter window, not just the federal 08:00–21:00 (a New York number still gets 20:30)", async () => {
    at("2026-11-25T01:30:00Z"); // Tue 20:30 EST in both Miami and New York
    const ny = await person(newYork());
    const fl = await person(florida());
    expect((await send(ny.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    expect((await send(fl.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
    // 21:00 EST = 02:00 UTC: the federal window is closed too → Wed 08:00 EST = 13:00 UTC.
    at("2026-11-25T02:00:00Z");
    const ny2 = await person(newYork());
    expect((await send(ny2.ref)).body.decision).toEqual(deferred("quiet_hours:US", "2026-11-25T13:00:00.000Z"));
  });
});

describe("Texas (+1 512, America/Chicago): Sundays open at noon", () => {
  it("defers a Saturday 21:30 send to Sunday 12:00 local", async () => {
    at("2026-11-29T03:30:00Z"); // Sat 2026-11-28 21:30 CST (the Saturday window is 09:00–21:00)
    const p = await person(texas());
    const r = await send(p.ref);
    // Sun 2026-11-29 12:00 CST = 12:00 + 6 h = 18:00 UTC (not 09:00 CST = 15:00 UTC, the weekday opening).
    expect(r.body.decision).toEqual(deferred("quiet_hours:US-TX", "2026-11-29T18:00:00.000Z"));
    await advance(p.ref, 14 * HOUR + 29 * MIN); // 17:59 UTC = 11:59 CST
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([]);
    await advance(p.ref, MIN);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-11-29T18:00Z" }]);
  });

  it("opens Sunday at 12:00 CDT on the spring-forward Sunday", async () => {
    at("2026-03-08T03:30:00Z"); // Sat 2026-03-07 21:30 CST (UTC−6)
    const p = await person(texas());
    // Sun 2026-03-08 12:00 CDT (UTC−5) = 17:00 UTC.
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-TX", "2026-03-08T17:00:00.000Z"));
  });

  it("is open on Saturday at 20:59 and closed on Sunday at 10:00", async () => {
    at("2026-11-29T02:59:00Z"); // Sat 20:59 CST
    const sat = await person(texas());
    expect((await send(sat.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    at("2026-11-29T16:00:00Z"); // Sun 10:00 CST → Sun 12:00 CST = 18:00 UTC
    const sun = await person(texas());
    expect((await send(sun.ref)).body.decision).toEqual(deferred("quiet_hours:US-TX", "2026-11-29T18:00:00.000Z"));
  });
});

describe("Alabama (+1 205, America/Chicago): 08:00–20:00, no Sundays, no federal holidays", () => {
  it("defers a Thanksgiving-eve evening send past Thanksgiving Day", async () => {
    at("2026-11-26T02:30:00Z"); // Wed 2026-11-25 20:30 CST → Thu 2026-11-26 is Thanksgiving → Fri 08:00 CST = 14:00 UTC
    const p = await person(nanp("205"));
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-AL", "2026-11-27T14:00:00.000Z"));
  });
});

describe("France (+33 6, Europe/Paris): 08:00–20:00, no Sundays, no public holidays", () => {
  it("defers a Sunday send to Monday 08:00", async () => {
    at("2026-11-29T14:00:00Z"); // Sun 2026-11-29 15:00 CET
    const p = await person(france());
    const r = await send(p.ref);
    // Mon 2026-11-30 08:00 CET = 07:00 UTC.
    expect(r.body.decision).toEqual(deferred("quiet_hours:FR", "2026-11-30T07:00:00.000Z"));
    await advance(p.ref, 17 * HOUR); // 14:00 + 17 h = Mon 07:00 UTC
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-11-30T07:00Z" }]);
  });

  it("skips a Saturday-evening send over the whole weekend", async () => {
    at("2026-11-28T19:30:00Z"); // Sat 2026-11-28 20:30 CET → Sunday closed → Mon 08:00 CET = 07:00 UTC
    const p = await person(france());
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-11-30T07:00:00.000Z"));
  });

  it("skips the weekend across both European clock changes", async () => {
    at("2026-10-24T18:30:00Z"); // Sat 2026-10-24 20:30 CEST (UTC+2); clocks fall back on Sun 10-25
    const autumn = await person(france());
    // Mon 2026-10-26 08:00 CET (UTC+1) = 07:00 UTC.
    expect((await send(autumn.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-10-26T07:00:00.000Z"));
    at("2026-03-28T19:30:00Z"); // Sat 2026-03-28 20:30 CET (UTC+1); clocks spring forward on Sun 03-29
    const spring = await person(france());
    // Mon 2026-03-30 08:00 CEST (UTC+2) = 06:00 UTC.
    expect((await send(spring.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-03-30T06:00:00.000Z"));
  });

  it("defers a Bastille Day send to the next morning", async () => {
    at("2026-07-14T08:00:00Z"); // Tue 2026-07-14 10:00 CEST → Wed 07-15 08:00 CEST = 06:00 UTC
    const p = await person(france());
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-07-15T06:00:00.000Z"));
  });

  it("defers a Christmas Day send to the next open day", async () => {
    at("2026-12-25T09:00:00Z"); // Fri 2026-12-25 10:00 CET: Noël
    const p = await person(france());
    // Saturday 2026-12-26 is open in France (no national holiday): 08:00 CET = 07:00 UTC.
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-12-26T07:00:00.000Z"));
  });

  it("defers a New Year's Eve evening send past New Year's Day", async () => {
    at("2026-12-31T19:30:00Z"); // Thu 2026-12-31 20:30 CET → Fri 2027-01-01 is a holiday → Sat 2027-01-02 08:00 CET = 07:00 UTC
    const p = await person(france());
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2027-01-02T07:00:00.000Z"));
  });
});

describe("transactional messages", () => {
  it("go at night (exempt); with `exempt: []` they wait, and one that would wait past its expiry is skipped", async () => {
    at("2026-11-25T04:00:00Z"); // Tue 23:00 EST
    const p = await person(florida());
    const night = await send(p.ref, "receipt");
    expect(night.body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: RECEIPT, at: "2026-11-25T04:00Z" }]);

    expect((await api("PUT", "/v1/settings/quietHours", { exempt: [] })).status).toBe(200);
    try {
      // Still 23:00 EST; a receipt expires after 4 h (08:00 UTC), before 08:00 EST = 13:00 UTC.
      const expired = await send(p.ref, "receipt");
      expect(expired.body.decision).toMatchObject({ outcome: "skipped", reason: "expired" });
      expect(expired.body.decision.detail).toContain("quiet_hours:US-FL until 2026-11-25T13:00:00.000Z");
      at("2026-11-25T11:00:00Z"); // Wed 06:00 EST: the 4-hour expiry (15:00 UTC) leaves room
      const early = await send(p.ref, "receipt");
      expect(early.body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
      await advance(p.ref, 2 * HOUR);
      await settleSends(p.ref);
      expect(await delivered(p.to)).toEqual([
        { body: RECEIPT, at: "2026-11-25T04:00Z" },
        { body: RECEIPT, at: "2026-11-25T13:00Z" },
      ]);
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });
});

describe("the contact's own time zone", () => {
  it("uses an explicit `timezone` trait over the phone's zone (and over context.timezone)", async () => {
    // A Miami number whose owner lives in Los Angeles; the events also carry Tokyo, which the trait beats.
    const user = unique("u");
    const to = florida();
    at("2026-11-24T14:00:00Z"); // 06:00 PST (09:00 EST in Miami, 23:00 JST in Tokyo)
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to, timezone: "America/Los_Angeles" }, context: { timezone: "Asia/Tokyo" } });
    await api("POST", "/v1/track", { userId: user, event: "Subscribed", messageId: unique("sub"), properties: { purpose: "marketing", source: "form" }, context: { timezone: "Asia/Tokyo" } });
    const ref = `user:${user}`;
    expect((await view(ref)).timezone).toBe("America/Los_Angeles");
    // Florida's window in Los Angeles time: 08:00 PST = 16:00 UTC (Tokyo would say 08:00 JST = 23:00 UTC).
    expect((await send(ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T16:00:00.000Z"));

    at("2026-11-25T02:00:00Z"); // 21:00 EST (closed in Miami) = 18:00 PST (open in Los Angeles)
    const p = await person(florida(), { timezone: "America/Los_Angeles" });
    expect((await send(p.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
  });

  it("uses context.timezone over the phone's zone when there is no trait", async () => {
    const user = unique("u");
    const to = florida();
    at("2026-11-24T14:00:00Z"); // 06:00 PST
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to }, context: { timezone: "America/Los_Angeles" } });
    await api("POST", "/v1/track", { userId: user, event: "Subscribed", messageId: unique("sub"), properties: { purpose: "marketing", source: "form" } });
    expect((await send(`user:${user}`)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T16:00:00.000Z"));
  });

  it("waits until it is daytime in every candidate zone of a number whose zone is uncertain", async () => {
    // A toll-free +1 800 number may be anywhere from Guam (UTC+10) to St. John's (UTC−3:30), the long
    // way round through Pago Pago (UTC−11) and Honolulu (UTC−10): a 10.5-hour spread, so the federal
    // 08:00–21:00 is open in all of them from 08:00 in Guam (22:00 UTC) to 21:00 in St. John's (00:30 UTC).
    at("2026-11-25T02:30:00Z"); // Tue 21:30 EST
    const p = await person(nanp("800"));
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US", "2026-11-25T22:00:00.000Z"));
    at("2026-11-25T22:00:00Z"); // Thu 08:00 in Guam, Wed 11:00 in Pago Pago, 18:30 in St. John's
    const q = await person(nanp("800"));
    expect((await send(q.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(q.ref);
  });

  it("never takes an Australian mobile's one mapped zone (Sydney) for where its owner is: 09:00 in Sydney is 06:00 in Perth", async () => {
    // Wed 2026-11-25 09:00 AEDT (UTC+11) = Tue 22:00 UTC = 06:00 AWST (UTC+8). AU has no rule of its own:
    // the default 09:00–20:00. An Australian mobile may be anywhere from Cocos (UTC+6:30) to Sydney and
    // Lord Howe (UTC+11 in summer): all open from 09:00 in Cocos (02:30 UTC) to 20:00 in Sydney (09:00 UTC).
    at("2026-11-24T22:00:00Z");
    const mobile = await person(australia("4"));
    const r = await send(mobile.ref);
    expect(r.body.decision).toEqual(deferred("quiet_hours:default", "2026-11-25T02:30:00.000Z")); // 10:30 in Perth
    await settleSends(mobile.ref);
    expect(await delivered(mobile.to)).toEqual([]);
    await advance(mobile.ref, 4 * HOUR + 30 * MIN);
    await settleSends(mobile.ref);
    expect(await delivered(mobile.to)).toEqual([{ body: OFFER, at: "2026-11-25T02:30Z" }]);
    // A Sydney landline is tied to Sydney: it goes at 09:00 there.
    at("2026-11-24T22:00:00Z");
    const landline = await person(australia("29"));
    expect((await send(landline.ref)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(landline.ref);
  });

  it("falls back to the brand's zone when the candidate zones never share a window, and says so", async () => {
    // With a brand window of 10:00–18:00 (8 hours), the 10.5-hour spread of a toll-free number never
    // fits: the brand's default zone (America/New_York) is used instead.
    await api("PUT", "/v1/settings/brand", { defaultTimeZone: "America/New_York" });
    await api("PUT", "/v1/settings/quietHours", { brandWindow: { start: "10:00", end: "18:00" } });
    try {
      at("2026-11-25T02:30:00Z"); // Tue 21:30 EST → Wed 10:00 EST = 15:00 UTC
      const p = await person(nanp("800"));
      const r = await send(p.ref);
      expect(r.body.decision).toMatchObject(deferred("quiet_hours:US", "2026-11-25T15:00:00.000Z"));
      expect(r.body.decision.detail).toMatch(/candidate time zones never share a window; used the brand's default zone America\/New_York/);
      const v = await view(p.ref);
      expect(v.recentDecisions[0].detail).toBe(r.body.decision.detail);

      at("2026-11-24T16:00:00Z"); // Tue 11:00 EST: open in the brand's zone, so it goes, with the same note
      const q = await person(nanp("800"));
      const s = await send(q.ref);
      expect(s.body.decision).toMatchObject({ outcome: "sent", reason: "ok" });
      expect(s.body.decision.detail).toMatch(/used the brand's default zone America\/New_York/);
      await settleSends(q.ref);
    } finally {
      await api("PUT", "/v1/settings/brand", {});
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });
});

describe("daylight saving time", () => {
  it("defers over the spring-forward night to 08:00 EDT", async () => {
    at("2026-03-08T03:00:00Z"); // Sat 2026-03-07 22:00 EST (UTC−5)
    const p = await person(florida());
    const r = await send(p.ref);
    // Clocks jump 02:00 → 03:00 on Sun 2026-03-08: 08:00 EDT = 08:00 + 4 h = 12:00 UTC (9 h later, not 10).
    expect(r.body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-03-08T12:00:00.000Z"));
    await advance(p.ref, 9 * HOUR);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-03-08T12:00Z" }]);
  });

  it("defers over the fall-back night to 08:00 EST", async () => {
    at("2026-11-01T02:00:00Z"); // Sat 2026-10-31 22:00 EDT (UTC−4)
    const p = await person(florida());
    // Clocks fall 02:00 → 01:00 on Sun 2026-11-01: 08:00 EST = 13:00 UTC (11 h later, not 10).
    expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-01T13:00:00.000Z"));
  });

  it("keeps a brand window in local time across the change", async () => {
    await api("PUT", "/v1/settings/quietHours", { brandWindow: { start: "10:00", end: "18:00" } });
    try {
      at("2026-03-07T23:30:00Z"); // Sat 2026-03-07 18:30 EST: past the brand's 18:00
      const p = await person(florida());
      // Sun 2026-03-08 10:00 EDT = 14:00 UTC.
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-03-08T14:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });
});

describe("expiry", () => {
  it("skips a one-off whose expiry passes before the window opens", async () => {
    at("2026-11-25T04:00:00Z"); // Tue 23:00 EST; window opens Wed 08:00 EST = 13:00 UTC
    const p = await person(florida());
    const r = await send(p.ref, "offer", { expires_in: "PT1H" }); // expires 05:00 UTC
    expect(r.body.status).toBe("skipped");
    expect(r.body.decision).toMatchObject({ outcome: "skipped", reason: "expired" });
    expect(r.body.decision.until).toBeUndefined();
    expect(r.body.decision.detail).toMatch(/^quiet_hours:US-FL until 2026-11-25T13:00:00\.000Z, after the message expires at 2026-11-25T05:00/);
    // Expiring a minute before the window opens is too late as well (04:00 + 8 h 59 min = 12:59 UTC) ...
    expect((await send(p.ref, "offer", { expires_in: "PT8H59M" })).body.decision).toMatchObject({ outcome: "skipped", reason: "expired" });
    // ... one minute later is not.
    expect((await send(p.ref, "offer", { expires_in: "PT9H1M" })).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
    expect((await view(p.ref)).timers).toHaveLength(1);
    await advance(p.ref, 9 * HOUR);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-11-25T13:00Z" }]);
  });
});

describe("brand windows and the law", () => {
  it("a brand window narrows: 10:00–18:00 defers a 09:00 and an 18:30 send", async () => {
    await api("PUT", "/v1/settings/quietHours", { brandWindow: { start: "10:00", end: "18:00" } });
    try {
      at("2026-11-24T14:00:00Z"); // Tue 09:00 EST (inside Florida's 08–20) → 10:00 EST = 15:00 UTC
      const p = await person(florida());
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T15:00:00.000Z"));
      at("2026-11-24T23:30:00Z"); // Tue 18:30 EST → Wed 10:00 EST = 15:00 UTC
      const q = await person(florida());
      expect((await send(q.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T15:00:00.000Z"));
      // Sunday in Texas: the law (12:00) is later than the brand (10:00). Sun 10:30 CST → 12:00 CST = 18:00 UTC.
      at("2026-11-29T16:30:00Z");
      const t = await person(texas());
      expect((await send(t.ref)).body.decision).toEqual(deferred("quiet_hours:US-TX", "2026-11-29T18:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });

  it("a brand window wider than the law does not widen it", async () => {
    expect((await api("PUT", "/v1/settings/quietHours", { brandWindow: { start: "06:00", end: "23:00" } })).status).toBe(200);
    try {
      at("2026-11-24T12:00:00Z"); // Tue 07:00 EST → still 08:00 EST = 13:00 UTC
      const p = await person(florida());
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T13:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });

  it("refuses a save that would widen a legal window, naming the jurisdiction, and stores nothing", async () => {
    const before = (await api("GET", "/v1/settings/quietHours")).body;
    const jurisdictions = structuredClone(before.value.jurisdictions);
    jurisdictions["US-FL"] = { ...jurisdictions["US-FL"], window: { start: "07:00", end: "21:00" } };
    const r = await api("PUT", "/v1/settings/quietHours", { jurisdictions });
    expect(r.status).toBe(400);
    expect(r.type).toBe("application/problem+json");
    expect(r.body.errors.length).toBeGreaterThan(0);
    for (const e of r.body.errors) expect(e.field).toBe("jurisdictions.US-FL");
    const after = (await api("GET", "/v1/settings/quietHours")).body;
    expect(after.version).toBe(before.version);
    expect(after.value.jurisdictions["US-FL"].window).toEqual({ start: "08:00", end: "20:00" });

    // Dropping a jurisdiction the law covers, or opening French Sundays, is refused the same way.
    const { FR: _fr, ...withoutFrance } = structuredClone(before.value.jurisdictions);
    const dropped = await api("PUT", "/v1/settings/quietHours", { jurisdictions: withoutFrance });
    expect([dropped.status, dropped.body.errors.map((e: any) => e.field)]).toEqual([400, ["jurisdictions.FR"]]);
    const sundays = structuredClone(before.value.jurisdictions);
    sundays.FR = { ...sundays.FR, noSundays: false };
    const opened = await api("PUT", "/v1/settings/quietHours", { jurisdictions: sundays });
    expect([opened.status, opened.body.errors.map((e: any) => e.field)]).toEqual([400, ["jurisdictions.FR"]]);
  });

  it("accepts a narrower legal window and applies it", async () => {
    const jurisdictions = structuredClone((await api("GET", "/v1/settings/quietHours")).body.value.jurisdictions);
    jurisdictions["US-FL"] = { ...jurisdictions["US-FL"], window: { start: "09:00", end: "19:00" } };
    expect((await api("PUT", "/v1/settings/quietHours", { jurisdictions })).status).toBe(200);
    try {
      at("2026-11-24T13:30:00Z"); // Tue 08:30 EST → 09:00 EST = 14:00 UTC
      const p = await person(florida());
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-24T14:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });

  it("does not let a brand exempt marketing from the legal windows", async () => {
    const saved = await api("PUT", "/v1/settings/quietHours", { exempt: ["transactional", "marketing"] });
    try {
      if (saved.status === 400) {
        expect(saved.body.errors.map((e: any) => e.field)).toContain("exempt.1");
        return;
      }
      // Or, if saved, marketing still waits: Tue 23:00 EST → Wed 08:00 EST = 13:00 UTC.
      at("2026-11-25T04:00:00Z");
      const p = await person(florida());
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:US-FL", "2026-11-25T13:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });

  it("does not let a brand swap France's holiday calendar to reopen its public holidays", async () => {
    const jurisdictions = structuredClone((await api("GET", "/v1/settings/quietHours")).body.value.jurisdictions);
    jurisdictions.FR = { ...jurisdictions.FR, holidayCalendar: "US" };
    const saved = await api("PUT", "/v1/settings/quietHours", { jurisdictions });
    try {
      if (saved.status === 400) {
        expect(saved.body.errors.map((e: any) => e.field)).toContain("jurisdictions.FR");
        return;
      }
      // Or, if saved, Bastille Day stays closed: Tue 2026-07-14 10:00 CEST → Wed 08:00 CEST = 06:00 UTC.
      at("2026-07-14T08:00:00Z");
      const p = await person(france());
      expect((await send(p.ref)).body.decision).toEqual(deferred("quiet_hours:FR", "2026-07-15T06:00:00.000Z"));
    } finally {
      await api("PUT", "/v1/settings/quietHours", {});
    }
  });
});

describe("re-check at send time", () => {
  it("defers, not sends, a queued message that reaches the consumer in quiet hours", async () => {
    at("2026-11-25T00:59:00Z"); // Tue 19:59 EST: open
    const p = await person(florida());
    const r = await send(p.ref);
    expect(r.body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    // Put the message back where it was between enqueue and the gateway call, as if the queue were slow...
    await env.DB.prepare("DELETE FROM sandbox_messages WHERE id = ?").bind(r.body.messageId).run();
    const { stub } = await contactStub(p.ref);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", r.body.messageId);
    });
    // ... and let it reach the consumer at 20:05 EST (01:05 UTC), after Florida's window closed.
    advanceClock(6 * MIN);
    const batch = createMessageBatch("tidings-send", [{ id: "q1", timestamp: new Date(), attempts: 1, body: { contactId: r.body.contactId, messageId: r.body.messageId } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    await getQueueResult(batch, ctx);
    expect(await delivered(p.to)).toEqual([]);
    const v = await view(p.ref);
    // Wed 08:00 EST = 13:00 UTC.
    expect(v.recentDecisions[0]).toMatchObject({ messageId: r.body.messageId, outcome: "deferred", reason: "quiet_hours:US-FL", until: "2026-11-25T13:00:00.000Z" });
    expect(v.timers).toEqual([{ id: `send:${r.body.messageId}`, kind: "send", ref: r.body.messageId, dueAt: "2026-11-25T13:00:00.000Z" }]);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${p.ref}`)).body.messages.find((x: any) => x.id === r.body.messageId);
    expect([m.status, m.reason]).toEqual(["deferred", "quiet_hours:US-FL"]);

    // 01:05 → 13:00 UTC is 11 h 55 min; then it goes, once.
    await advance(p.ref, 11 * HOUR + 55 * MIN);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: OFFER, at: "2026-11-25T13:00Z" }]);
  });
});
