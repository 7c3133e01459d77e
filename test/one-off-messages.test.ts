// POST /v1/messages: the gate decides, the same Idempotency-Key returns the first answer, a
// message not sent by its expiry is skipped, and stored segments equal segmentInfo(body).
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import { segmentInfo } from "../src/templates/segments";
import { advanceClock } from "../src/clock";
import { HOUR, api, contactStub, flushRecords, inbox, phone, settleSends, unique } from "./helpers";

beforeAll(async () => {
  await api("PUT", "/v1/templates/receipt", {
    body: "Order {{properties.order_id}} is confirmed — thanks, {{firstName | default: \"friend\"}}!",
    job: "transactional", purpose: "transactional", properties: ["order_id"],
  });
  await api("PUT", "/v1/templates/old-offer", { body: "Old offer", job: "retention", purpose: "marketing", status: "retired" });
});

describe("one-off sends", () => {
  it("sends to a phone, creating its contact, and stores the segments of the exact body", async () => {
    const to = phone();
    const r = await api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: "A-7" } });
    expect(r.status).toBe(202);
    expect(r.body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Order A-7 is confirmed — thanks, friend!"]);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=phone:${to}`)).body.messages[0];
    // The em dash makes this UCS-2: the stored count is the count of what was sent.
    expect({ encoding: m.encoding, segments: m.segments }).toEqual({ encoding: segmentInfo(m.body).encoding, segments: segmentInfo(m.body).segments });
    expect(m.encoding).toBe("UCS-2");
    expect(m).toMatchObject({ status: "delivered", templateKey: "receipt", templateVersion: 1, purpose: "transactional", job: "transactional", gateway: "sandbox" });
  });

  it("returns the first answer for a repeated Idempotency-Key and refuses a different body under it", async () => {
    const to = phone();
    const key = unique("idem");
    const body = { to, template: "receipt", properties: { order_id: "B-1" } };
    const first = await api("POST", "/v1/messages", body, { headers: { "idempotency-key": key } });
    const again = await api("POST", "/v1/messages", body, { headers: { "idempotency-key": key } });
    expect(again.body.messageId).toBe(first.body.messageId);
    expect(again.body.replayed).toBe(true);
    const other = await api("POST", "/v1/messages", { ...body, properties: { order_id: "B-2" } }, { headers: { "idempotency-key": key } });
    expect([other.status, other.type]).toEqual([422, "application/problem+json"]);
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Order B-1 is confirmed — thanks, friend!"]);
  });

  it("keeps Idempotency-Keys across contacts: the same key with another `to` is a 422 naming the key, and sends nothing", async () => {
    const [a, b] = [phone(), phone()];
    const key = unique("idem");
    const first = await api("POST", "/v1/messages", { to: a, template: "receipt", properties: { order_id: "E-1" } }, { headers: { "idempotency-key": key } });
    expect(first.status).toBe(202);
    const other = await api("POST", "/v1/messages", { to: b, template: "receipt", properties: { order_id: "E-1" } }, { headers: { "idempotency-key": key } });
    expect([other.status, other.type]).toEqual([422, "application/problem+json"]);
    expect(other.body.errors).toEqual([{ field: "idempotency-key", message: expect.stringContaining("different request") }]);
    await settleSends(`phone:${a}`);
    expect(await inbox(a)).toEqual(["Order E-1 is confirmed — thanks, friend!"]);
    expect(await inbox(b)).toEqual([]);
    expect((await api("GET", `/v1/contacts/phone:${b}`)).status).toBe(404); // no contact made for it either
  });

  it("answers the same request under one key once, even written another way or sent twice at once", async () => {
    const to = phone();
    const key = unique("idem");
    const spaced = `${to.slice(0, 2)} ${to.slice(2, 5)} ${to.slice(5)}`;
    const [x, y] = await Promise.all([
      api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: "F-1" } }, { headers: { "idempotency-key": key } }),
      api("POST", "/v1/messages", { properties: { order_id: "F-1" }, template: "receipt", to: spaced }, { headers: { "idempotency-key": key } }),
    ]);
    expect([x.status, y.status]).toEqual([202, 202]);
    expect(y.body.messageId).toBe(x.body.messageId);
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Order F-1 is confirmed — thanks, friend!"]);
  });

  it("forgets a key after 24 hours: it may then name a new message", async () => {
    const to = phone();
    const key = unique("idem");
    const send = (order: string) => api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: order } }, { headers: { "idempotency-key": key } });
    const first = await send("G-1");
    advanceClock(23 * HOUR);
    expect((await send("G-2")).status).toBe(422); // still remembered
    advanceClock(2 * HOUR);
    const later = await send("G-2");
    expect(later.status).toBe(202);
    expect(later.body.messageId).not.toBe(first.body.messageId);
    expect(later.body.replayed).toBe(false);
  });

  it("refuses a malformed Idempotency-Key, naming the header, before anything is stored", async () => {
    const to = phone();
    const r = await api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: "H" } }, { headers: { "idempotency-key": "k".repeat(201) } });
    expect([r.status, r.type]).toEqual([400, "application/problem+json"]);
    expect(r.body.errors[0].field).toContain("idempotency-key");
    expect((await api("GET", `/v1/contacts/phone:${to}`)).status).toBe(404);
  });

  it("skips a retired template with its reason", async () => {
    const to = phone();
    const r = await api("POST", "/v1/messages", { to, template: "old-offer" });
    expect(r.body.decision).toEqual({ outcome: "skipped", reason: "template_retired" });
    expect(r.body.status).toBe("skipped");
  });

  it("skips a message whose expiry passed before the gateway was called", async () => {
    const user = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
    const { stub } = await contactStub(`user:${user}`);
    // Hold the message as if the queue were slow, then let its expiry pass.
    const r = await api("POST", "/v1/messages", { contact: `user:${user}`, template: "receipt", properties: { order_id: "C" }, expires_in: "PT1H" });
    await settleSends(`user:${user}`);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", r.body.messageId);
    });
    advanceClock(2 * HOUR);
    const prepared = await stub.prepareSend(r.body.messageId);
    expect(prepared).toEqual({ action: "drop", status: "skipped", reason: "expired" });
  });

  it("reports a gateway failure as the message's status", async () => {
    const to = phone();
    await api("PUT", "/v1/settings/gateway", { sandbox: { fail: [to] } });
    await api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: "D" } });
    await settleSends(`phone:${to}`);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=phone:${to}`)).body.messages[0];
    expect([m.status, m.errorCode]).toEqual(["failed", "sandbox_fail"]);
    const events = (await api("GET", `/v1/contacts/phone:${to}`)).body.recentEvents.map((e: any) => e.event);
    expect(events).toContain("Message Failed");
  });
});

describe("draft templates", () => {
  it("refuses a one-off send of a draft template, before anything is stored", async () => {
    await api("PUT", "/v1/templates/spring-sale", { body: "Spring news.", job: "service", purpose: "transactional", status: "draft" });
    const to = phone();
    const r = await api("POST", "/v1/messages", { to, template: "spring-sale" });
    expect([r.status, r.type, r.body.errors[0].field]).toEqual([409, "application/problem+json", "template"]);
    expect(await inbox(to)).toEqual([]);
    expect((await api("GET", `/v1/contacts/phone:${encodeURIComponent(to)}`)).status).toBe(404);
  });
});
