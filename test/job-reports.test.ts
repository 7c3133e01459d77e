// Job and stage reports against a seeded history. Every expected number is worked out here, from the
// test's own seed data and the report as it stood before (storage is shared by the tests of this
// file, so brand- and job-level numbers are asserted as deltas) — never by calling the report code.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceClock, now } from "../src/clock";
import { twilioSignature } from "../src/gateway/twilio-signature";
import { DAY, HOUR, MIN, api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const PUBLIC = "https://tidings.example";
/** Stages only this file uses (the b2c preset's stages kept first, so new contacts still start in `subscriber`). */
const [LEAD, DEMO, WON] = ["jr_lead", "jr_demo", "jr_won"];

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] });
  expect((await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC })).status).toBe(200);
  const stages = await api("PUT", "/v1/settings/stages", { preset: "custom", stages: ["subscriber", "customer", "repeat_customer", "dormant", LEAD, DEMO, WON] });
  expect(stages.status).toBe(200);
});

/** The UTC day (YYYY-MM-DD) of an instant. */
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The Monday (UTC) of an instant's ISO week, YYYY-MM-DD (worked out from the calendar, not from the product's helper). */
function mondayOf(ms: number): string {
  const d = new Date(ms);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return ymd(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - sinceMonday));
}
/** A reported histogram median within 3% of the exact one (the buckets promise 2.2%). */
function near(actual: number | null, exact: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! / exact - 1)).toBeLessThan(0.03);
}

/** The jobs report by job, once the records queue has caught up. */
async function jobs(query = ""): Promise<Record<string, any>> {
  await flushRecords();
  const r = await api("GET", `/v1/reports/jobs${query}`);
  expect(r.status).toBe(200);
  expect(r.body.jobs.map((j: any) => j.job)).toEqual(["acquisition", "activation", "conversion", "transactional", "retention", "service", "reactivation"]);
  return Object.fromEntries(r.body.jobs.map((j: any) => [j.job, j]));
}

/** The stages report, once the records queue has caught up. */
async function stagesReport(query = ""): Promise<any> {
  await flushRecords();
  const r = await api("GET", `/v1/reports/stages${query}`);
  expect(r.status).toBe(200);
  return r.body;
}

/** A contact with a phone (no marketing consent). */
async function withPhone(traits: Record<string, unknown> = {}) {
  const user = unique("u");
  const to = phone();
  const r = await api("POST", "/v1/identify", { userId: user, traits: { phone: to, ...traits } });
  expect(r.status).toBeLessThan(300);
  return { user, to, ref: `user:${user}`, contactId: r.body.contactId as string };
}

const track = (userId: string, event: string, properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/track", { userId, event, messageId: unique("e"), properties, ...extra });

/** A reply as Twilio posts it, signed. */
async function reply(from: string, body: string, sid = `SM${crypto.randomUUID().replace(/-/g, "")}`) {
  const params = { MessageSid: sid, From: from, To: "+14155550100", Body: body, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
  const signature = await twilioSignature("test_twilio_auth_token", `${PUBLIC}/webhooks/twilio/inbound`, params);
  const res = await exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body: new URLSearchParams(params),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe("acquisition: double opt-in prompts and opt-ins by source", () => {
  it("counts the confirmation requests sent as prompts and each confirmation once, by its source", async () => {
    await api("PUT", "/v1/settings/consent", { topics: ["jr_news"], doubleOptIn: ["marketing"], confirmOptIn: [] });
    try {
      const before = (await jobs()).acquisition;

      // Four sign-ups through a form: each grant stays pending and gets one request ("reply YES").
      const people = [];
      for (let i = 0; i < 4; i++) {
        const p = await withPhone();
        const sub = { purpose: "marketing", source: "form", text: "Yes, text me offers." };
        const event = { userId: p.user, event: "Subscribed", messageId: unique("sub"), properties: sub };
        await api("POST", "/v1/track", event);
        await api("POST", "/v1/track", event); // redelivered: records once, asks once
        await settleSends(p.ref);
        expect((await api("GET", `/v1/contacts/${p.ref}`)).body.consent).toEqual({ marketing: "pending" });
        const texts = await inbox(p.to);
        expect(texts).toHaveLength(1);
        expect(texts[0]).toContain("reply YES to confirm");
        people.push(p);
      }
      const [a, b, c] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];

      // Two confirm through the API (one of them twice: still one opt-in), one replies YES, one never confirms.
      expect((await api("POST", `/v1/contacts/${a.ref}/consent/confirm`, { purpose: "marketing" })).body.state).toBe("granted");
      expect((await api("POST", `/v1/contacts/${b.ref}/consent/confirm`, { purpose: "marketing" })).body.state).toBe("granted");
      expect((await api("POST", `/v1/contacts/${b.ref}/consent/confirm`, { purpose: "marketing" })).body.state).toBe("granted");
      const yes = `SM${crypto.randomUUID().replace(/-/g, "")}`;
      await reply(c.to, "YES", yes);
      await reply(c.to, "YES", yes); // the provider retried its webhook
      expect((await api("GET", `/v1/contacts/${c.ref}`)).body.consent).toEqual({ marketing: "granted" });

      // A topic outside double opt-in is granted at once: an opt-in without a prompt.
      const e = await withPhone();
      const topic = await api("POST", `/v1/contacts/${e.ref}/consent`, { purpose: "jr_news", action: "grant", source: "shopify" });
      expect(topic.body.state).toBe("granted");
      // A transactional grant is never an opt-in.
      await api("POST", `/v1/contacts/${e.ref}/consent`, { purpose: "transactional", action: "grant", source: "shopify" });

      const after = (await jobs()).acquisition;
      const src = (s: string, r: any) => r.optInsBySource[s] ?? 0;
      expect(after.prompts - before.prompts).toBe(4);
      expect(after.optedIn - before.optedIn).toBe(4); // a, b, c confirmed; e's topic
      expect(after.optInRate).toBeCloseTo((before.optedIn + 4) / (before.prompts + 4), 6);
      expect(src("api", after) - src("api", before)).toBe(2);
      expect(src("keyword", after) - src("keyword", before)).toBe(1);
      expect(src("shopify", after) - src("shopify", before)).toBe(1);
      expect(src("form", after) - src("form", before)).toBe(0); // pending grants are not opt-ins
      // The requests are the job's messages: sent and delivered by the sandbox.
      expect(after.sent - before.sent).toBe(4);
      expect(after.delivered - before.delivered).toBe(4);
    } finally {
      await api("PUT", "/v1/settings/consent", { topics: ["jr_news"], confirmOptIn: [] });
    }
  });
});

describe("acquisition: an opt-in is a person opting in", () => {
  it("does not count a second grant from someone whose consent is already granted", async () => {
    const before = (await jobs()).acquisition;
    const src = (s: string, r: any) => r.optInsBySource[s] ?? 0;
    const user = unique("u");
    await optedIn(user, phone()); // the signup form: marketing granted (no double opt-in here), one opt-in
    // The same person submits the form again (a new submission, so a new messageId), and a shop sync grants it once more.
    await track(user, "Subscribed", { purpose: "marketing", source: "form", text: "Yes, text me offers." });
    await api("POST", `/v1/contacts/user:${user}/consent`, { purpose: "marketing", action: "grant", source: "shopify" });
    expect((await api("GET", `/v1/contacts/user:${user}`)).body.consent).toEqual({ marketing: "granted" });
    const after = (await jobs()).acquisition;
    expect.soft(src("form", after) - src("form", before)).toBe(1);
    expect.soft(src("shopify", after) - src("shopify", before)).toBe(0);
    expect.soft(after.optedIn - before.optedIn).toBe(1);
  });
});

describe("transactional: delivery rate", () => {
  it("counts a message the gateway failed as sent and failed, not delivered", async () => {
    const template = unique("jr-receipt").toLowerCase();
    expect((await api("PUT", `/v1/templates/${template}`, { body: "Your order is confirmed. Thank you!", job: "transactional", purpose: "transactional" })).status).toBe(200);
    const people = [await withPhone(), await withPhone(), await withPhone()];
    const failing = people[2]!;
    expect((await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC, sandbox: { fail: [failing.to] } })).status).toBe(200);
    try {
      const before = (await jobs()).transactional;
      for (const p of people) {
        const r = await api("POST", "/v1/messages", { contact: p.ref, template });
        expect(r.status).toBe(202);
        await settleSends(p.ref);
      }
      const after = (await jobs()).transactional;
      expect(after.sent - before.sent).toBe(3);
      expect(after.delivered - before.delivered).toBe(2);
      expect(after.failed - before.failed).toBe(1);
      expect(after.deliveryRate).toBeCloseTo((before.delivered + 2) / (before.sent + 3), 6);
    } finally {
      await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC });
    }
  });
});

describe("service: appointments and no-shows", () => {
  it("counts each appointment once per contact and time, on its own day; a no-show once", async () => {
    const t = now();
    const twoDaysAgo = new Date(t - 2 * DAY).toISOString();
    const yesterday = new Date(t - DAY).toISOString();
    const nextWeek = new Date(t + 7 * DAY).toISOString();
    // A range that also holds next week's appointment.
    const wide = `?from=${ymd(t - 20 * DAY)}&to=${ymd(t + 10 * DAY)}`;
    const before = (await jobs()).service;
    const beforeWide = (await jobs(wide)).service;

    const [a, b, c] = [unique("u"), unique("u"), unique("u")];
    // a: booked two days ago — delivered twice (same messageId), then sent again with a new messageId.
    const booked = { userId: a, event: "Appointment Booked", messageId: unique("appt"), properties: { appointment_at: twoDaysAgo, appointment_id: "A-1" } };
    await api("POST", "/v1/track", booked);
    await api("POST", "/v1/track", booked);
    await track(a, "Appointment Booked", { appointment_at: twoDaysAgo, appointment_id: "A-1" });
    // b: booked for yesterday; c: booked for next week (outside the default range, which ends today).
    await track(b, "Appointment Booked", { appointment_at: yesterday, appointment_id: "B-1" });
    await track(c, "Appointment Booked", { appointment_at: nextWeek, appointment_id: "C-1" });
    // A booking without a time is no appointment.
    await track(c, "Appointment Booked", { appointment_id: "C-2" });
    // a missed it (reported twice by the booking system, same messageId); b attended.
    const missed = { userId: a, event: "Appointment Missed", messageId: unique("miss"), properties: { appointment_id: "A-1" } };
    await api("POST", "/v1/track", missed);
    await api("POST", "/v1/track", missed);
    await track(b, "Appointment Attended", { appointment_id: "B-1" });

    const after = (await jobs()).service;
    expect(after.appointments - before.appointments).toBe(2);
    expect(after.noShows - before.noShows).toBe(1);
    expect(after.noShowRate).toBeCloseTo((before.noShows + 1) / (before.appointments + 2), 6);
    const afterWide = (await jobs(wide)).service;
    expect(afterWide.appointments - beforeWide.appointments).toBe(3);
    expect(afterWide.noShows - beforeWide.noShows).toBe(1);
  });
});

describe("activation: first actions and time to action", () => {
  it("counts entrants, runs that reached the goal, and the median hours from entry to goal", async () => {
    const template = unique("jr-welcome").toLowerCase();
    expect((await api("PUT", `/v1/templates/${template}`, { body: "Welcome! Set up your profile in 2 minutes. Reply STOP to opt out.", job: "activation", purpose: "marketing" })).status).toBe(200);
    const key = unique("jr-activate").toLowerCase();
    const flow = {
      name: "Welcome and activate", status: "active", job: "activation", trigger: { event: "Jr Signed Up" },
      goal: { event: "Jr Profile Completed" }, steps: [{ send: { template } }, { wait: "P3D" }],
    };
    expect((await api("PUT", `/v1/flows/${key}`, flow)).status).toBe(200);
    const before = (await jobs()).activation;
    // The only activation flow of this file: no earlier time-to-action in the histogram.
    expect(before.firstActions).toBe(0);

    const people = [];
    for (let i = 0; i < 4; i++) {
      const user = unique("u");
      const to = phone();
      await optedIn(user, to);
      await track(user, "Jr Signed Up");
      await settleSends(`user:${user}`);
      expect(await inbox(to)).toHaveLength(1);
      people.push({ user, contactId: (await api("GET", `/v1/contacts/user:${user}`)).body.id as string });
    }
    await flushRecords();
    const startOf = async (contactId: string) =>
      (await env.DB.prepare("SELECT started_at FROM flow_runs WHERE contact_id = ? AND flow_key = ?").bind(contactId, key).first<{ started_at: number }>())!.started_at;
    const starts = await Promise.all(people.map((p) => startOf(p.contactId)));

    // Three reach the goal 1 h, 2 h and 5 h after their run started; the fourth never does.
    advanceClock(5 * HOUR + MIN);
    const hours = [1, 2, 5];
    for (let i = 0; i < 3; i++) {
      const at = new Date(starts[i]! + hours[i]! * HOUR).toISOString();
      expect((await track(people[i]!.user, "Jr Profile Completed", {}, { timestamp: at })).status).toBeLessThan(300);
    }

    const after = (await jobs()).activation;
    expect(after.entered - before.entered).toBe(4);
    expect(after.firstActions - before.firstActions).toBe(3);
    expect(after.firstActionRate).toBeCloseTo((before.firstActions + 3) / (before.entered + 4), 6);
    near(after.medianHoursToAction, 2); // median of 1 h, 2 h, 5 h
    // The welcome texts went out, and each goal is credited to the delivery that preceded it.
    expect(after.sent - before.sent).toBe(4);
    expect(after.delivered - before.delivered).toBe(4);
    expect(after.conversions - before.conversions).toBe(3);
  });
});

describe("stages: moves, days in stage, weekly cohorts, B2B pipeline", () => {
  it("counts meetings, opportunities and won deals once each, with their rates", async () => {
    const before = (await stagesReport()).b2b;
    const p = await withPhone();
    const q = await withPhone();
    // Two ordinary replies (no message of ours before them: unattributed, but replies all the same).
    await reply(p.to, "Thanks, what does the premium plan include?");
    await reply(q.to, "Got it, thank you");
    const meeting = { userId: p.user, event: "Meeting Booked", messageId: unique("mtg"), properties: { meeting_at: new Date(now() + DAY).toISOString() } };
    await api("POST", "/v1/track", meeting);
    await api("POST", "/v1/track", meeting); // redelivered
    await track(q.user, "Meeting Booked");
    await track(p.user, "Opportunity Created", { opportunity_id: "O-1", value: 12000 });
    await track(p.user, "Deal Won", { opportunity_id: "O-1", value: 12000 });
    const after = (await stagesReport()).b2b;
    expect(after.replies - before.replies).toBe(2);
    expect(after.meetings - before.meetings).toBe(2);
    expect(after.opportunities - before.opportunities).toBe(1);
    expect(after.won - before.won).toBe(1);
    expect(after.meetingRate).toBeCloseTo((before.meetings + 2) / (before.replies + 2), 6);
    expect(after.opportunityRate).toBeCloseTo((before.opportunities + 1) / (before.meetings + 2), 6);
    expect(after.winRate).toBeCloseTo((before.won + 1) / (before.opportunities + 1), 6);
  });

  it("counts moves, entries and exits, median days in each stage and weekly entry cohorts", async () => {
    const people = [await withPhone(), await withPhone(), await withPhone()];
    const move = async (ref: string, stage: string) => {
      const r = await api("PUT", `/v1/contacts/${ref}/stage`, { stage, reason: "pipeline" });
      expect(r.status).toBe(200);
      expect(r.body.changed).toBe(true);
    };
    // Day 0 all three become leads; they book a demo after 2, 3 and 5 days; all close on day 8.
    for (const p of people) await move(p.ref, LEAD);
    const plan = [2, 3, 5];
    let day = 0;
    for (let i = 0; i < 3; i++) {
      advanceClock((plan[i]! - day) * DAY);
      day = plan[i]!;
      await move(people[i]!.ref, DEMO);
    }
    advanceClock((8 - day) * DAY);
    for (const p of people) await move(p.ref, WON);

    // The instants of each move, read back from the contacts' stage history.
    const history = await Promise.all(people.map(async (p) => (await api("GET", `/v1/contacts/${p.ref}`)).body.stageHistory as Array<{ from: string | null; to: string; at: string }>));
    const entered = (h: (typeof history)[0], stage: string) => Date.parse(h.find((x) => x.to === stage)!.at);
    for (const h of history) expect(h.map((x) => [x.from, x.to])).toEqual([[null, "subscriber"], ["subscriber", LEAD], [LEAD, DEMO], [DEMO, WON]]);
    const leadDays = history.map((h) => (entered(h, DEMO) - entered(h, LEAD)) / DAY);
    const demoDays = history.map((h) => (entered(h, WON) - entered(h, DEMO)) / DAY);
    leadDays.forEach((d, i) => expect(d).toBeCloseTo(plan[i]!, 2));
    demoDays.forEach((d, i) => expect(d).toBeCloseTo(8 - plan[i]!, 2));

    const r = await stagesReport();
    const moves = (from: string, to: string) => r.moves.find((m: any) => m.from === from && m.to === to)?.contacts;
    expect(moves("subscriber", LEAD)).toBe(3);
    expect(moves(LEAD, DEMO)).toBe(3);
    expect(moves(DEMO, WON)).toBe(3);
    expect(r.moves.filter((m: any) => [m.from, m.to].some((s) => [LEAD, DEMO, WON].includes(s))).length).toBe(3);

    const stage = (name: string) => r.stages.find((s: any) => s.stage === name);
    expect(stage(LEAD)).toMatchObject({ entered: 3, left: 3, sent: 0 });
    expect(stage(DEMO)).toMatchObject({ entered: 3, left: 3, sent: 0 });
    expect(stage(WON)).toMatchObject({ entered: 3, left: 0, medianDaysInStage: null });
    near(stage(LEAD).medianDaysInStage, 3); // median of 2, 3, 5 days
    near(stage(DEMO).medianDaysInStage, 5); // median of 6, 5, 3 days

    // Weekly cohorts: entrants by the Monday of the week they entered, and where they went since.
    const expected = new Map<string, { entered: number; movedTo: Record<string, number> }>();
    const add = (stageName: string, at: number, next?: string) => {
      const k = `${stageName}|${mondayOf(at)}`;
      const row = expected.get(k) ?? { entered: 0, movedTo: {} };
      row.entered++;
      if (next) row.movedTo[next] = (row.movedTo[next] ?? 0) + 1;
      expected.set(k, row);
    };
    for (const h of history) {
      add(LEAD, entered(h, LEAD), DEMO);
      add(DEMO, entered(h, DEMO), WON);
      add(WON, entered(h, WON));
    }
    const cohorts = r.cohorts.filter((x: any) => [LEAD, DEMO, WON].includes(x.stage));
    expect(new Map(cohorts.map((x: any) => [`${x.stage}|${x.week}`, { entered: x.entered, movedTo: x.movedTo }]))).toEqual(expected);
    // Sorted by week, then stage.
    const order = cohorts.map((x: any) => `${x.week}|${x.stage}`);
    expect(order).toEqual([...order].sort());
  });
});

describe("CSV", () => {
  it("answers the jobs report as CSV: a header and one row per job", async () => {
    await flushRecords();
    const json = await jobs();
    const res = await exports.default.fetch("http://tidings.test/v1/reports/jobs?format=csv", { headers: { authorization: "Bearer tid_owner_local_example_key" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).split("\r\n");
    expect(lines.at(-1)).toBe("");
    const [header, ...rows] = lines.slice(0, -1);
    expect(rows).toHaveLength(7);
    const columns = header!.split(",");
    expect(columns[0]).toBe("job");
    expect(rows.map((l) => l.split(",")[0])).toEqual(["acquisition", "activation", "conversion", "transactional", "retention", "service", "reactivation"]);
    for (const col of ["entered", "sent", "prompts", "optInsBySource.api", "firstActions", "appointments", "noShows"]) expect(columns).toContain(col);
    const cell = (job: string, col: string) => rows.find((l) => l.startsWith(`${job},`))!.split(",")[columns.indexOf(col)];
    expect(cell("activation", "firstActions")).toBe(String(json.activation.firstActions));
    expect(cell("service", "appointments")).toBe(String(json.service.appointments));
    expect(cell("acquisition", "optInsBySource.api")).toBe(String(json.acquisition.optInsBySource.api));
    expect(cell("service", "firstActions")).toBe("");
  });
});
