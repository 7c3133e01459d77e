// "yes call me" from a lead reaches its owner within the SLA, or escalates: routing rules, tasks,
// owner notifications signed per Standard Webhooks (verified with the standardwebhooks library, as a
// receiver would), SLA breach with simulated time.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { now } from "../src/clock";
import { twilioSignature } from "../src/gateway/twilio-signature";
import { intentOf } from "../src/tasks/settings";
import { RoutingSection } from "../src/tasks/settings";
import { MIN, advance, api, flushRecords, hookCaptures, phone, unique, verifyWebhook } from "./helpers";

const MOCK = (env as unknown as { TWILIO_MOCK: string }).TWILIO_MOCK;
const PUBLIC = "https://tidings.example";

beforeAll(async () => {
  await api("PUT", "/v1/settings/stages", { preset: "b2b" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC });
  await api("PUT", "/v1/settings/routing", {
    owners: [
      { id: "dana", name: "Dana (SDR)", webhook: `${MOCK}/hooks/dana` },
      { id: "lee", name: "Lee (AE)", webhook: `${MOCK}/hooks/lee` },
    ],
    stageOwners: { sql: "dana", lead: "dana", opportunity: "lee" },
    sla: { sql: "PT15M", default: "PT4H" },
  });
});

async function inbound(from: string, body: string) {
  const params = { MessageSid: `SM${crypto.randomUUID().replace(/-/g, "")}`, From: from, To: "+14155550100", Body: body };
  const signature = await twilioSignature("test_twilio_auth_token", `${PUBLIC}/webhooks/twilio/inbound`, params);
  const res = await exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params),
  });
  expect(res.status).toBe(200);
}

async function lead(stage: string, traits: Record<string, unknown> = {}) {
  const user = unique("u");
  const to = phone();
  await api("POST", "/v1/identify", { userId: user, traits: { phone: to, ...traits } });
  await api("PUT", `/v1/contacts/user:${user}/stage`, { stage });
  return { user, to, ref: `user:${user}` };
}

/** Deliveries the owners' receivers got, for one contact, each verified with TASK_WEBHOOK_SECRET (used raw). */
async function received(contactId: string) {
  const all = (await hookCaptures(MOCK)).filter((r) => r.json?.data?.contactId === contactId);
  for (const r of all) verifyWebhook(env.TASK_WEBHOOK_SECRET, r, "raw");
  return all as any[];
}

describe("routing rules", () => {
  it("maps replies to intents, first rule first, with a fallback", () => {
    const r = RoutingSection.parse({ fallback: "other" });
    expect(intentOf("yes call me", r)).toBe("call_me");
    expect(intentOf("Could you phone me tomorrow?", r)).toBe("call_me");
    expect(intentOf("I'm interested!", r)).toBe("interested");
    expect(intentOf("can we reschedule?", r)).toBe("reschedule");
    expect(intentOf("not now, thanks", r)).toBe("not_now");
    expect(intentOf("what's the weather", r)).toBe("other");
    expect(intentOf("what's the weather", RoutingSection.parse({}))).toBeUndefined();
  });

  it("refuses an invalid pattern and an unknown stage owner, naming the field", async () => {
    const r = await api("PUT", "/v1/settings/routing", { rules: [{ intent: "x", pattern: "(" }] });
    expect(r.body.errors[0].field).toBe("rules.0");
    const r2 = await api("PUT", "/v1/settings/routing", { stageOwners: { sql: "nobody" } });
    expect(r2.body.errors[0].field).toBe("stageOwners.sql");
  });
});

describe("tasks", () => {
  it("turns 'yes call me' from an SQL into a task for its owner, notified with a signed webhook", async () => {
    const l = await lead("sql");
    const before = now();
    await inbound(l.to, "yes call me");
    const contact = (await api("GET", `/v1/contacts/${l.ref}`)).body;
    await vi.waitFor(async () => expect(await received(contact.id)).toHaveLength(1), { timeout: 5000, interval: 50 });
    const after = now();
    const [note] = await received(contact.id);
    expect(note.path).toBe("/hooks/dana");
    expect(note.json).toMatchObject({ type: "task.created", version: 1 });
    expect(note.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(note.json.data).toMatchObject({ intent: "call_me", reply: "yes call me", stage: "sql", state: "open", source: "reply" });
    // 15 minutes for an SQL, on the clock, from when the reply came in.
    const due = Date.parse(note.json.data.slaDueAt);
    expect(due).toBeGreaterThanOrEqual(before + 15 * MIN);
    expect(due).toBeLessThanOrEqual(after + 15 * MIN);
    await flushRecords();
    const list = (await api("GET", "/v1/tasks?owner=dana&state=open")).body.tasks;
    expect(list.map((t: any) => t.id)).toContain(note.json.data.id);
  });

  it("escalates a task nobody acknowledged within the SLA", async () => {
    const l = await lead("sql");
    await inbound(l.to, "call me please");
    const contactId = (await api("GET", `/v1/contacts/${l.ref}`)).body.id;
    await advance(l.ref, 16 * MIN);
    await vi.waitFor(async () => expect((await received(contactId)).map((r) => r.json.type)).toEqual(["task.created", "task.breached"]), { timeout: 5000, interval: 50 });
    await flushRecords();
    const t = (await api("GET", "/v1/tasks?state=breached")).body.tasks.find((x: any) => x.contactId === contactId);
    expect(t.state).toBe("breached");
  });

  it("does not escalate an acknowledged task; ack and done are idempotent", async () => {
    const l = await lead("sql");
    await inbound(l.to, "I'm interested");
    const contactId = (await api("GET", `/v1/contacts/${l.ref}`)).body.id;
    await vi.waitFor(async () => expect(await received(contactId)).toHaveLength(1), { timeout: 5000, interval: 50 });
    const id = (await received(contactId))[0].json.data.id;
    expect((await api("POST", `/v1/tasks/${id}/ack`)).body.state).toBe("acknowledged");
    expect((await api("POST", `/v1/tasks/${id}/ack`)).body.state).toBe("acknowledged");
    await advance(l.ref, 30 * MIN);
    expect((await api("POST", `/v1/tasks/${id}/done`)).body.state).toBe("done");
    expect((await received(contactId)).map((r) => r.json.type)).toEqual(["task.created"]);
    expect((await api("POST", "/v1/tasks/t_nope/ack")).status).toBe(404);
  });

  it("prefers the contact's owner trait over the stage's owner", async () => {
    const l = await lead("sql", { owner: "lee" });
    await inbound(l.to, "call me");
    const contactId = (await api("GET", `/v1/contacts/${l.ref}`)).body.id;
    await vi.waitFor(async () => expect((await received(contactId))[0]?.path).toBe("/hooks/lee"), { timeout: 5000, interval: 50 });
  });

  it("creates a task from a flow's route step", async () => {
    await api("PUT", "/v1/flows/pricing-interest", {
      name: "Pricing interest", status: "active", job: "conversion", trigger: { event: "Pricing Viewed" },
      steps: [{ route: { intent: "pricing_interest" } }],
    });
    const l = await lead("opportunity");
    await api("POST", "/v1/track", { userId: l.user, event: "Pricing Viewed" });
    const contactId = (await api("GET", `/v1/contacts/${l.ref}`)).body.id;
    await vi.waitFor(async () => expect((await received(contactId))[0]?.json.data).toMatchObject({ intent: "pricing_interest", source: "flow:pricing-interest" }), { timeout: 5000, interval: 50 });
    expect((await received(contactId))[0].path).toBe("/hooks/lee");
  });

  it("makes no task for a low-intent reply", async () => {
    const l = await lead("sql");
    await inbound(l.to, "not now");
    const c = (await api("GET", `/v1/contacts/${l.ref}`)).body;
    expect(c.recentEvents[0].properties.intent).toBe("not_now");
    await flushRecords();
    expect((await api("GET", "/v1/tasks")).body.tasks.filter((t: any) => t.contactId === c.id)).toEqual([]);
  });
});
