// The signed event stream out: endpoints in settings.webhooks get events derived from the records
// queue, signed per Standard Webhooks (every delivery verified with the `standardwebhooks` library),
// logged in D1, retried for three days while a receiver is down (with the clock advanced), then
// dead-lettered and replayable. Secrets are write-only. Receivers are the provider mock's /hooks/.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import { MAX_ATTEMPTS, RETRY_DELAYS, pruneWebhookDeliveries } from "../src/outbound/deliveries";
import { eventsOfRecords } from "../src/outbound/events";
import type { RecordMessage } from "../src/records/types";
import { type Captured, DAY, PUBLIC_BASE, api, flushRecords, hookCaptures, optedIn, phone, twilioReply, unique, verifyWebhook } from "./helpers";

const MOCK = (env as unknown as { TWILIO_MOCK: string }).TWILIO_MOCK;
const secret = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const [CRM, NEW, OLD, DOWN] = [secret(), secret(), secret(), secret()];
const run = crypto.randomUUID().slice(0, 8);
const path = (name: string) => `/hooks/${name}-${run}`;
const ENDPOINTS = [
  { id: "crm", url: `${MOCK}${path("crm")}`, events: ["*"], secrets: [CRM] },
  // Rotating: the new secret and the one being retired; each delivery carries both signatures.
  { id: "warehouse", url: `${MOCK}${path("warehouse")}`, events: ["stage.changed", "contact.erased"], secrets: [NEW, OLD] },
  { id: "flaky", url: `${MOCK}${path("flaky")}`, events: ["stage.changed"], secrets: [DOWN] },
];

beforeAll(async () => {
  expect((await api("PUT", "/v1/settings/webhooks", { endpoints: ENDPOINTS })).status).toBe(200);
});

/** Take a receiver down (503) or bring it back (200). */
async function receiver(name: string, status: number) {
  await fetch(`${MOCK}/__hook`, { method: "POST", body: JSON.stringify({ path: path(name), status }) });
}

/** The first delivery a receiver got that matches, once it arrives. */
async function delivered(name: string, match: (r: Captured) => boolean): Promise<Captured> {
  let hit: Captured | undefined;
  await vi.waitFor(async () => {
    hit = (await hookCaptures(MOCK, path(name))).find(match);
    if (!hit) throw new Error(`nothing yet at ${path(name)}`);
  }, { timeout: 10_000, interval: 50 });
  return hit!;
}

/** A contact moved to `stage`; its id. */
async function staged(stage: string) {
  const user = unique("u");
  const contactId = (await api("POST", "/v1/identify", { userId: user, traits: { phone: phone() } })).body.contactId as string;
  expect((await api("PUT", `/v1/contacts/user:${user}/stage`, { stage })).status).toBe(200);
  return { user, contactId };
}

const stageChange = (contactId: string, to: string) => (r: Captured) => r.json?.type === "stage.changed" && r.json.data.contactId === contactId && r.json.data.to === to;

async function row(id: string) {
  return (await env.DB.prepare("SELECT * FROM webhook_deliveries WHERE id = ?").bind(id).first<any>())!;
}

/** The delivery row of an endpoint for a contact's event, once the records queue logged it. */
async function rowFor(endpoint: string, contactId: string, type: string, attempted = false) {
  let r: any;
  await vi.waitFor(async () => {
    r = await env.DB.prepare("SELECT * FROM webhook_deliveries WHERE endpoint = ? AND contact_id = ? AND type = ?").bind(endpoint, contactId, type).first();
    if (!r || (attempted && r.attempts === 0)) throw new Error("not logged yet");
  }, { timeout: 10_000, interval: 50 });
  return r;
}

/** Advance the clock to the delivery's next attempt and hand its job to the webhooks consumer, as the queue would. */
async function nextAttempt(id: string) {
  const r = await row(id);
  if (r.next_at > now()) advanceClock(r.next_at - now());
  const { default: worker } = await import("../src/index");
  const batch = createMessageBatch("tidings-webhooks", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: r.attempts + 1, body: { delivery: id } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("endpoint settings", () => {
  it("refuses a bad endpoint, naming the field", async () => {
    const bad = async (endpoint: object, field: string) => {
      const r = await api("PUT", "/v1/settings/webhooks", { endpoints: [endpoint] });
      expect(r.status).toBe(400);
      expect(r.type).toContain("application/problem+json");
      expect(r.body.errors.map((e: any) => e.field)).toContain(field);
    };
    const ok = { id: "new", url: "https://crm.example/hooks/tidings", events: ["*"], secrets: [CRM] };
    await bad({ ...ok, url: "http://crm.example/hooks" }, "endpoints.0.url");
    await bad({ ...ok, secrets: undefined }, "endpoints.0.secrets");
    await bad({ ...ok, secrets: ["whsec_c2hvcnQ="] }, "endpoints.0.secrets.0");
    await bad({ ...ok, secrets: [CRM, NEW, OLD] }, "endpoints.0.secrets");
    await bad({ ...ok, secrets: ["whsec_…abcd"] }, "endpoints.0.secrets.0");
    await bad({ ...ok, events: ["message.opened"] }, "endpoints.0.events.0");
    expect((await api("PUT", "/v1/settings/webhooks", { endpoints: [ok, ok] })).body.errors[0].field).toBe("endpoints.1.id");
  });

  it("never shows a secret: reads give a hint, saving the read back keeps them, the audit log has none", async () => {
    const analyst = (await api("POST", "/v1/keys", { name: unique("analyst"), role: "analyst" })).body.key;
    const read = await api("GET", "/v1/settings/webhooks", undefined, { key: analyst });
    expect(read.status).toBe(200);
    expect(read.body.value.endpoints[0]).toMatchObject({ id: "crm", secrets: [`whsec_…${CRM.slice(-4)}`], hasSecret: true });
    const all = JSON.stringify((await api("GET", "/v1/settings", undefined, { key: analyst })).body);
    for (const s of [CRM, NEW, OLD, DOWN]) expect(all).not.toContain(s.slice(6, 30));
    // Read, change a description, save back: the secrets stay (the next test's deliveries verify with them).
    const back = read.body.value;
    back.endpoints[0].description = "Our CRM";
    delete back.endpoints[1].secrets;
    const saved = await api("PUT", "/v1/settings/webhooks", back);
    expect(saved.status).toBe(200);
    expect(saved.body.changed).toBe(true);
    expect(JSON.stringify(saved.body)).not.toContain(CRM.slice(6, 30));
    expect(saved.body.value.endpoints[1].secrets).toEqual([`whsec_…${NEW.slice(-4)}`, `whsec_…${OLD.slice(-4)}`]);
    const audit = JSON.stringify((await api("GET", "/v1/audit?target=settings:webhooks")).body);
    expect(audit).toContain(`whsec_…${CRM.slice(-4)}`);
    for (const s of [CRM, NEW, OLD, DOWN]) expect(audit).not.toContain(s.slice(6, 30));
  });
});

describe("signed deliveries", () => {
  it("signs per Standard Webhooks; with two secrets both signatures verify; the schema is in /openapi.json", async () => {
    const { user, contactId } = await staged("customer");
    const crm = await delivered("crm", stageChange(contactId, "customer"));
    expect(verifyWebhook(CRM, crm)).toMatchObject({ type: "stage.changed", version: 1, data: { contactId, to: "customer" } });
    expect(Math.abs(Number(crm.headers["webhook-timestamp"]) - now() / 1000)).toBeLessThan(120);
    const wh = await delivered("warehouse", stageChange(contactId, "customer"));
    expect(wh.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    verifyWebhook(NEW, wh);
    verifyWebhook(OLD, wh);
    expect(() => verifyWebhook(DOWN, wh)).toThrow(/signature/);
    // One event, one webhook-id, whichever endpoint gets it.
    expect(wh.headers["webhook-id"]).toBe(crm.headers["webhook-id"]);
    const doc = (await api("GET", "/openapi.json")).body;
    expect(doc.webhooks["stage.changed"].post.requestBody.content["application/json"].schema).toBeTruthy();
    expect(Object.keys(doc.webhooks)).toHaveLength(13);
    expect((await api("GET", "/docs")).body).toContain("<code>conversion.attributed</code>");
    // Erasure is an event too.
    expect((await api("DELETE", `/v1/contacts/user:${user}`)).status).toBe(200);
    const erased = await delivered("warehouse", (r) => r.json?.type === "contact.erased" && r.json.data.contactId === contactId);
    verifyWebhook(OLD, erased);
  });

  it("tells consent changes with their provenance and replies with their intent", async () => {
    await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC_BASE });
    const to = phone();
    const contactId = await optedIn(unique("u"), to);
    const consent = await delivered("crm", (r) => r.json?.type === "consent.changed" && r.json.data.contactId === contactId && r.json.data.source === "form");
    expect(verifyWebhook(CRM, consent).data).toMatchObject({ purpose: "marketing", state: "granted", hasText: true });
    expect((await twilioReply(to, "yes please call me")).status).toBe(200);
    const reply = await delivered("crm", (r) => r.json?.type === "reply.received" && r.json.data.contactId === contactId);
    expect(verifyWebhook(CRM, reply).data).toMatchObject({ intent: "call_me" });
    expect((await twilioReply(to, "STOP")).status).toBe(200);
    // STOP revokes every purpose: one event each, with its provenance.
    const stop = await delivered("crm", (r) => r.json?.type === "consent.changed" && r.json.data.contactId === contactId && r.json.data.source === "keyword" && r.json.data.purpose === "marketing");
    expect(verifyWebhook(CRM, stop).data).toMatchObject({ state: "stopped", action: expect.any(String) });
  });

  it("gives a redelivered record the same webhook-id, so the receiver drops the repeat", async () => {
    const { contactId } = await staged("repeat_customer");
    const first = await delivered("crm", stageChange(contactId, "repeat_customer"));
    const logged = await rowFor("crm", contactId, "stage.changed");
    await vi.waitFor(async () => expect((await row(logged.id)).status).toBe("delivered"), { timeout: 10_000, interval: 50 });
    // The records queue delivers the same stage change again, twice.
    const sc = (await env.DB.prepare("SELECT * FROM stage_changes WHERE contact_id = ? AND to_stage = 'repeat_customer'").bind(contactId).first<any>())!;
    const record = { kind: "stage_change", id: sc.id, contactId, from: sc.from_stage, to: sc.to_stage, reason: sc.reason, at: sc.at, fromAt: sc.from_at };
    await env.RECORDS_QUEUE.send(record);
    await env.RECORDS_QUEUE.send(record);
    await flushRecords();
    const rows = await env.DB.prepare("SELECT * FROM webhook_deliveries WHERE endpoint = 'crm' AND webhook_id = ?").bind(first.headers["webhook-id"]).all();
    expect(rows.results).toHaveLength(1);
    // Delivered twice anyway (a replay, a queue job handed over twice): same webhook-id, a receiver keeps one.
    const id = (rows.results[0] as any).id;
    expect((await api("POST", `/v1/webhooks/deliveries/${id}/replay`)).status).toBe(202);
    await vi.waitFor(async () => expect((await row(id)).status).toBe("delivered"), { timeout: 10_000, interval: 50 });
    await nextAttempt(id); // a stale copy of the job: the row is delivered, nothing is sent
    const copies = (await hookCaptures(MOCK, path("crm"))).filter(stageChange(contactId, "repeat_customer"));
    expect(copies).toHaveLength(2);
    const seen = new Set<string>();
    for (const c of copies) {
      verifyWebhook(CRM, c);
      seen.add(c.headers["webhook-id"]!);
    }
    expect(seen.size).toBe(1);
  });
});

describe("a receiver that is down", () => {
  it("loses nothing while down for a day: retries continue and the delivery lands when it is back", async () => {
    await receiver("flaky", 503);
    const { contactId } = await staged("customer");
    const { id, created_at } = await rowFor("flaky", contactId, "stage.changed", true);
    while (now() - created_at < DAY) {
      await nextAttempt(id);
      const r = await row(id);
      expect(r).toMatchObject({ status: "pending", last_status: 503 });
      expect(r.last_answer).toContain("503");
      // The log shows the schedule: each wait is the one for the attempts so far.
      expect(r.next_at - r.updated_at).toBe(RETRY_DELAYS[r.attempts - 1]! * 1000);
    }
    await receiver("flaky", 200);
    await nextAttempt(id);
    expect(await row(id)).toMatchObject({ status: "delivered", last_status: 200 });
    expect((await row(id)).attempts).toBeGreaterThanOrEqual(7);
    const got = (await hookCaptures(MOCK, path("flaky"))).filter(stageChange(contactId, "customer"));
    for (const g of got) verifyWebhook(DOWN, g);
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(1);
  });

  it("dead-letters after three days of retries, logs it failed, and replays it with the same webhook-id", async () => {
    await receiver("flaky", 500);
    const { contactId } = await staged("dormant");
    const { id, created_at, webhook_id } = await rowFor("flaky", contactId, "stage.changed", true);
    for (let i = 0; i < MAX_ATTEMPTS + 2 && (await row(id)).status === "pending"; i++) await nextAttempt(id);
    const dead = await row(id);
    expect(dead).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, last_status: 500 });
    expect(dead.updated_at - created_at).toBeGreaterThanOrEqual(3 * DAY);
    const listed = (await api("GET", "/v1/webhooks/deliveries?status=failed&endpoint=flaky")).body.deliveries;
    expect(listed.find((d: any) => d.id === id)).toMatchObject({ webhookId: webhook_id, attempts: MAX_ATTEMPTS, lastStatus: 500, type: "stage.changed" });
    await receiver("flaky", 200);
    expect((await api("POST", `/v1/webhooks/deliveries/${id}/replay`)).status).toBe(202);
    await vi.waitFor(async () => expect((await row(id)).status).toBe("delivered"), { timeout: 10_000, interval: 50 });
    const landed = (await hookCaptures(MOCK, path("flaky"))).filter((r) => r.headers["webhook-id"] === webhook_id && r.json?.data?.to === "dormant");
    expect(landed.length).toBeGreaterThanOrEqual(MAX_ATTEMPTS + 1);
    for (const l of landed) verifyWebhook(DOWN, l);
  });
});

describe("the delivery log", () => {
  it("lists, refuses a bad id by field, and prunes delivered rows after 7 days, a bounded number at a time", async () => {
    const page = (await api("GET", "/v1/webhooks/deliveries?type=stage.changed&limit=2")).body;
    expect(page.deliveries).toHaveLength(2);
    expect(page.deliveries[0].payload).toMatchObject({ type: "stage.changed", version: 1 });
    expect((await api("GET", `/v1/webhooks/deliveries?cursor=${page.next}`)).status).toBe(200);
    expect((await api("POST", "/v1/webhooks/deliveries/whd_0123456789abcdef0123456789abcdef/replay")).status).toBe(404);
    expect((await api("POST", "/v1/webhooks/deliveries/nope/replay")).body.errors[0].field).toBe("param.id");
    const count = async (status: string) => (await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE status = ?").bind(status).first<{ n: number }>())!.n;
    const span = (await env.DB.prepare("SELECT min(updated_at) AS oldest, max(updated_at) AS newest, count(*) AS n FROM webhook_deliveries WHERE status = 'delivered'").first<any>())!;
    expect(await pruneWebhookDeliveries(env.DB, span.oldest + 7 * DAY)).toBe(0);
    expect(await pruneWebhookDeliveries(env.DB, span.newest + 7 * DAY + 1, 1)).toBe(1);
    expect(await pruneWebhookDeliveries(env.DB, span.newest + 7 * DAY + 1)).toBe(span.n - 1);
    expect(await count("delivered")).toBe(0);
  });

  it("derives each event from its record, keyed by the record (pure)", () => {
    const msg = { kind: "message", id: "m_1", rev: 4, contactId: "c_1", status: "delivered", sentAt: 1_000, deliveredAt: 2_000, updatedAt: 2_000 } as unknown as RecordMessage;
    const task = (state: string, extra: object = {}) => ({ kind: "task", id: "t_1", contactId: "c_1", owner: "dana", state, createdAt: 1, breachedAt: null, doneAt: null, slaDueAt: 5, ...extra }) as unknown as RecordMessage;
    const preview = { kind: "click", id: "k_1", click: "preview", contactId: "c_1", at: 1 } as unknown as RecordMessage;
    const keys = eventsOfRecords([msg, preview, task("open"), task("acknowledged"), task("breached", { breachedAt: 9 }), task("done", { doneAt: 10 })]).map((e) => e.key);
    expect(keys).toEqual(["message.sent:m_1", "message.delivered:m_1", "task.created:t_1", "task.breached:t_1", "task.done:t_1"]);
  });
});
