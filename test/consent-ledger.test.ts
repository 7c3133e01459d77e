// Nobody is texted without the consent the message's purpose needs; every change keeps provenance;
// double opt-in waits for a confirmation; a revocation that arrives while a message waits wins.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import worker from "../src/index";
import { api, contactStub, flushRecords, inbox, phone, settleSends, unique } from "./helpers";

beforeAll(async () => {
  await api("PUT", "/v1/settings/brand", { name: "Juniper & Co" });
  await api("PUT", "/v1/settings/consent", {
    topics: ["appointment_reminders"],
    doubleOptIn: ["appointment_reminders"],
    confirmOptIn: ["marketing"],
    program: { description: "weekly offers", frequency: "up to 4 msgs/month" },
  });
  await api("PUT", "/v1/templates/offer", { body: "20% off today. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/reminder", { body: "See you tomorrow at 10.", job: "service", purpose: "appointment_reminders" });
  await api("PUT", "/v1/templates/receipt", { body: "Order confirmed.", job: "transactional", purpose: "transactional" });
});

async function contact() {
  const user = unique("u");
  const to = phone();
  await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
  return { user, to, ref: `user:${user}` };
}
const send = (ref: string, template: string) => api("POST", "/v1/messages", { contact: ref, template });

describe("consent by purpose", () => {
  it("skips marketing without a grant, sends transactional (implied), and explains both", async () => {
    const c = await contact();
    expect((await send(c.ref, "offer")).body.decision).toEqual({ outcome: "skipped", reason: "no_consent:marketing" });
    expect((await send(c.ref, "receipt")).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(c.ref);
    expect(await inbox(c.to)).toEqual(["Order confirmed."]);
  });

  it("keeps provenance for every grant and revocation, and never rewrites history", async () => {
    const c = await contact();
    const grant = await api("POST", `/v1/contacts/${c.ref}/consent`, {
      purpose: "marketing", action: "grant", source: "form", text: "Yes, text me weekly offers.",
      at: "2026-11-01T10:00:00Z", proof: { ip: "203.0.113.7", url: "https://shop.example/join" },
    });
    expect(grant.body.state).toBe("granted");
    await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "revoke", source: "api" });
    // Re-consent after a revocation needs the person's own act: the text and the page (or IP).
    await api("POST", "/v1/track", { userId: c.user, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Join", url: "https://shop.example/join" } });
    const view = (await api("GET", `/v1/contacts/${c.ref}`)).body;
    expect(view.consent).toEqual({ marketing: "granted" });
    expect(view.consentHistory.map((h: any) => [h.action, h.state, h.source])).toEqual([
      ["grant", "granted", "form"],
      ["revoke", "revoked", "api"],
      ["grant", "granted", "form"],
    ]);
    expect(view.consentHistory[0]).toMatchObject({
      text: "Yes, text me weekly offers.", at: "2026-11-01T10:00:00.000Z", phone: c.to, proof: { ip: "203.0.113.7", url: "https://shop.example/join" },
    });
  });

  it("sends one opt-in confirmation when marketing becomes active, with the carriers' required parts", async () => {
    const c = await contact();
    for (let i = 0; i < 3; i++) await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "grant", source: "form" });
    await settleSends(c.ref);
    expect(await inbox(c.to)).toEqual([
      "Juniper & Co: you're subscribed to weekly offers (up to 4 msgs/month). Msg & data rates may apply. Reply STOP to opt out, HELP for help.",
    ]);
  });

  it("ties consent to the number it was given for", async () => {
    const c = await contact();
    await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "grant", source: "form" });
    const other = phone();
    await api("POST", "/v1/identify", { userId: c.user, traits: { phone: other } });
    expect((await send(c.ref, "offer")).body.decision.reason).toBe("no_consent:marketing");
  });

  it("refuses an unknown purpose, a bad source and a missing action, naming the field", async () => {
    const c = await contact();
    const r = await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "newsletter", action: "grant" });
    expect([r.status, r.body.errors[0].field]).toEqual([400, "purpose"]);
    const r2 = await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "grant", source: "fax" });
    expect(r2.body.errors[0].field).toBe("source");
    const r3 = await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing" });
    expect(r3.body.errors[0].field).toBe("action");
    expect((await api("POST", "/v1/contacts/user:nobody-here/consent", { purpose: "marketing", action: "grant" })).status).toBe(404);
  });
});

describe("what each message relied on", () => {
  it("records the consent entry a sent message relied on, and implied consent for transactional", async () => {
    const c = await contact();
    await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "grant", source: "form", text: "Weekly offers please", at: "2026-11-02T08:00:00Z" });
    const offer = await send(c.ref, "offer");
    const receipt = await send(c.ref, "receipt");
    await settleSends(c.ref);
    await flushRecords();
    const msgs = (await api("GET", `/v1/messages?contact=${c.ref}`)).body.messages;
    const byId = (id: string) => msgs.find((m: any) => m.id === id);
    expect(byId(offer.body.messageId).consent).toEqual({ purpose: "marketing", state: "granted", source: "form", at: "2026-11-02T08:00:00.000Z", text: "Weekly offers please" });
    expect(byId(receipt.body.messageId).consent).toEqual({ purpose: "transactional", state: "implied" });
    const timeline = (await api("GET", `/v1/contacts/${c.ref}/timeline`)).body.items;
    expect(timeline.find((i: any) => i.id === offer.body.messageId).consent.source).toBe("form");
  });
});

describe("double opt-in", () => {
  it("keeps the grant pending, asks once, and sends only after confirmation", async () => {
    const c = await contact();
    const g = await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "appointment_reminders", action: "grant", source: "form", text: "Remind me" });
    expect(g.body.state).toBe("pending");
    expect((await send(c.ref, "reminder")).body.decision).toEqual({ outcome: "skipped", reason: "pending_consent:appointment_reminders" });
    await settleSends(c.ref);
    expect(await inbox(c.to)).toEqual([
      "Juniper & Co: reply YES to confirm you want weekly offers (up to 4 msgs/month). Msg & data rates may apply. Reply STOP to opt out, HELP for help.",
    ]);
    const confirmed = await api("POST", `/v1/contacts/${c.ref}/consent/confirm`, { purpose: "appointment_reminders" });
    expect(confirmed.body.state).toBe("granted");
    expect((await send(c.ref, "reminder")).body.decision.outcome).toBe("sent");
    await settleSends(c.ref);
    expect(await inbox(c.to)).toHaveLength(2);
    // Nothing pending any more: confirming again is harmless, confirming a purpose never granted is a 409.
    expect((await api("POST", `/v1/contacts/${c.ref}/consent/confirm`, { purpose: "appointment_reminders" })).status).toBe(200);
    expect((await api("POST", `/v1/contacts/${c.ref}/consent/confirm`, { purpose: "marketing" })).status).toBe(409);
  });
});

describe("re-check at send time", () => {
  it("does not send a queued marketing message after the person revoked", async () => {
    const c = await contact();
    await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "grant", source: "form" });
    await settleSends(c.ref); // the opt-in confirmation
    const r = await send(c.ref, "offer");
    expect(r.body.decision.outcome).toBe("sent");
    await settleSends(c.ref);
    const { stub } = await contactStub(c.ref);
    // Put the message back where it was between enqueue and the gateway call, as if the queue were slow.
    await env.DB.prepare("DELETE FROM sandbox_messages WHERE id = ?").bind(r.body.messageId).run();
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", r.body.messageId);
    });
    await api("POST", "/v1/track", { userId: c.user, event: "Unsubscribed", properties: { purpose: "marketing" } });
    const batch = createMessageBatch("tidings-send", [{ id: "q1", timestamp: new Date(), attempts: 1, body: { contactId: r.body.contactId, messageId: r.body.messageId } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    await getQueueResult(batch, ctx);
    expect((await inbox(c.to)).filter((b) => b.startsWith("20%"))).toEqual([]);
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${c.ref}`)).body.messages.find((x: any) => x.id === r.body.messageId);
    expect([m.status, m.reason]).toEqual(["skipped", "no_consent:marketing"]);
  });
});
