// wait_until: a local time of day, or a date from a property or trait with an offset, re-timed when
// the date moves and ended on on_cancel when it is cleared. The clock starts on a Tuesday at 18:00 UTC
// in US standard time (test/setup.ts); dates below are days after that one (`day`).
import { beforeAll, describe, expect, it } from "vitest";
import { api, contactStub, inbox, phone, settleSends, unique } from "./helpers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { now, setClock } from "../src/clock";
import { dateAfter, nextUsDaylightSaving, utcDay } from "./calendar";

const START = now();
/** ISO instant `days` after the start day (a Tuesday), at hh:mm UTC. */
const day = (days: number, hh = 0, mm = 0) => utcDay(START, days, hh, mm);

beforeAll(async () => {
  for (const [k, body] of [["visit-reminder", "See you tomorrow!"], ["visit-cancelled", "Your visit was cancelled."], ["morning", "Good morning"]]) {
    await api("PUT", `/v1/templates/${k}`, { body, job: "service", purpose: "transactional" });
  }
  await api("PUT", "/v1/flows/appointment", {
    name: "Appointment reminder", status: "active", job: "service", trigger: { event: "Appointment Booked" },
    steps: [
      {
        wait_until: { date: "properties.appointment_at", offset: "-P1D", time: "18:00", updated_by: ["Appointment Rescheduled"], cancelled_by: ["Appointment Cancelled"] },
        on_cancel: [{ send: { template: "visit-cancelled" } }, { exit: true }],
      },
      { send: { template: "visit-reminder" } },
    ],
  });
  await api("PUT", "/v1/flows/next-morning", {
    name: "Next morning", status: "active", job: "service", trigger: { event: "Signed Up" },
    steps: [{ wait_until: { time: "10:00" } }, { send: { template: "morning" } }],
  });
  await api("PUT", "/v1/flows/visit-trait", {
    name: "Visit from trait", status: "active", job: "service", trigger: { event: "Visit Planned" },
    steps: [{ wait_until: { date: "traits.next_visit", offset: "-P2D", time: "09:00" }, on_cancel: [{ exit: true }] }, { send: { template: "visit-reminder" } }],
  });
});

async function person(timezone: string) {
  const user = unique("u");
  const to = phone();
  await api("POST", "/v1/identify", { userId: user, traits: { phone: to, timezone } });
  return { user, to, ref: `user:${user}` };
}
const track = (user: string, event: string, properties: Record<string, unknown> = {}) =>
  api("POST", "/v1/track", { userId: user, event, messageId: unique("m"), properties });
const dueAt = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body.timers.map((t: any) => t.dueAt);

describe("wait_until", () => {
  it("waits until 18:00 local the day before the appointment, and re-times when it moves", async () => {
    const p = await person("America/Chicago");
    // Fri 15:00 CST; the day before at 18:00 CST (UTC-6) is Fri 00:00Z.
    await track(p.user, "Appointment Booked", { appointment_at: day(3, 21) });
    expect(await dueAt(p.ref)).toEqual([day(3)]);
    // Moved to Mon 10:00 CST: reminder Sun 18:00 CST = Mon 00:00Z.
    await track(p.user, "Appointment Rescheduled", { appointment_at: day(6, 16) });
    expect(await dueAt(p.ref)).toEqual([day(6)]);
    setClock(Date.parse(day(6)));
    await runDurableObjectAlarm((await contactStub(p.ref)).stub);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["See you tomorrow!"]);
    setClock(START);
  });

  it("ends on on_cancel when the appointment is cancelled or its date cleared", async () => {
    const a = await person("America/Chicago");
    await track(a.user, "Appointment Booked", { appointment_at: day(4, 15) });
    await track(a.user, "Appointment Cancelled");
    await settleSends(a.ref);
    expect(await inbox(a.to)).toEqual(["Your visit was cancelled."]);
    expect(await dueAt(a.ref)).toEqual([]);

    const b = await person("America/Chicago");
    await track(b.user, "Appointment Booked", { appointment_at: day(4, 15) });
    await track(b.user, "Appointment Rescheduled", { appointment_at: null });
    await settleSends(b.ref);
    expect(await inbox(b.to)).toEqual(["Your visit was cancelled."]);
  });

  it("lands on the right instant when the day before is a DST change day", async () => {
    const p = await person("America/New_York");
    // US DST starts on a Sunday in March. Appointment the Monday after, 09:00 EDT (13:00Z); the day
    // before at 18:00 is already EDT (UTC-4): 22:00Z on the Sunday, not 23:00Z.
    const sunday = Date.parse(nextUsDaylightSaving(now()));
    await track(p.user, "Appointment Booked", { appointment_at: utcDay(sunday, 1, 13) });
    expect(await dueAt(p.ref)).toEqual([utcDay(sunday, 0, 22)]);
  });

  it("waits for the next 10:00 in the contact's zone", async () => {
    // 18:00Z is 12:00 in Chicago (past 10:00): tomorrow 10:00 CST = Wed 16:00Z.
    const chicago = await person("America/Chicago");
    await track(chicago.user, "Signed Up");
    expect(await dueAt(chicago.ref)).toEqual([day(1, 16)]);
    // 18:00Z is 07:00 next day in Auckland (UTC+13 in its summer, our winter): 10:00 NZDT = Tue 21:00Z.
    const auckland = await person("Pacific/Auckland");
    await track(auckland.user, "Signed Up");
    expect(await dueAt(auckland.ref)).toEqual([day(0, 21)]);
  });

  it("reads a date from a trait and re-times when the trait changes", async () => {
    const p = await person("Europe/Warsaw");
    await api("POST", "/v1/identify", { userId: p.user, traits: { next_visit: dateAfter(START, 9) } });
    await track(p.user, "Visit Planned");
    // Two days before, 09:00 in Warsaw (UTC+1 in winter): 08:00Z.
    expect(await dueAt(p.ref)).toEqual([day(7, 8)]);
    await api("POST", "/v1/identify", { userId: p.user, traits: { next_visit: dateAfter(START, 12) } });
    expect(await dueAt(p.ref)).toEqual([day(10, 8)]);
    await api("POST", "/v1/identify", { userId: p.user, traits: { next_visit: null } });
    expect(await dueAt(p.ref)).toEqual([]);
    const runs = (await api("GET", `/v1/contacts/${p.ref}`)).body.runs;
    expect(runs.find((r: any) => r.flow === "visit-trait").status).toBe("exited");
  });

  it("refuses a wait_until with neither time nor date, and a bad offset", async () => {
    const base = { name: "x", status: "draft", job: "service", trigger: { event: "X" } };
    const r = await api("PUT", "/v1/flows/bad-wait", { ...base, steps: [{ wait_until: { offset: "-P1D" } }] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toMatch(/^steps\.0/);
    const r2 = await api("PUT", "/v1/flows/bad-wait", { ...base, steps: [{ wait_until: { date: "properties.at", offset: "yesterday" } }] });
    expect(r2.status).toBe(400);
  });
});
