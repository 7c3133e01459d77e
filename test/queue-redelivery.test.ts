// Queues deliver at least once. A redelivered send never texts twice; a lost gateway answer is
// reconciled before any retry; a redelivered records batch writes nothing twice.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advanceClock, now } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import worker from "../src/index";
import { writeRecords } from "../src/records/consumer";
import type { RecordMessage } from "../src/records/types";
import { MIN, advance, api, contactStub, flushRecords, inbox, phone, settleSends, settledMessage, unique } from "./helpers";

async function oneOff(to: string) {
  await api("PUT", "/v1/templates/code", { body: "Your code is {{properties.code}}", job: "transactional", purpose: "transactional", properties: ["code"] });
  const r = await api("POST", "/v1/messages", { to, template: "code", properties: { code: "4821" } });
  expect(r.status).toBe(202);
  await settleSends(`phone:${to}`);
  return r.body as { messageId: string; contactId: string };
}

/** Deliver a job to the send queue's dead-letter consumer, as the queue does after the last retry. */
async function deadLetter(body: { contactId: string; messageId: string }) {
  const batch = createMessageBatch("tidings-send-dlq", [{ id: unique("dl"), timestamp: new Date(), attempts: 6, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
}

async function deliver(body: { contactId: string; messageId: string }, attempts = 1) {
  const batch = createMessageBatch("tidings-send", [{ id: unique("q"), timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("send queue", () => {
  it("acks a redelivered message without sending it again", async () => {
    const to = phone();
    const { messageId, contactId } = await oneOff(to);
    const result = await deliver({ contactId, messageId }, 2);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await inbox(to)).toEqual(["Your code is 4821"]);
  });

  it("retries later while another delivery is mid-send, then reconciles instead of resending", async () => {
    const to = phone();
    const { messageId, contactId } = await oneOff(to);
    const { stub } = await contactStub(contactId);
    // Simulate a consumer that reached the gateway and died before recording the answer.
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'dispatching', updated_at = ? WHERE id = ?", now(), messageId);
    });
    const soon = await deliver({ contactId, messageId });
    expect(soon.retryMessages).toHaveLength(1);
    advanceClock(2 * MIN);
    const later = await deliver({ contactId, messageId });
    expect(later.explicitAcks).toHaveLength(1);
    expect(await inbox(to)).toEqual(["Your code is 4821"]);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${contactId}`)).body.messages[0];
    expect(m.status).toBe("delivered");
  });

  it("sends once when the lost attempt never reached the gateway", async () => {
    const to = phone();
    const { messageId, contactId } = await oneOff(to);
    const { stub } = await contactStub(contactId);
    await env.DB.prepare("DELETE FROM sandbox_messages WHERE id = ?").bind(messageId).run();
    // A lost attempt never settled, so the message still holds the properties it renders from (a settled one drops them).
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec(`UPDATE messages SET status = 'dispatching', updated_at = 0, properties = '{"code":"4821"}' WHERE id = ?`, messageId);
    });
    const reconcile = await deliver({ contactId, messageId });
    expect(reconcile.retryMessages).toHaveLength(1); // not found at the gateway: queued again
    await deliver({ contactId, messageId });
    await deliver({ contactId, messageId });
    expect(await inbox(to)).toEqual(["Your code is 4821"]);
  });

  it("marks a dead-lettered message failed, but never overwrites a final status", async () => {
    const to = phone();
    const { messageId, contactId } = await oneOff(to);
    await deadLetter({ contactId, messageId });
    await flushRecords();
    expect((await api("GET", `/v1/messages?contact=${contactId}`)).body.messages[0].status).toBe("delivered");

    // A message the queue gave up on while it was still queued ends as failed, with the reason.
    const { stub } = await contactStub(contactId);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", messageId);
    });
    await deadLetter({ contactId, messageId });
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${contactId}`)).body.messages[0];
    expect([m.status, m.errorCode]).toEqual(["failed", "dead_letter"]);
  });

  it("never fails a dead-lettered message that may have reached the gateway: it is reconciled, found and recorded sent", async () => {
    const to = phone();
    const { messageId, contactId } = await oneOff(to);
    const { stub } = await contactStub(contactId);
    // The attempt reached the gateway (the sandbox holds it) and every delivery since died before recording it.
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'dispatching', provider_id = NULL, updated_at = ? WHERE id = ?", now(), messageId);
    });
    await deadLetter({ contactId, messageId });
    await flushRecords();
    const inDoubt = (await api("GET", `/v1/messages?contact=${contactId}`)).body.messages[0];
    expect([inDoubt.status, inDoubt.errorCode]).toEqual(["dispatch_unknown", "dead_letter"]);
    // Something will move it: a timer sends it back through the consumer to be reconciled.
    const timers = (await api("GET", `/v1/contacts/${contactId}`)).body.timers;
    expect(timers.map((t: { kind: string }) => t.kind)).toEqual(["reconcile"]);
    // The same dead letter delivered twice changes nothing more.
    await deadLetter({ contactId, messageId });
    await advance(contactId, 10 * MIN);
    await settledMessage({ contactId, messageId }, "delivered");
    expect(await inbox(to)).toEqual(["Your code is 4821"]); // found, not sent again
    expect((await api("GET", `/v1/contacts/${contactId}`)).body.timers).toEqual([]);
  });
});

describe("records queue", () => {
  it("writes a redelivered batch once and never lets an older revision win", async () => {
    const contactId = `c_${"r".repeat(20)}`;
    const batch: RecordMessage[] = [
      { kind: "decision", id: "d_redeliver", contactId, outcome: "skipped", reason: "expired", at: 1 },
      { kind: "stage_change", id: "s_redeliver", contactId, from: "subscriber", to: "customer", reason: "api", at: 2 },
      { kind: "contact", contactId, rev: 2, stage: "customer", phone: null, timezone: null, traits: {}, consent: {}, flags: [], suppressed: false, createdAt: 1, updatedAt: 2 },
      { kind: "conversion", id: "r_x:goal", contactId, runId: "r_x", flowKey: "f", event: "Order Completed", revenue: 10, currency: "USD", at: 3 },
    ];
    await writeRecords(env, batch);
    await writeRecords(env, batch);
    await writeRecords(env, [{ kind: "contact", contactId, rev: 1, stage: "subscriber", phone: null, timezone: null, traits: {}, consent: {}, flags: [], suppressed: false, createdAt: 1, updatedAt: 1 }]);
    const count = async (table: string, col: string, id: string) =>
      (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${col} = ?`).bind(id).first<{ n: number }>())!.n;
    expect(await count("decisions", "id", "d_redeliver")).toBe(1);
    expect(await count("stage_changes", "id", "s_redeliver")).toBe(1);
    expect(await count("conversions", "id", "r_x:goal")).toBe(1);
    const row = await env.DB.prepare("SELECT stage, rev FROM contacts WHERE id = ?").bind(contactId).first();
    expect(row).toEqual({ stage: "customer", rev: 2 });
  });

  it("acks the batch through the queue handler", async () => {
    const batch = createMessageBatch("tidings-records", [
      { id: "rec-1", timestamp: new Date(), attempts: 1, body: { kind: "ping", id: "handler-ping" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
  });
});
