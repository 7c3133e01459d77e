// Stage broadcasts: a segment narrowed by stage and consent in D1 and by traits in each DO, a dry run
// whose counts equal the real run's decisions, local-time sends across zones and a DST change,
// pause and cancel before the gateway, a redelivered fan-out page that sends once, and roles.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import { fanoutPage } from "../src/broadcasts/fanout";
import { DAY, api, contactStub, deliverSend, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";
import { dateAfter, nextUsDaylightSaving, utcDay } from "./calendar";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] });
  expect((await api("PUT", "/v1/templates/spring-offer", { body: "Spring offer: 20% off this week. Reply STOP to opt out.", job: "retention", purpose: "marketing" })).status).toBe(200);
});

/** A contact in a stage, in a zone, with or without marketing consent. */
async function person(o: { stage: string; zone: string; consent?: boolean; traits?: Record<string, unknown>; tag: string }) {
  const user = unique(o.tag);
  const to = phone();
  if (o.consent === false) await api("POST", "/v1/identify", { userId: user, traits: { phone: to, timezone: o.zone, tag: o.tag, ...o.traits } });
  else await optedIn(user, to, { timezone: o.zone, tag: o.tag, ...o.traits });
  expect((await api("PUT", `/v1/contacts/user:${user}/stage`, { stage: o.stage })).status).toBe(200);
  return { user, to, ref: `user:${user}` };
}

/** Wait for the broadcast's dry run or fan-out to finish. */
async function settled(id: string, what: "dryRun" | "fanout") {
  let b: any;
  await vi.waitFor(async () => {
    b = (await api("GET", `/v1/broadcasts/${id}`)).body;
    if (what === "dryRun" ? b.dryRun?.status !== "done" : b.status !== "done") throw new Error("not yet");
  }, { timeout: 15_000, interval: 50 });
  return b;
}

/** Run every due timer of these contacts, then let their sends settle. */
async function fire(people: Array<{ ref: string }>) {
  for (const p of people) {
    await runDurableObjectAlarm((await contactStub(p.ref)).stub);
    await settleSends(p.ref);
  }
  await flushRecords();
}

describe("a broadcast to customers with marketing consent, at 10:00 local time", () => {
  it("dry-runs counts by reason that equal the real run's outcomes, then sends at each zone's 10:00 across a DST change", async () => {
    const tag = unique("spring").toLowerCase();
    const t0 = now();
    const ny = await person({ stage: "customer", zone: "America/New_York", tag });
    const la = await person({ stage: "customer", zone: "America/Los_Angeles", tag });
    const london = await person({ stage: "customer", zone: "Europe/London", tag });
    const noConsent = await person({ stage: "customer", zone: "America/New_York", consent: false, tag });
    const notVip = await person({ stage: "customer", zone: "America/New_York", tag, traits: { vip: false } });
    const suppressed = await person({ stage: "customer", zone: "America/Chicago", tag });
    expect((await api("POST", "/v1/suppressions", { phone: suppressed.to, reason: "complaint" })).status).toBeLessThan(300);
    await person({ stage: "subscriber", zone: "America/New_York", tag }); // another stage: not in the segment at all
    await flushRecords();

    // On the US change to daylight time (not yet in London), 10:00 is 14:00Z in New York, 17:00Z in
    // Los Angeles, 10:00Z in London.
    const spring = nextUsDaylightSaving(now());
    const create = await api("POST", "/v1/broadcasts", {
      name: "Spring offer", template: "spring-offer", sendAt: { localTime: "10:00", date: spring },
      segment: { stages: ["customer"], consent: "marketing", where: { "traits.tag": tag, "traits.vip": { ne: false } } },
    });
    expect(create.status).toBe(201);
    const id = create.body.id;
    const dry = await settled(id, "dryRun");
    // Contacts from other tests are customers too; the `tag` condition excludes them in their DOs.
    const own = { ...dry.dryRun.counts };
    const others = own["excluded:segment"] - 1;
    own["excluded:segment"] = 1;
    expect(own).toEqual({ "sent:ok": 3, "skipped:no_consent:marketing": 1 + (own["skipped:no_consent:marketing"] - 1), "skipped:suppressed": 1, "excluded:segment": 1 });
    expect(await inbox(ny.to)).toEqual([]); // a dry run sends nothing

    expect((await api("POST", `/v1/broadcasts/${id}/launch`)).status).toBe(200);
    const launched = await settled(id, "fanout");
    expect(launched.fanout.counts["scheduled"]).toBe(4); // three to send, one whose gate will say suppressed
    expect(launched.fanout.counts["excluded:segment"]).toBe(others + 1);
    const due = async (p: { ref: string }) => (await api("GET", `/v1/contacts/${p.ref}`)).body.timers.find((t: any) => t.kind === "run")?.dueAt;
    const sunday = Date.parse(spring);
    expect([await due(ny), await due(la), await due(london)]).toEqual([utcDay(sunday, 0, 14), utcDay(sunday, 0, 17), utcDay(sunday, 0, 10)]);
    expect(await due(notVip)).toBeUndefined();

    advanceClock(Date.parse(utcDay(sunday, 0, 17, 1)) - now());
    await fire([ny, la, london, suppressed, notVip, noConsent]);
    for (const p of [ny, la, london]) expect(await inbox(p.to)).toEqual(["Spring offer: 20% off this week. Reply STOP to opt out."]);
    for (const p of [suppressed, notVip, noConsent]) expect(await inbox(p.to)).toEqual([]);

    const progress = (await api("GET", `/v1/broadcasts/${id}`)).body;
    expect(progress.messages.byStatus).toEqual({ delivered: 3, skipped: 1 });
    // The dry run's counts equal what really happened.
    expect(progress.messages.deferredOrSkipped).toEqual({ "skipped:suppressed": dry.dryRun.counts["skipped:suppressed"] });
    expect(progress.messages.byStatus.delivered).toBe(dry.dryRun.counts["sent:ok"]);
    expect(launched.fanout.counts["skipped:no_consent:marketing"]).toBe(dry.dryRun.counts["skipped:no_consent:marketing"]);

    // Results appear in the reports like a flow's.
    const report = (await api("GET", `/v1/reports/flows?key=broadcast-${id}&from=${dateAfter(t0, -1)}&to=${dateAfter(sunday, 1)}`)).body.flows[0];
    expect(report).toMatchObject({ name: "Spring offer", entered: 4, sent: 3, delivered: 3, skipped: { suppressed: 1 } });
  });

  it("defers for quiet hours in the dry run and in the real run alike", async () => {
    const tag = unique("late").toLowerCase();
    const honolulu = await person({ stage: "customer", zone: "Pacific/Honolulu", tag });
    await flushRecords();
    // 13:00Z is 03:00 in Honolulu (UTC-10, no DST): inside quiet hours there.
    const at = utcDay(now(), 2, 13);
    const r = await api("POST", "/v1/broadcasts", { name: "Late", template: "spring-offer", sendAt: { at }, segment: { stages: ["customer"], where: { "traits.tag": tag } } });
    const dry = await settled(r.body.id, "dryRun");
    const deferred = Object.keys(dry.dryRun.counts).filter((k) => k.startsWith("deferred:quiet_hours"));
    expect(deferred).toHaveLength(1);
    await api("POST", `/v1/broadcasts/${r.body.id}/launch`);
    await settled(r.body.id, "fanout");
    advanceClock(Date.parse(at) - now() + 60_000);
    await fire([honolulu]);
    const progress = (await api("GET", `/v1/broadcasts/${r.body.id}`)).body;
    expect(progress.messages.deferredOrSkipped).toEqual({ [deferred[0]!]: 1 });
    expect(await inbox(honolulu.to)).toEqual([]);
  });
});

describe("steering", () => {
  async function launched(tag: string, people: Array<{ ref: string }>) {
    await flushRecords();
    const at = new Date(now() + DAY).toISOString();
    const r = await api("POST", "/v1/broadcasts", { name: "Steer", template: "spring-offer", sendAt: { at }, segment: { stages: ["customer"], where: { "traits.tag": tag } } });
    await settled(r.body.id, "dryRun");
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/launch`)).status).toBe(200);
    await settled(r.body.id, "fanout");
    return { id: r.body.id as string, at: Date.parse(at), people };
  }

  it("cancelling stops messages that have not reached the gateway, and is in the audit log", async () => {
    const tag = unique("cancel").toLowerCase();
    const p = await person({ stage: "customer", zone: "America/New_York", tag });
    const b = await launched(tag, [p]);
    expect((await api("POST", `/v1/broadcasts/${b.id}/cancel`)).status).toBe(200);
    expect((await api("POST", `/v1/broadcasts/${b.id}/cancel`)).status).toBe(200); // a retried request answers the same
    expect((await api("POST", `/v1/broadcasts/${b.id}/resume`)).status).toBe(409);
    advanceClock(b.at - now() + 2 * 3_600_000); // after the send instant, outside quiet hours
    await fire([p]);
    expect(await inbox(p.to)).toEqual([]);
    const progress = (await api("GET", `/v1/broadcasts/${b.id}`)).body;
    expect(progress).toMatchObject({ status: "cancelled", messages: { deferredOrSkipped: { "skipped:cancelled": 1 } } });
    const audit = (await api("GET", `/v1/audit?target=broadcast:${b.id}`)).body.entries.map((e: any) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["broadcast.create", "broadcast.launch", "broadcast.cancel"]));
  });

  it("pausing holds messages before the gateway until resumed; a stale page of a paused broadcast does nothing", async () => {
    const tag = unique("pause").toLowerCase();
    const p = await person({ stage: "customer", zone: "America/New_York", tag });
    const b = await launched(tag, [p]);
    expect((await api("POST", `/v1/broadcasts/${b.id}/pause`)).status).toBe(200);
    await fanoutPage(env, { id: b.id, phase: "send", page: 0, after: "" }); // redelivered while paused: nothing happens
    advanceClock(b.at - now() + 2 * 3_600_000);
    await runDurableObjectAlarm((await contactStub(p.ref)).stub);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${p.ref}`)).body.messages[0];
    await vi.waitFor(async () => expect((await api("GET", `/v1/messages?contact=${p.ref}`)).body.messages[0].status).toBe("queued"));
    expect(await inbox(p.to)).toEqual([]);
    expect((await api("POST", `/v1/broadcasts/${b.id}/resume`)).status).toBe(200);
    // The held job comes back after its delay; deliver it now, as the queue will.
    const { id: contactId } = await contactStub(p.ref);
    await deliverSend({ contactId, messageId: m.id, broadcast: b.id } as never);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toHaveLength(1);
  });

  it("sends once when a fan-out page is delivered again", async () => {
    const tag = unique("twice").toLowerCase();
    const p = await person({ stage: "customer", zone: "America/New_York", tag });
    const b = await launched(tag, [p]);
    const before = (await api("GET", `/v1/broadcasts/${b.id}`)).body.fanout;
    await env.DB.prepare("UPDATE broadcasts SET status = 'running' WHERE id = ?").bind(b.id).run(); // as if the page were redelivered mid-run
    await fanoutPage(env, { id: b.id, phase: "send", page: 0, after: "" });
    expect((await api("GET", `/v1/broadcasts/${b.id}`)).body.fanout).toEqual(before);
    advanceClock(b.at - now() + 2 * 3_600_000);
    await fire([p]);
    expect(await inbox(p.to)).toHaveLength(1);
    expect((await api("GET", `/v1/contacts/${p.ref}`)).body.runs.filter((r: any) => r.flow === `broadcast-${b.id}`)).toHaveLength(1);
  });
});

describe("recovery", () => {
  it("restarts a stalled fan-out on resume, and runs a draft's dry run again, without double counts", async () => {
    const tag = unique("stall").toLowerCase();
    const p = await person({ stage: "customer", zone: "America/New_York", tag });
    await flushRecords();
    const r = await api("POST", "/v1/broadcasts", { name: "Stall", template: "spring-offer", sendAt: { at: new Date(now() + DAY).toISOString() }, segment: { stages: ["customer"], where: { "traits.tag": tag } } });
    const first = (await settled(r.body.id, "dryRun")).dryRun;
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/dry-run`)).status).toBe(200);
    expect((await settled(r.body.id, "dryRun")).dryRun).toEqual(first);

    await api("POST", `/v1/broadcasts/${r.body.id}/launch`);
    const done = (await settled(r.body.id, "fanout")).fanout;
    // As if the chain of pages had stopped after launch: running, nothing stored, cursor at the start.
    await env.DB.batch([
      env.DB.prepare("UPDATE broadcasts SET status = 'running', cursor = NULL, page = 0, fanout_done = 0 WHERE id = ?").bind(r.body.id),
      env.DB.prepare("DELETE FROM broadcast_pages WHERE broadcast_id = ? AND phase = 'send'").bind(r.body.id),
    ]);
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/resume`)).status).toBe(200);
    expect((await settled(r.body.id, "fanout")).fanout).toEqual(done);
    expect((await api("GET", `/v1/contacts/${p.ref}`)).body.runs.filter((x: any) => x.flow === `broadcast-${r.body.id}`)).toHaveLength(1);
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/dry-run`)).status).toBe(409); // launched: no longer a draft
  });
});

describe("purpose, goals and finished fan-outs", () => {
  it("keeps the template's purpose: `consent: transactional` on a marketing template texts nobody without marketing consent", async () => {
    const tag = unique("purpose").toLowerCase();
    const p = await person({ stage: "customer", zone: "America/New_York", consent: false, tag });
    await flushRecords();
    const r = await api("POST", "/v1/broadcasts", { name: "Sneaky", template: "spring-offer", sendAt: { at: new Date(now() + DAY).toISOString() }, segment: { stages: ["customer"], consent: "transactional", where: { "traits.tag": tag } } });
    expect((await settled(r.body.id, "dryRun")).dryRun.counts).toEqual({ "skipped:no_consent:marketing": 1, "excluded:segment": expect.any(Number) });
    await api("POST", `/v1/broadcasts/${r.body.id}/launch`);
    await settled(r.body.id, "fanout");
    advanceClock(DAY + 2 * 3_600_000);
    await fire([p]);
    expect(await inbox(p.to)).toEqual([]);
  });

  it("counts the broadcast's goal as its conversion, not a goal from before the broadcast; a resume after a finished fan-out stays done", async () => {
    const tag = unique("goal").toLowerCase();
    const t0 = now();
    const p = await person({ stage: "customer", zone: "America/New_York", tag });
    await flushRecords();
    const before = new Date(now() - DAY).toISOString();
    const r = await api("POST", "/v1/broadcasts", {
      name: "Demo push", template: "spring-offer", sendAt: { at: new Date(now() + DAY).toISOString() },
      segment: { stages: ["customer"], where: { "traits.tag": tag } }, goal: { event: "Demo Booked", within: "P3D" },
    });
    await settled(r.body.id, "dryRun");
    await api("POST", `/v1/broadcasts/${r.body.id}/launch`);
    await settled(r.body.id, "fanout");
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/pause`)).body.status).toBe("paused");
    expect((await api("POST", `/v1/broadcasts/${r.body.id}/resume`)).body.status).toBe("done");
    // A late event from yesterday does not end the run before it sends.
    await api("POST", "/v1/track", { userId: p.ref.slice(5), event: "Demo Booked", messageId: unique("late"), timestamp: before });
    advanceClock(DAY + 2 * 3_600_000);
    await fire([p]);
    expect(await inbox(p.to)).toHaveLength(1);
    await api("POST", "/v1/track", { userId: p.ref.slice(5), event: "Demo Booked", messageId: unique("demo"), properties: { revenue: 10, currency: "USD" } });
    await flushRecords();
    const row = (await api("GET", `/v1/reports/flows?key=broadcast-${r.body.id}&from=${dateAfter(t0, -1)}&to=${dateAfter(now(), 1)}`)).body.flows[0];
    expect(row).toMatchObject({ sent: 1, goals: 1, conversions: 1, revenue: { USD: 10 } });
  });
});

describe("input and roles", () => {
  it("names the bad field", async () => {
    const base = { name: "X", template: "spring-offer", sendAt: { localTime: "10:00" }, segment: { stages: ["customer"] } };
    const cases: Array<[unknown, string]> = [
      [{ ...base, segment: { stages: ["martians"] } }, "segment.stages.0"],
      [{ ...base, template: "nope" }, "template"],
      [{ ...base, sendAt: { localTime: "25:00" } }, "sendAt"],
      [{ ...base, holdout: 0.9 }, "holdout"],
      [{ ...base, sendAt: { localTime: "10:00", date: "2027-02-30" } }, "sendAt"],
    ];
    for (const [body, field] of cases) {
      const r = await api("POST", "/v1/broadcasts", body);
      expect(r.status).toBe(400);
      expect(r.type).toMatch(/problem\+json/);
      expect(r.body.errors.map((e: any) => e.field).join(" ")).toContain(field);
    }
  });

  it("lets a sender create and launch, an analyst only read; the same Idempotency-Key returns the same broadcast", async () => {
    const sender = (await api("POST", "/v1/keys", { name: "campaigns", role: "sender" })).body.key;
    const analyst = (await api("POST", "/v1/keys", { name: "numbers", role: "analyst" })).body.key;
    const body = { name: "Roles", template: "spring-offer", sendAt: { localTime: "10:00" }, segment: { stages: ["dormant"] } };
    expect((await api("POST", "/v1/broadcasts", body, { key: analyst })).status).toBe(403);
    const key = unique("idem");
    const first = await api("POST", "/v1/broadcasts", body, { key: sender, headers: { "idempotency-key": key } });
    const again = await api("POST", "/v1/broadcasts", body, { key: sender, headers: { "idempotency-key": key } });
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await api("POST", `/v1/broadcasts/${first.body.id}/launch`, undefined, { key: analyst })).status).toBe(403);
    expect((await api("GET", `/v1/broadcasts/${first.body.id}`, undefined, { key: analyst })).status).toBe(200);
    expect((await api("POST", `/v1/broadcasts/${first.body.id}/launch`, undefined, { key: sender })).status).toBe(200);
  });
});
