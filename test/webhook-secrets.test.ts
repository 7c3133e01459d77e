// Secure by default: every provider and source webhook is closed until its secret is configured.
// With the secret unset, a request that would otherwise be accepted gets a 503 problem+json naming
// the secret, its body is never read, and nothing changes: no consent, contact, message or receipt.
// Each case then sends the same request with the secret set, to show it was a valid one.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { twilioSignature } from "../src/gateway/twilio-signature";
import worker from "../src/index";
import { api, flushRecords, optedIn, phone, settleSends, settledMessage, unique, withoutOptInConfirmation } from "./helpers";

const PUBLIC = "https://tidings.example";
const TWILIO_TOKEN = "test_twilio_auth_token";
const SMSAPI_SECRET = "test_smsapi_callback_secret";
/** From .dev.vars.example, as the other webhook tests use them. */
const SHOPIFY_PREVIOUS = "local_example_shopify_webhook_secret_previous";
const SEGMENT_SECRET = "local_example_segment_shared_secret";

type Secret = "TWILIO_AUTH_TOKEN" | "SMSAPI_CALLBACK_SECRET" | "SHOPIFY_WEBHOOK_SECRET" | "SHOPIFY_WEBHOOK_SECRET_PREVIOUS" | "SEGMENT_WEBHOOK_SECRET";

/** Call the Worker as a provider would, with `unset` secrets missing from its environment. */
async function call(path: string, init: RequestInit, unset: Secret[] = []) {
  const req = new Request(`http://internal.test${path}`, init);
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, { ...env, ...Object.fromEntries(unset.map((k) => [k, undefined])) } as Env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, type: res.headers.get("content-type"), body, bodyRead: req.bodyUsed };
}

/** The route refused for want of `secret`, before reading the request. */
function expectClosed(r: Awaited<ReturnType<typeof call>>, secret: Secret) {
  expect(r).toMatchObject({ status: 503, type: "application/problem+json", body: { status: 503, detail: `${secret} is not configured` }, bodyRead: false });
}

const form = (params: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });

async function hmac(hash: "SHA-1" | "SHA-256", secret: string, body: string, encoding: "hex" | "base64") {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return encoding === "hex" ? [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") : btoa(String.fromCharCode(...mac));
}

const contact = async (ref: string) => api("GET", `/v1/contacts/${encodeURIComponent(ref)}`);
/** Messages a contact was sent, once every send and record has settled. */
async function messagesTo(ref: string): Promise<unknown[]> {
  await settleSends(ref);
  await flushRecords();
  return (await api("GET", `/v1/messages?contact=${encodeURIComponent(ref)}`)).body.messages;
}

beforeAll(async () => {
  // Twilio (the mock in test/global-setup.ts) so receipts have a `sent` message to move.
  await api("PUT", "/v1/settings/gateway", { use: "twilio", publicBaseUrl: PUBLIC, twilio: { from: "+14155550100" } });
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/notice", { body: "Your order has shipped.", job: "transactional", purpose: "transactional" });
  await withoutOptInConfirmation();
});

describe("Twilio without TWILIO_AUTH_TOKEN", () => {
  async function reply(from: string, body: string, unset: Secret[] = []) {
    const params = { MessageSid: `SM${crypto.randomUUID().replace(/-/g, "")}`, From: from, To: "+14155550100", Body: body, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    const signature = await twilioSignature(TWILIO_TOKEN, `${PUBLIC}/webhooks/twilio/inbound`, params);
    return call("/webhooks/twilio/inbound", { ...form(params), headers: { ...form(params).headers, "x-twilio-signature": signature } }, unset);
  }

  it("refuses a signed STOP with 503 (not 500): consent unchanged, nothing sent", async () => {
    const to = phone();
    const id = await optedIn(unique("u"), to);
    const before = (await contact(id)).body.consent;
    expectClosed(await reply(to, "STOP", ["TWILIO_AUTH_TOKEN"]), "TWILIO_AUTH_TOKEN");
    expect((await contact(id)).body.consent).toEqual(before);
    expect(await messagesTo(id)).toEqual([]);
    // The same STOP with the token configured is heard.
    expect((await reply(to, "STOP")).status).toBe(200);
    expect((await contact(id)).body.consent.marketing).toBe("stopped");
  });

  it("refuses a signed receipt: the message keeps its status", async () => {
    const to = phone();
    const sent = await api("POST", "/v1/messages", { to, template: "notice" });
    const s = sent.body as { messageId: string; contactId: string };
    await settledMessage(s, "sent");
    const path = `/webhooks/twilio/status?m=${s.messageId}&c=${s.contactId}`;
    const params = { MessageSid: "SMx", MessageStatus: "delivered", AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    const signed = { ...form(params), headers: { ...form(params).headers, "x-twilio-signature": await twilioSignature(TWILIO_TOKEN, `${PUBLIC}${path}`, params) } };
    expectClosed(await call(path, signed, ["TWILIO_AUTH_TOKEN"]), "TWILIO_AUTH_TOKEN");
    await settledMessage(s, "sent");
    expect((await call(path, { ...signed, body: new URLSearchParams(params) })).status).toBe(204);
    await settledMessage(s, "delivered");
  });
});

describe("SMSAPI without SMSAPI_CALLBACK_SECRET", () => {
  const inbound = (from: string, text: string, secret?: string, unset: Secret[] = []) =>
    call(
      `/webhooks/smsapi/inbound${secret ? `?secret=${secret}` : ""}`,
      form({ sms_from: from.slice(1), sms_to: "48500100200", sms_text: text, sms_date: "1764000000", MsgId: unique("smsapi") }),
      unset,
    );

  it("a STOP without a secret changes nothing; the route is closed", async () => {
    const to = phone();
    const id = await optedIn(unique("u"), to);
    const before = (await contact(id)).body.consent;
    expectClosed(await inbound(to, "STOP", undefined, ["SMSAPI_CALLBACK_SECRET"]), "SMSAPI_CALLBACK_SECRET");
    expect((await contact(id)).body.consent).toEqual(before);
    expect(await messagesTo(id)).toEqual([]);
    expect((await inbound(to, "STOP", SMSAPI_SECRET)).status).toBe(200);
    expect((await contact(id)).body.consent.marketing).toBe("stopped");
  });

  it("a START cannot restore a stopped contact", async () => {
    const to = phone();
    const id = await optedIn(unique("u"), to);
    expect((await inbound(to, "STOP", SMSAPI_SECRET)).status).toBe(200);
    const stopped = (await contact(id)).body.consent;
    const sentBefore = (await messagesTo(id)).length;
    expectClosed(await inbound(to, "START", undefined, ["SMSAPI_CALLBACK_SECRET"]), "SMSAPI_CALLBACK_SECRET");
    expect((await contact(id)).body.consent).toEqual(stopped);
    expect(await messagesTo(id)).toHaveLength(sentBefore);
  });

  it("a HELP from an unknown number creates no contact and texts nobody", async () => {
    const stranger = phone();
    expectClosed(await inbound(stranger, "HELP", undefined, ["SMSAPI_CALLBACK_SECRET"]), "SMSAPI_CALLBACK_SECRET");
    expect((await contact(`phone:${stranger}`)).status).toBe(404);
    expect((await inbound(stranger, "HELP", SMSAPI_SECRET)).status).toBe(200);
    expect((await contact(`phone:${stranger}`)).status).toBe(200);
  });

  it("a delivery report without a secret records nothing", async () => {
    const to = phone();
    const sent = await api("POST", "/v1/messages", { to, template: "notice" });
    const s = sent.body as { messageId: string; contactId: string };
    await settledMessage(s, "sent");
    const report = (q: string, unset: Secret[] = []) => call(`/webhooks/smsapi/status?MsgId=x1&status=404&m=${s.messageId}&c=${s.contactId}${q}`, {}, unset);
    expectClosed(await report("", ["SMSAPI_CALLBACK_SECRET"]), "SMSAPI_CALLBACK_SECRET");
    await settledMessage(s, "sent");
    expect((await report(`&secret=${SMSAPI_SECRET}`)).status).toBe(200);
    await settledMessage(s, "delivered");
  });
});

describe("Shopify without SHOPIFY_WEBHOOK_SECRET", () => {
  const deliver = async (customer: string, to: string, signWith: string, unset: Secret[] = []) => {
    const body = JSON.stringify({ id: Number(customer), phone: to, first_name: "Ann", updated_at: "2026-11-24T17:00:00Z" });
    const headers = { "content-type": "application/json", "x-shopify-topic": "customers/create", "x-shopify-event-id": crypto.randomUUID(), "x-shopify-hmac-sha256": await hmac("SHA-256", signWith, body, "base64") };
    return call("/webhooks/shopify", { method: "POST", headers, body }, unset);
  };

  it("is closed even when a previous secret is still set: nothing is created", async () => {
    const customer = String(7_000_000_000 + Math.floor(Math.random() * 1e9));
    const to = phone();
    // Signed with the previous secret, which alone must not open the route.
    expectClosed(await deliver(customer, to, SHOPIFY_PREVIOUS, ["SHOPIFY_WEBHOOK_SECRET"]), "SHOPIFY_WEBHOOK_SECRET");
    expectClosed(await deliver(customer, to, SHOPIFY_PREVIOUS, ["SHOPIFY_WEBHOOK_SECRET", "SHOPIFY_WEBHOOK_SECRET_PREVIOUS"]), "SHOPIFY_WEBHOOK_SECRET");
    expect((await contact(`shopify:${customer}`)).status).toBe(404);
    expect((await contact(`phone:${to}`)).status).toBe(404);
    expect((await deliver(customer, to, SHOPIFY_PREVIOUS)).status).toBe(200);
    expect((await contact(`shopify:${customer}`)).body.phone).toBe(to);
  });
});

describe("Segment without SEGMENT_WEBHOOK_SECRET", () => {
  it("refuses unsigned calls: nobody can claim a phone", async () => {
    const user = unique("u");
    const to = phone();
    const body = JSON.stringify({ type: "identify", userId: user, traits: { phone: to } });
    const post = (headers: Record<string, string>, unset: Secret[] = []) => call("/webhooks/segment", { method: "POST", headers: { "content-type": "application/json", ...headers }, body }, unset);
    expectClosed(await post({}, ["SEGMENT_WEBHOOK_SECRET"]), "SEGMENT_WEBHOOK_SECRET");
    expectClosed(await post({ "x-signature": await hmac("SHA-1", SEGMENT_SECRET, body, "hex") }, ["SEGMENT_WEBHOOK_SECRET"]), "SEGMENT_WEBHOOK_SECRET");
    expect((await contact(`user:${user}`)).status).toBe(404);
    expect((await contact(`phone:${to}`)).status).toBe(404);
    expect((await post({ "x-signature": await hmac("SHA-1", SEGMENT_SECRET, body, "hex") })).status).toBe(200);
    expect((await contact(`user:${user}`)).body.phone).toBe(to);
  });
});
