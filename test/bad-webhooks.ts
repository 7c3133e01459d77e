/**
 * Bad deliveries for every webhook (Twilio, SMSAPI, Shopify, Segment) and the short-link route, as
 * fast-check arbitraries: unsigned, wrongly signed, and correctly signed but malformed. Signatures
 * are added by `signed()` with the secrets the test Worker runs with.
 */
import fc from "fast-check";
import { twilioSignature } from "../src/gateway/twilio-signature";
import { type BadRequest, GARBAGE_SEGMENT } from "./bad-requests";

/** A webhook delivery before signing: `sign` says which scheme signs it, `fields` what a 400 may name. */
export interface BadDelivery extends Omit<BadRequest, "field"> {
  sign?: "twilio" | "shopify" | "segment";
  fields?: string[];
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const text = fc.string({ maxLength: 30 });
const notPhone = fc.oneof(fc.constantFrom("", "12", "+1 555 12", "not a phone", "+999999999999999999", "00"), fc.string({ maxLength: 12 }).filter((s) => !/\d{6}/.test(s)));
const wrongSignature = fc.oneof(fc.constantFrom("", "bm90IGEgc2lnbmF0dXJl", "sha256=00", "=", "%%%"), fc.base64String({ maxLength: 44 }));
/** Random form fields, none of them the ones a handler needs. */
const junkParams = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => /^\w+$/.test(k) && k !== "__proto__"), text, { maxKeys: 4 });
/** Any of the given names, present or not. */
const someOf = (fields: Record<string, fc.Arbitrary<string>>) => fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;

/** Twilio status callbacks: unsigned, wrongly signed, signed without the ids or the status. */
function twilioStatus(contactId: string): fc.Arbitrary<BadDelivery> {
  const at = (q: Record<string, string>) => `/webhooks/twilio/status${q && Object.keys(q).length ? `?${form(q)}` : ""}`;
  const deliver = (rule: string, q: Record<string, string>, body: Record<string, string>, over: Partial<BadDelivery> = {}): BadDelivery => ({
    rule, method: "POST", path: at(q), headers: FORM, body: form(body), ...over,
  });
  const ids = { m: fc.constant("m_unknown"), c: fc.constant(contactId) };
  return fc.oneof(
    fc.tuple(someOf(ids), junkParams).map(([q, b]) => deliver("twilio status unsigned", q, b, { fields: ["X-Twilio-Signature"] })),
    fc.tuple(someOf(ids), junkParams, wrongSignature).map(([q, b, s]) => deliver("twilio status wrong signature", q, b, { headers: { ...FORM, "x-twilio-signature": s } })),
    // Signed, but something the handler needs is missing or malformed.
    fc
      .tuple(someOf({ m: text, c: fc.oneof(fc.constant(contactId), text) }), someOf({ MessageStatus: fc.constantFrom("delivered", "failed"), MessageSid: text }))
      .filter(([q, b]) => !q.m || !q.c || !/^c_[0-9a-z]{20}$/.test(q.c) || !b.MessageStatus)
      .map(([q, b]) => deliver("twilio status signed, incomplete", q, b, { sign: "twilio", fields: ["m", "c", "MessageStatus"] })),
  );
}

/** Twilio inbound messages: unsigned, wrongly signed, signed without a sender number or a message id. */
function twilioInbound(): fc.Arbitrary<BadDelivery> {
  const deliver = (rule: string, body: Record<string, string>, over: Partial<BadDelivery> = {}): BadDelivery => ({
    rule, method: "POST", path: "/webhooks/twilio/inbound", headers: FORM, body: form(body), ...over,
  });
  const inbound = someOf({ From: notPhone, MessageSid: text, Body: fc.constantFrom("STOP", "START", "HELP", "hi"), To: fc.constant("+14155550100") });
  return fc.oneof(
    inbound.map((b) => deliver("twilio inbound unsigned", b, { fields: ["X-Twilio-Signature"] })),
    fc.tuple(inbound, wrongSignature).map(([b, s]) => deliver("twilio inbound wrong signature", b, { headers: { ...FORM, "x-twilio-signature": s } })),
    inbound.map((b) => deliver("twilio inbound signed, no valid sender", b, { sign: "twilio", fields: ["From", "MessageSid"] })),
  );
}

/** SMSAPI delivery reports: a wrong or missing secret, or lists that do not pair up. */
function smsapiStatus(secret: string): fc.Arbitrary<BadDelivery> {
  const report = (rule: string, q: Record<string, string>, fields?: string[]): BadDelivery => ({ rule, method: "GET", path: `/webhooks/smsapi/status?${form(q)}`, headers: {}, ...(fields ? { fields } : {}) });
  const list = (min: number, max: number) => fc.array(fc.stringMatching(/^\d{1,6}$/), { minLength: min, maxLength: max }).map((a) => a.join(","));
  return fc.oneof(
    fc.tuple(fc.option(text.filter((s) => s !== secret), { nil: undefined }), list(1, 3)).map(([s, ids]) => report("smsapi status wrong secret", { ...(s === undefined ? {} : { secret: s }), MsgId: ids, status: "404" })),
    fc
      .tuple(list(0, 8), list(0, 8))
      .filter(([ids, statuses]) => !ids || ids.split(",").length !== statuses.split(",").length || ids.split(",").length > 5)
      .map(([ids, statuses]) => report("smsapi status lists do not pair", { secret, MsgId: ids, status: statuses }, ["MsgId", "status"])),
  );
}

/** SMSAPI inbound messages: a wrong secret, missing fields, a sender that is not a number. */
function smsapiInbound(secret: string): fc.Arbitrary<BadDelivery> {
  const deliver = (rule: string, q: Record<string, string>, body: Record<string, string>, fields?: string[]): BadDelivery => ({
    rule, method: "POST", path: `/webhooks/smsapi/inbound?${form(q)}`, headers: FORM, body: form(body), ...(fields ? { fields } : {}),
  });
  const sms = someOf({ sms_from: notPhone, sms_text: fc.constantFrom("STOP", "START", "hi"), MsgId: text.filter(Boolean) });
  return fc.oneof(
    fc.tuple(text.filter((s) => s !== secret), sms).map(([s, b]) => deliver("smsapi inbound wrong secret", { secret: s }, b)),
    sms.map((b) => deliver("smsapi inbound without a valid sender", { secret }, b, ["sms_from", "sms_text", "MsgId"])),
  );
}

const malformedJson = fc.constantFrom("", "{", '{"id":', "[1,", "nul", "{id:1}", "\ufeff{}x");

/** Shopify deliveries: no or a wrong HMAC; signed without a topic, with broken JSON, or without the payload's ids. */
function shopify(): fc.Arbitrary<BadDelivery> {
  const topic = fc.constantFrom("orders/create", "orders/paid", "checkouts/create", "customers/create", "fulfillments/create", "orders/cancelled");
  const deliver = (rule: string, body: string, headers: Record<string, string>, over: Partial<BadDelivery> = {}): BadDelivery => ({
    rule, method: "POST", path: "/webhooks/shopify", headers: { "content-type": "application/json", ...headers }, body, ...over,
  });
  const payload = fc.dictionary(fc.constantFrom("name", "email", "phone", "total_price", "customer", "line_items"), fc.oneof(text, fc.integer(), fc.constant(null)), { maxKeys: 4 }).map((o) => JSON.stringify(o));
  return fc.oneof(
    fc.tuple(payload, topic).map(([b, t]) => deliver("shopify unsigned", b, { "x-shopify-topic": t })),
    fc.tuple(payload, topic, wrongSignature).map(([b, t, s]) => deliver("shopify wrong HMAC", b, { "x-shopify-topic": t, "x-shopify-hmac-sha256": s })),
    payload.map((b) => deliver("shopify signed, no topic", b, {}, { sign: "shopify", fields: ["X-Shopify-Topic"] })),
    fc.tuple(malformedJson, topic).map(([b, t]) => deliver("shopify signed, malformed JSON", b, { "x-shopify-topic": t }, { sign: "shopify", fields: ["(body)"] })),
    fc.tuple(fc.oneof(fc.constant("null"), fc.constant("[]"), fc.integer().map(String), fc.constant('"x"')), topic).map(([b, t]) => deliver("shopify signed, not an object", b, { "x-shopify-topic": t }, { sign: "shopify", fields: ["(body)"] })),
    // Every topic's payload needs its id (an order's, a checkout's token, a customer's, a fulfillment's).
    fc.tuple(payload, topic).map(([b, t]) => deliver("shopify signed, no id", b, { "x-shopify-topic": t }, { sign: "shopify" })),
  );
}

/** Segment deliveries: no or a wrong signature; signed but broken JSON, not a call, or a call missing what it needs. */
function segment(): fc.Arbitrary<BadDelivery> {
  const deliver = (rule: string, body: string, over: Partial<BadDelivery> = {}): BadDelivery => ({
    rule, method: "POST", path: "/webhooks/segment", headers: { "content-type": "application/json" }, body, ...over,
  });
  const call = fc.oneof(
    fc.record({ type: fc.constant("track"), userId: fc.constant("u-1") }).map((c) => ({ c, fields: ["event"] })),
    fc.record({ type: fc.constant("identify"), traits: fc.constant({ firstName: "Ada" }) }).map((c) => ({ c, fields: ["userId", "anonymousId"] })),
    // A number is a valid Segment id (kept as its string); a boolean, a blank or a list is not.
    fc.record({ type: fc.constant("track"), event: fc.constant("X"), userId: fc.oneof(fc.boolean(), fc.constant(""), fc.constant([])) }).map((c) => ({ c, fields: ["userId"] })),
    fc.record({ type: fc.oneof(fc.integer(), fc.constant(null), fc.boolean()), userId: fc.constant("u-1") }).map((c) => ({ c, fields: ["type", "userId"] })),
  );
  return fc.oneof(
    call.map(({ c }) => deliver("segment unsigned", JSON.stringify(c))),
    fc.tuple(call, wrongSignature).map(([{ c }, s]) => deliver("segment wrong signature", JSON.stringify(c), { headers: { "content-type": "application/json", "x-signature": s } })),
    malformedJson.map((b) => deliver("segment signed, malformed JSON", b, { sign: "segment", fields: ["(body)"] })),
    fc.constantFrom("null", "42", '"track"', "true").map((b) => deliver("segment signed, not a call", b, { sign: "segment", fields: ["(body)"] })),
    call.map(({ c, fields }) => deliver("segment signed, incomplete call", JSON.stringify(c), { sign: "segment", fields })),
  );
}

/** Short links that do not exist or cannot: unknown, malformed, over-long, broken encodings. */
function shortLinks(): fc.Arbitrary<BadDelivery> {
  const code = fc.oneof(fc.stringMatching(/^[0-9A-Za-z]{10}$/), GARBAGE_SEGMENT, fc.string({ minLength: 41, maxLength: 300 }).map(encodeURIComponent));
  return fc.tuple(code, fc.constantFrom("GET", "HEAD")).map(([c, m]) => ({ rule: "short link that does not exist", method: m, path: `/l/${c}`, headers: {} }));
}

/** Every webhook route and its bad deliveries. */
export function badDeliveries(secrets: { smsapi: string }, contactId: string): Record<string, fc.Arbitrary<BadDelivery>> {
  return {
    "POST /webhooks/twilio/status": twilioStatus(contactId),
    "POST /webhooks/twilio/inbound": twilioInbound(),
    "GET /webhooks/smsapi/status": smsapiStatus(secrets.smsapi),
    "POST /webhooks/smsapi/inbound": smsapiInbound(secrets.smsapi),
    "POST /webhooks/shopify": shopify(),
    "POST /webhooks/segment": segment(),
    "GET /l/{code}": shortLinks(),
  };
}

async function hmac(hash: "SHA-256" | "SHA-1", secret: string, body: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
}

/** The delivery with the signature its provider would send, given the Worker's secrets and public URL. */
export async function signed(d: BadDelivery, secrets: { twilio: string; shopify: string; segment: string }, publicBaseUrl: string): Promise<BadDelivery> {
  const body = typeof d.body === "string" ? d.body : "";
  if (d.sign === "twilio") {
    const params: Record<string, string> = Object.fromEntries(new URLSearchParams(body));
    const sig = await twilioSignature(secrets.twilio, new URL(d.path, publicBaseUrl).toString(), params);
    return { ...d, headers: { ...d.headers, "x-twilio-signature": sig } };
  }
  if (d.sign === "shopify") return { ...d, headers: { ...d.headers, "x-shopify-hmac-sha256": btoa(String.fromCharCode(...(await hmac("SHA-256", secrets.shopify, body)))) } };
  if (d.sign === "segment") {
    const hex = [...(await hmac("SHA-1", secrets.segment, body))].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { ...d, headers: { ...d.headers, "x-signature": hex } };
  }
  return d;
}
