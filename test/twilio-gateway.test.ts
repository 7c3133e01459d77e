// Twilio, called exactly as the real API expects: requests go to Prism serving the official OpenAPI
// (through a recording front, test/mocks/provider-mock.mjs); failures Prism cannot give are
// programmed. Receipts and replies are signed like Twilio signs them: over the URL as written (its
// default port and an apostrophe included), written out here apart from src/ (the plain-Node
// cross-check, scripts/check-twilio-signature.mjs, compares src/ with Twilio's own library).
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import { twilioSignature } from "../src/gateway/twilio-signature";
import type { ContactDO } from "../src/contacts/contact-do";
import worker from "../src/index";
import { api, contactStub, deliverSend, inbox, messageOf, optedIn, phone, settledMessage, unique, withoutOptInConfirmation } from "./helpers";

const MOCK = (env as unknown as { TWILIO_MOCK: string }).TWILIO_MOCK;
const SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const PUBLIC = "https://tidings.example";
const TOKEN = "test_twilio_auth_token";

/** X-Twilio-Signature as Twilio computes it: base64 HMAC-SHA1 of the URL as written, then each parameter name and value, sorted by name. */
async function signedByTwilio(url: string, params: Record<string, string>, token = TOKEN): Promise<string> {
  const data = Object.keys(params).sort().reduce((d, k) => d + k + params[k], url);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(token), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)))));
}

/**
 * A request as the runtime hands an incoming one to the Worker: workerd builds it from the request
 * target as sent, without re-parsing, while `new Request` here would re-encode `'` as `%27`.
 */
function asReceived(url: string, init: RequestInit): Request {
  const req = new Request(url, init);
  Object.defineProperty(req, "url", { value: url });
  return req;
}

const program = (...answers: unknown[]) => fetch(`${MOCK}/__program`, { method: "POST", body: JSON.stringify(answers) });
const captured = async (to: string) =>
  ((await (await fetch(`${MOCK}/__captured`)).json()) as any[]).filter((r) => r.form?.To === to || r.query?.To === to);
/** Requests that asked Twilio to send to `to`: what the network edge saw. */
const posts = async (to: string) => (await captured(to)).filter((r) => r.method === "POST");

const TWILIO = { use: "twilio", publicBaseUrl: PUBLIC, twilio: { from: "+14155550100", timeoutMs: 500 } };

beforeAll(async () => {
  await api("PUT", "/v1/settings/gateway", TWILIO);
  await api("PUT", "/v1/templates/notice", { body: "Your order has shipped.", job: "transactional", purpose: "transactional" });
  await api("PUT", "/v1/settings/caps", { rules: [] });
});
beforeEach(async () => {
  await fetch(`${MOCK}/__reset`, { method: "POST" });
});

/** A one-off send through Twilio; returns its ids. */
async function send(to = phone()) {
  const r = await api("POST", "/v1/messages", { to, template: "notice", expires_in: "PT2H" });
  expect(r.status).toBe(202);
  return { to, ...(r.body as { messageId: string; contactId: string }) };
}

describe("requests valid to the official spec", () => {
  it("sends To, From, Body, StatusCallback and ValidityPeriod, form-encoded with Basic auth", async () => {
    const s = await send();
    const m = await settledMessage(s, "sent");
    expect(m.providerId).toMatch(/^SM[0-9a-f]{32}$/); // Prism answered with the spec's example
    const [req] = await captured(s.to);
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(atob(req.headers.authorization.replace("Basic ", ""))).toBe(`${SID}:test_twilio_auth_token`);
    expect(req.form).toEqual({
      To: s.to,
      From: "+14155550100",
      Body: "Your order has shipped.",
      StatusCallback: `${PUBLIC}/webhooks/twilio/status?m=${s.messageId}&c=${s.contactId}`,
      ValidityPeriod: "7200", // expires_in PT2H
    });
  });

  it("is what Prism checks: a request the real API would reject is rejected", async () => {
    const res = await fetch(`${MOCK}/2010-04-01/Accounts/${SID}/Messages.json`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${SID}:x`)}` },
      body: new URLSearchParams({ Body: "no recipient" }),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain("required property 'To'");
  });
});

describe("failures", () => {
  for (const [name, answer] of [
    ["429", { status: 429, body: { code: 20429, message: "Too Many Requests", status: 429 } }],
    ["500", { status: 500, body: { message: "Internal error" } }],
  ] as const) {
    it(`retries a ${name} and sends once`, async () => {
      await program(answer);
      const s = await send();
      await vi.waitFor(async () => expect(await captured(s.to)).toHaveLength(1));
      await settledMessage(s, "queued"); // back in line, not failed
      await deliverSend(s);
      await settledMessage(s, "sent");
      expect((await captured(s.to)).filter((r) => r.method === "POST")).toHaveLength(2);
    });
  }

  it("stops the contact for every purpose on 21610, with the provider as provenance", async () => {
    await program({ status: 400, body: { code: 21610, message: "Attempt to send to unsubscribed recipient", status: 400 } });
    const s = await send();
    const m = await settledMessage(s, "failed");
    expect([m.errorCode, m.errorMessage]).toEqual(["21610", "Attempt to send to unsubscribed recipient"]);
    const view = (await api("GET", `/v1/contacts/${s.contactId}`)).body;
    expect(view.consent).toMatchObject({ transactional: "stopped", marketing: "stopped" });
    expect(view.consentHistory.every((h: any) => h.source === "provider:21610" && h.stop)).toBe(true);
    const again = await api("POST", "/v1/messages", { to: s.to, template: "notice" });
    expect(again.body.decision.reason).toBe("stopped");
  });

  it("marks the number undeliverable on 21211 and 21614", async () => {
    for (const code of [21211, 21614]) {
      await program({ status: 400, body: { code, message: "Invalid 'To' Phone Number", status: 400 } });
      const s = await send();
      await settledMessage(s, "failed");
      const again = await api("POST", "/v1/messages", { to: s.to, template: "notice" });
      expect(again.body.decision.reason).toBe("invalid_phone");
    }
  });

  it("fails other 4xx with Twilio's code and text, without retrying", async () => {
    await program({ status: 400, body: { code: 21408, message: "Permission to send an SMS has not been enabled for the region", status: 400 } });
    const s = await send();
    const m = await settledMessage(s, "failed");
    expect([m.errorCode, m.errorMessage]).toEqual(["21408", "Permission to send an SMS has not been enabled for the region"]);
    expect(await captured(s.to)).toHaveLength(1);
  });
});

describe("never a blind resend", () => {
  it("reconciles a timed-out attempt that reached Twilio, and does not send again", async () => {
    await program({ delayMs: 1500, status: 201, body: { sid: "SM11111111111111111111111111111111", status: "queued" } });
    const s = await send();
    await vi.waitFor(async () => expect(await captured(s.to)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 700)); // past the 500 ms timeout
    // A redelivery right away finds the attempt still in flight and waits.
    expect((await deliverSend(s)).retryMessages).toHaveLength(1);
    advanceClock(61_000);
    await program({ status: 200, body: { messages: [{ sid: "SM11111111111111111111111111111111", body: "Your order has shipped.", status: "sent", date_created: new Date(now()).toUTCString() }] } });
    expect((await deliverSend(s)).explicitAcks).toHaveLength(1);
    const m = await settledMessage(s, "sent");
    expect(m.providerId).toBe("SM11111111111111111111111111111111");
    const requests = await captured(s.to);
    expect(requests.map((r) => r.method)).toEqual(["POST", "GET"]);
  });

  it("sends again only after the lookup shows the attempt never arrived", async () => {
    await program({ delayMs: 1500, status: 201, body: { sid: "SM2", status: "queued" } });
    const s = await send();
    await vi.waitFor(async () => expect(await captured(s.to)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 700));
    advanceClock(61_000);
    await program({ status: 200, body: { messages: [] } });
    expect((await deliverSend(s)).retryMessages).toHaveLength(1); // not found: back in line
    await deliverSend(s);
    await settledMessage(s, "sent");
    expect((await captured(s.to)).map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
  });
});

describe("at most one gateway call per message", () => {
  /** A sent message put back in line, as a transient failure leaves it: `queued`, its job about to be delivered. */
  async function queuedAgain() {
    const s = await send();
    await settledMessage(s, "sent");
    const { stub } = await contactStub(s.contactId);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'queued', provider_id = NULL, sent_at = NULL WHERE id = ?", s.messageId);
    });
    return { ...s, before: (await posts(s.to)).length };
  }

  it("two deliveries of one send job at the same moment reach Twilio once", async () => {
    const s = await queuedAgain();
    // A template saved meanwhile makes preparing read the message's pinned version from D1: an await
    // between reading the status and marking the message dispatching, where the deliveries interleave.
    await api("PUT", "/v1/templates/notice", { body: "Your order has shipped.", job: "transactional", purpose: "transactional", tags: ["shipping"] });
    const results = await Promise.all([deliverSend(s), deliverSend(s)]);
    expect((await posts(s.to)).length - s.before).toBe(1);
    // The other delivery comes back later (the send is in flight), then finds it sent.
    expect(results.flatMap((r) => r.retryMessages)).toHaveLength(1);
    await settledMessage(s, "sent");
  });

  it("one send job delivered twice in a row reaches Twilio once", async () => {
    const s = await queuedAgain();
    await deliverSend(s);
    await deliverSend(s);
    expect((await posts(s.to)).length - s.before).toBe(1);
  });

  it("reconciles a lost attempt with the gateway that made it, not the one chosen now", async () => {
    await program({ delayMs: 1500, status: 201, body: { sid: "SM33333333333333333333333333333333", status: "queued" } });
    const s = await send();
    await vi.waitFor(async () => expect(await posts(s.to)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 700)); // past the 500 ms timeout: the answer is lost
    // The brand switches to the sandbox while the attempt is in doubt.
    await api("PUT", "/v1/settings/gateway", { ...TWILIO, use: "sandbox" });
    try {
      advanceClock(61_000);
      await program({ status: 200, body: { messages: [{ sid: "SM33333333333333333333333333333333", body: "Your order has shipped.", status: "sent", date_created: new Date(now()).toUTCString() }] } });
      await deliverSend(s);
      await deliverSend(s);
      const m = await settledMessage(s, "sent");
      expect([m.providerId, m.gateway]).toEqual(["SM33333333333333333333333333333333", "twilio"]);
      expect((await captured(s.to)).map((r) => r.method)).toEqual(["POST", "GET"]);
      expect(await inbox(s.to)).toEqual([]); // the sandbox was never asked to send it
    } finally {
      await api("PUT", "/v1/settings/gateway", TWILIO);
    }
  });
});

describe("delivery receipts", () => {
  async function receipt(s: { contactId: string; messageId: string }, params: Record<string, string>, opts: { sign?: string | null; url?: string } = {}) {
    const path = `/webhooks/twilio/status?m=${s.messageId}&c=${s.contactId}`;
    const signature = opts.sign === undefined ? await signedByTwilio(opts.url ?? `${PUBLIC}${path}`, params) : opts.sign;
    const res = await exports.default.fetch(`http://internal.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(signature === null ? {} : { "x-twilio-signature": signature }) },
      body: new URLSearchParams(params),
    });
    return res.status;
  }

  it("checks the signature: valid, invalid, missing, with and without the default port", async () => {
    const s = await send();
    await settledMessage(s, "sent");
    const params = { MessageSid: "SMx", MessageStatus: "sent", AccountSid: SID };
    expect(await receipt(s, params, { sign: null })).toBe(400);
    expect(await receipt(s, params, { sign: "bm90IGEgc2lnbmF0dXJl" })).toBe(403);
    expect(await receipt(s, { ...params, MessageStatus: "delivered" }, { sign: await signedByTwilio(`${PUBLIC}/webhooks/twilio/status?m=${s.messageId}&c=${s.contactId}`, params) })).toBe(403); // tampered
    expect(await receipt(s, params)).toBe(204);
    expect(await receipt(s, params, { url: `https://tidings.example:443/webhooks/twilio/status?m=${s.messageId}&c=${s.contactId}` })).toBe(204);
  });

  it("moves status forward only; duplicates and late receipts change nothing; the final one reaches flows", async () => {
    const s = await send();
    await settledMessage(s, "sent");
    const base = { MessageSid: "SMx", AccountSid: SID };
    expect(await receipt(s, { ...base, MessageStatus: "delivered" })).toBe(204);
    expect(await receipt(s, { ...base, MessageStatus: "delivered" })).toBe(204);
    expect(await receipt(s, { ...base, MessageStatus: "sent" })).toBe(204);
    expect(await receipt(s, { ...base, MessageStatus: "undelivered", ErrorCode: "30003" })).toBe(204);
    const m = await messageOf(s.contactId, s.messageId);
    expect(m.status).toBe("delivered");
    const events = (await api("GET", `/v1/contacts/${s.contactId}`)).body.recentEvents.filter((e: any) => e.event === "Message Delivered");
    expect(events).toHaveLength(1);
  });

  it("stores Twilio's error code on a failed delivery", async () => {
    const s = await send();
    await settledMessage(s, "sent");
    expect(await receipt(s, { MessageSid: "SMy", AccountSid: SID, MessageStatus: "undelivered", ErrorCode: "30003" })).toBe(204);
    const m = await messageOf(s.contactId, s.messageId);
    expect([m.status, m.errorCode]).toEqual(["undelivered", "30003"]);
    const events = (await api("GET", `/v1/contacts/${s.contactId}`)).body.recentEvents.map((e: any) => e.event);
    expect(events).toContain("Message Failed");
  });

  it("computes Twilio's documented example signatures (repeated parameters sorted)", async () => {
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675310", Digits: "1234", From: "+14158675310", To: "+18005551212" };
    expect(await twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)).toBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");
    const older = { ...params, Caller: "+14158675309", From: "+14158675309" };
    expect(await twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", older)).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    // A repeated parameter contributes each distinct value in order: the same as writing them sorted.
    const a = await twilioSignature("t", "https://x.example/h", { Media: ["b", "a", "b"] });
    const b = await twilioSignature("t", "https://x.example/h", { Media: ["a", "b"] });
    expect(a).toBe(b);
  });
});

describe("replies signed over the URL as Twilio has it", () => {
  beforeAll(withoutOptInConfirmation);

  /** A STOP from an opted-in contact, signed over `signedUrl` and arriving at `receivedAt`; the contact's consent after it. */
  async function stop(signedUrl: string, receivedAt: string) {
    const to = phone();
    const id = await optedIn(unique("u"), to);
    const params = { MessageSid: `SM${crypto.randomUUID().replace(/-/g, "")}`, From: to, To: "+14155550100", Body: "STOP", AccountSid: SID };
    const headers = { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": await signedByTwilio(signedUrl, params) };
    const ctx = createExecutionContext();
    const res = await worker.fetch(asReceived(receivedAt, { method: "POST", headers, body: new URLSearchParams(params) }), env, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, marketing: (await api("GET", `/v1/contacts/${id}`)).body.consent.marketing };
  }

  it("a STOP signed with the default port written out (:443) reaches the contact", async () => {
    expect(await stop(`${PUBLIC}:443/webhooks/twilio/inbound`, "http://internal.test/webhooks/twilio/inbound")).toEqual({ status: 200, marketing: "stopped" });
  });

  it("a STOP signed over a query with an apostrophe, kept as written, reaches the contact", async () => {
    const query = "?brand=o'neil&note=caf%C3%A9";
    expect(await stop(`${PUBLIC}/webhooks/twilio/inbound${query}`, `http://internal.test/webhooks/twilio/inbound${query}`)).toEqual({ status: 200, marketing: "stopped" });
  });

  it("a STOP to a deployment reached on its own public host reaches the contact", async () => {
    const own = "https://sms.brand.example/webhooks/twilio/inbound";
    expect(await stop(own, own)).toEqual({ status: 200, marketing: "stopped" });
  });

  it("a STOP signed over another URL is refused and changes nothing", async () => {
    const r = await stop(`${PUBLIC}/webhooks/twilio/inbound?brand=other`, "http://internal.test/webhooks/twilio/inbound?brand=o'neil");
    expect(r.status).toBe(403);
    expect(r.marketing).not.toBe("stopped");
  });
});
