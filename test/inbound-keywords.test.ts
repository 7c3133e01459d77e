// Replies: STOP ends everything at once with one confirmation, START restores exactly what it
// revoked, HELP answers at most daily, YES confirms, revocations in other words count.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceClock } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import { classifyReply } from "../src/conversation/keywords";
import worker from "../src/index";
import { DAY, PUBLIC_BASE, api, contactStub, inbox, optedIn, phone, settleSends, twilioReply, unique } from "./helpers";

const STOP_REPLY = "Acme: you are unsubscribed and will get no more messages. Reply START to resubscribe.";

beforeAll(async () => {
  await api("PUT", "/v1/settings/brand", { name: "Acme", support: "help@acme.example" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC_BASE });
  await api("PUT", "/v1/settings/consent", { topics: ["appointment_reminders"], doubleOptIn: ["appointment_reminders"], confirmOptIn: [] });
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/promo", { body: "New arrivals. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
});

const view = async (to: string) => (await api("GET", `/v1/contacts/phone:${encodeURIComponent(to)}`)).body;

describe("keywords", () => {
  it("reads the whole message, any case, ignoring surrounding spaces, punctuation and accents", () => {
    for (const w of ["STOP", "stop", " Stop. ", "STOP!!", "sToP", "stopall", "Unsubscribe", "cancel", "END", "quit", "revoke", "OptOut", "ARRET", "Arrêt", "arrete!"]) {
      expect([w, classifyReply(w, { stop: ["ARRET", "ARRETE"] })]).toEqual([w, "stop"]);
    }
    for (const w of ["START", "unstop", "Start!"]) expect(classifyReply(w)).toBe("start");
    for (const w of ["HELP", "info?", " Help "]) expect(classifyReply(w)).toBe("help");
    expect(classifyReply("Yes!")).toBe("yes");
    for (const w of ["STOP PLEASE", "stop it now please?", "stopp", "unstoppable"]) expect(classifyReply(w)).not.toBe("stop");
  });

  it("counts revocations in other words, and not sentences that merely contain 'stop'", () => {
    const positives = [
      "please stop texting me", "Stop messaging me!", "remove me from this list", "Remove me", "unsubscribe me please",
      "I want to opt out", "don't text me anymore", "Do not contact me", "no more texts", "leave me alone", "I revoke my consent",
    ];
    const negatives = [
      "don't stop, this is great", "stop by at 5?", "Is the shop open? Stop me if not", "Can I stop by tomorrow?",
      "Never stop sending me deals!", "What time do you open?", "yes call me", "I can't stop smiling",
    ];
    expect(positives.filter((p) => classifyReply(p) !== "revocation")).toEqual([]);
    expect(negatives.filter((n) => classifyReply(n) === "revocation")).toEqual([]);
  });
});

describe("STOP", () => {
  it("stops every purpose at once and confirms exactly once, even when the webhook repeats", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    const first = await twilioReply(to, "Stop.");
    expect([first.status, first.type, first.message]).toEqual([200, "text/xml", STOP_REPLY]);
    const again = await twilioReply(to, "Stop.", { sid: first.sid }); // Twilio retried the same webhook
    expect(again.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    expect((await twilioReply(to, "STOP")).message).toBeUndefined(); // already stopped: no second confirmation
    const v = await view(to);
    expect(v.consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });
    expect(v.consentHistory.filter((h: any) => h.action === "revoke").every((h: any) => h.source === "keyword" && h.stop)).toBe(true);
    expect((await api("POST", "/v1/messages", { to, template: "promo" })).body.decision.reason).toBe("stopped");
  });

  it("sends no confirmation when Twilio already answered (OptOutType)", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    const r = await twilioReply(to, "STOP", { params: { OptOutType: "STOP" } });
    expect(r.message).toBeUndefined();
    expect((await view(to)).consent.marketing).toBe("stopped");
  });

  it("wins over a marketing message already in the queue", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    const sent = await api("POST", "/v1/messages", { to, template: "promo" });
    await settleSends(`phone:${to}`);
    // As if the queue were slow: the message is still waiting for the gateway when STOP arrives.
    await env.DB.prepare("DELETE FROM sandbox_messages WHERE id = ?").bind(sent.body.messageId).run();
    const { stub } = await contactStub(sent.body.contactId);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", sent.body.messageId);
    });
    await twilioReply(to, "stop");
    const batch = createMessageBatch("tidings-send", [{ id: "q", timestamp: new Date(), attempts: 1, body: { contactId: sent.body.contactId, messageId: sent.body.messageId } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    await getQueueResult(batch, ctx);
    expect(await inbox(to)).toEqual([]);
  });

  it("honours 'please stop texting me' and flags it for review", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    expect((await twilioReply(to, "please stop texting me")).message).toBe(STOP_REPLY);
    const v = await view(to);
    expect(v.consent.marketing).toBe("stopped");
    expect(v.flags.map((f: any) => f.name)).toContain("revocation_review");
    expect(v.consentHistory.at(-1).source).toBe("keyword:reasonable_means");
  });
});

describe("START, HELP, YES", () => {
  it("START restores exactly what STOP revoked", async () => {
    const to = phone();
    await optedIn(unique("u"), to); // marketing granted, transactional implied, appointment_reminders never given
    await twilioReply(to, "STOP");
    const r = await twilioReply(to, "start");
    expect(r.message).toBe("Acme: you are subscribed again. Reply STOP to opt out, HELP for help.");
    expect((await view(to)).consent).toEqual({ marketing: "granted", transactional: "implied", appointment_reminders: "none" });
    expect((await api("POST", "/v1/messages", { to, template: "promo" })).body.decision.outcome).toBe("sent");
  });

  it("answers HELP with the brand and support contact, at most once a day", async () => {
    const to = phone();
    const help = "Acme: for help contact help@acme.example. Msg & data rates may apply. Reply STOP to opt out.";
    expect((await twilioReply(to, "HELP")).message).toBe(help);
    expect((await twilioReply(to, "info")).message).toBeUndefined();
    advanceClock(DAY);
    expect((await twilioReply(to, "Help")).message).toBe(help);
    expect((await twilioReply(phone(), "HELP", { params: { OptOutType: "HELP" } })).message).toBeUndefined();
  });

  it("YES confirms a pending double opt-in, acts as START when stopped, else is an ordinary reply", async () => {
    const to = phone();
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
    await api("POST", `/v1/contacts/user:${user}/consent`, { purpose: "appointment_reminders", action: "grant", source: "form" });
    expect((await view(to)).consent.appointment_reminders).toBe("pending");
    await twilioReply(to, "yes");
    expect((await view(to)).consent.appointment_reminders).toBe("granted");
    await twilioReply(to, "STOP");
    expect((await twilioReply(to, "YES")).message).toMatch(/subscribed again/);
    expect((await view(to)).consent.appointment_reminders).toBe("granted");
    await twilioReply(to, "yes");
    const last = (await view(to)).recentEvents[0];
    expect([last.event, last.properties.keyword]).toEqual(["SMS Received", "message"]);
  });
});

describe("inbound", () => {
  it("creates a contact for an unknown number and lets flows wait for replies", async () => {
    await api("PUT", "/v1/templates/ask", { body: "Want a call? Reply YES.", job: "conversion", purpose: "transactional" });
    await api("PUT", "/v1/templates/thanks", { body: "Thanks, we will call you.", job: "conversion", purpose: "transactional" });
    await api("PUT", "/v1/flows/ask-call", {
      name: "Ask", status: "active", job: "conversion", trigger: { event: "Demo Requested" },
      steps: [{ send: { template: "ask" } }, { wait_for: { event: "SMS Received", timeout: "P1D" }, on_event: [{ send: { template: "thanks" } }] }],
    });
    const stranger = phone();
    await twilioReply(stranger, "Hi, who is this?");
    expect((await view(stranger)).phone).toBe(stranger);

    const to = phone();
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
    await api("POST", "/v1/track", { userId: user, event: "Demo Requested" });
    await twilioReply(to, "sure, call me");
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["Want a call? Reply YES.", "Thanks, we will call you."]);
  });

  it("refuses a request without a valid signature", async () => {
    const res = await exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "AAAA" },
      body: new URLSearchParams({ From: phone(), Body: "STOP", MessageSid: "SM1" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("SMSAPI replies", () => {
  /** A reply as SMSAPI posts it (parameter names as the reference lists them, unverified). */
  const smsapi = (params: Record<string, string>, secret = "test_smsapi_callback_secret") =>
    exports.default.fetch(`http://internal.test/webhooks/smsapi/inbound?secret=${secret}`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params),
    });

  it("stops the contact and sends the one confirmation itself (SMSAPI does not answer STOP)", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    const params = { sms_from: to.slice(1), sms_to: "48500100200", sms_text: "stop", sms_date: "1764000000", MsgId: `smsapi-${unique("m")}`, username: "acme" };
    const res = await smsapi(params);
    expect([res.status, await res.text()]).toEqual([200, "OK"]);
    expect((await smsapi(params)).status).toBe(200); // the same callback again
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual([STOP_REPLY]);
    expect((await view(to)).consent.marketing).toBe("stopped");
  });

  it("refuses a wrong secret and names missing fields", async () => {
    expect((await smsapi({ sms_from: "48500100200", sms_text: "hi", MsgId: "1" }, "nope")).status).toBe(403);
    const r = await smsapi({ sms_text: "hi" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).errors.map((e: any) => e.field)).toEqual(["sms_from", "MsgId"]);
  });
});
