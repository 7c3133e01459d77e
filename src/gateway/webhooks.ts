/**
 * Provider webhooks: Twilio's receipts and replies (X-Twilio-Signature) and SMSAPI's reports and
 * replies (the secret in the URL we gave SMSAPI). Each is closed (503 naming the secret) until its
 * secret is configured; see src/webhooks/secrets.ts.
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/app";
import { badFields, problem } from "../http/problem";
import { now } from "../clock";
import { getConfig } from "../settings/config";
import { contactForPhone, toE164 } from "../contacts/identity";
import { pathOf, verifyTwilioSignature } from "./twilio-signature";
import { fromTwilioStatus } from "./twilio";
import { fromSmsapiStatus } from "./smsapi";
import { parseSmsapiInbound } from "../conversation/smsapi-inbound";
import { isErased } from "../privacy/erased";
import { requireSecret } from "../webhooks/secrets";
import { sameSecret } from "../webhooks/signatures";

/** Provider webhooks (authenticated by signature or URL secret, not by API key). */
export const providerWebhooks = new Hono<AppEnv>();

/** The POSTed form as Twilio's signature sees it: every parameter, repeated ones as lists. */
async function formParams(req: Request): Promise<Record<string, string | string[]>> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(await req.text())) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * The URLs Twilio may have signed for this request, as text (never re-encoded): our public base with
 * this request's path and query as they arrived (the callbacks we give Twilio are built on it), and
 * the URL the request arrived at (a deployment reached on its own public host sees that URL itself).
 */
async function signedUrls(c: import("hono").Context<AppEnv>): Promise<string[]> {
  const { publicBaseUrl } = (await getConfig(c.env.DB)).settings.gateway;
  return [...new Set([new URL(publicBaseUrl).origin + pathOf(c.req.url), c.req.url])];
}

/** Verify a Twilio webhook (after `requireSecret`); a problem response when it fails. */
export async function verifiedTwilio(c: import("hono").Context<AppEnv>): Promise<{ params: Record<string, string | string[]> } | Response> {
  const signature = c.req.header("x-twilio-signature");
  if (!signature) return problem(400, "Missing signature", "X-Twilio-Signature is required", { errors: [{ field: "X-Twilio-Signature", message: "required" }] });
  const params = await formParams(c.req.raw);
  for (const url of await signedUrls(c)) {
    if (await verifyTwilioSignature(c.env.TWILIO_AUTH_TOKEN, url, params, signature)) return { params };
  }
  return problem(403, "Invalid signature", "X-Twilio-Signature does not match this request");
}

/** Whether the request carries SMSAPI's callback secret (after `requireSecret`; compared in constant time). */
const smsapiSecretOk = (c: import("hono").Context<AppEnv>) => sameSecret(c.req.query("secret") ?? "", c.env.SMSAPI_CALLBACK_SECRET);

/**
 * `POST /webhooks/twilio/status`: Twilio's delivery receipts. Verified with X-Twilio-Signature over
 * the public URL Twilio called and every posted parameter (400 when the header is missing, 403 when
 * it is wrong); the message and contact ids travel in the callback URL we gave Twilio.
 */
providerWebhooks.post("/webhooks/twilio/status", requireSecret("TWILIO_AUTH_TOKEN"), async (c) => {
  const v = await verifiedTwilio(c);
  if (v instanceof Response) return v;
  const one = (k: string) => {
    const x = v.params[k];
    return Array.isArray(x) ? x[0] : x;
  };
  const messageId = c.req.query("m");
  const contactId = c.req.query("c");
  const status = one("MessageStatus") ?? one("SmsStatus");
  if (!messageId || !contactId || !/^c_[0-9a-z]{20}$/.test(contactId) || !status) {
    return badFields([
      ...(messageId ? [] : [{ field: "m", message: "the callback URL needs our message id" }]),
      ...(contactId && /^c_[0-9a-z]{20}$/.test(contactId) ? [] : [{ field: "c", message: "the callback URL needs our contact id" }]),
      ...(status ? [] : [{ field: "MessageStatus", message: "required" }]),
    ]);
  }
  await c.env.CONTACT.getByName(contactId).recordReceipt(messageId, {
    status: fromTwilioStatus(status), providerId: one("MessageSid") ?? one("SmsSid"), errorCode: one("ErrorCode"), at: now(),
  });
  return c.body(null, 204);
});

const twiml = (reply?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${reply ? `<Message>${reply.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</Message>` : ""}</Response>`;

/**
 * `POST /webhooks/twilio/inbound`: a reply from a person. It reaches the contact that owns the
 * number (an unknown number becomes a new contact); the answer is TwiML, empty or with one reply.
 */
providerWebhooks.post("/webhooks/twilio/inbound", requireSecret("TWILIO_AUTH_TOKEN"), async (c) => {
  const v = await verifiedTwilio(c);
  if (v instanceof Response) return v;
  const one = (k: string) => {
    const x = v.params[k];
    return Array.isArray(x) ? x[0] : x;
  };
  const from = toE164(one("From") ?? "");
  const sid = one("MessageSid") ?? one("SmsSid");
  if (!from || !sid) {
    return badFields([...(from ? [] : [{ field: "From", message: "a phone number" }]), ...(sid ? [] : [{ field: "MessageSid", message: "required" }])]);
  }
  const answered = one("OptOutType")?.toLowerCase();
  // An erased person's number is never stored again: the reply is dropped (the number is suppressed).
  if (await isErased(c.env, from)) return c.body(twiml(), 200, { "content-type": "text/xml" });
  const contactId = await contactForPhone(c.env, from);
  const r = await c.env.CONTACT.getByName(contactId).receive(contactId, {
    provider: "twilio", providerId: sid, from, to: one("To") ?? "", body: one("Body") ?? "",
    providerAnswered: answered === "stop" || answered === "start" || answered === "help" ? answered : undefined,
  });
  return c.body(twiml(r.reply), 200, { "content-type": "text/xml" });
});

/**
 * `GET /webhooks/smsapi/status`: SMSAPI's delivery reports, up to 5 per request as comma-separated
 * `MsgId`/`status` (and `idx`) values, protected by the secret in the URL we gave SMSAPI. The answer
 * is a plain `OK` once recorded (anything else makes SMSAPI try again).
 */
providerWebhooks.get("/webhooks/smsapi/status", requireSecret("SMSAPI_CALLBACK_SECRET"), async (c) => {
  if (!(await smsapiSecretOk(c))) return problem(403, "Invalid secret", "the callback URL's secret does not match");
  const list = (k: string) => (c.req.query(k) ?? "").split(",").map((x) => x.trim());
  const ids = list("MsgId");
  const statuses = list("status");
  const idxs = list("idx");
  if (!ids[0] || ids.length !== statuses.length || ids.length > 5) {
    return badFields(["MsgId", "status"].map((field) => ({ field, message: "MsgId and status must list the same number (1 to 5) of reports" })));
  }
  for (let i = 0; i < ids.length; i++) {
    const status = fromSmsapiStatus(statuses[i]!);
    if (!status) continue;
    // Our ids travel in the notify_url (one message) or as idx; otherwise look the message up by SMSAPI's id.
    let messageId = idxs[i] || (ids.length === 1 ? c.req.query("m") : undefined);
    let contactId = ids.length === 1 ? c.req.query("c") : undefined;
    if (!messageId || !contactId) {
      const row = await c.env.DB.prepare("SELECT id, contact_id FROM messages WHERE provider_id = ? OR id = ? LIMIT 1")
        .bind(ids[i], messageId ?? "").first<{ id: string; contact_id: string }>();
      if (!row) continue;
      messageId = row.id;
      contactId = row.contact_id;
    }
    if (!/^c_[0-9a-z]{20}$/.test(contactId)) continue;
    const done = Number(list("donedate")[i]);
    await c.env.CONTACT.getByName(contactId).recordReceipt(messageId, {
      status, providerId: ids[i], at: Number.isFinite(done) && done > 0 ? done * 1000 : now(),
      ...(status !== "sent" && status !== "delivered" ? { errorCode: statuses[i] } : {}),
    });
  }
  return c.text("OK");
});

/**
 * `POST /webhooks/smsapi/inbound?secret=…`: a reply through SMSAPI (form or query parameters; see
 * src/conversation/smsapi-inbound.ts for the names). SMSAPI does not answer STOP itself, so the
 * confirmation is a message Tidings sends. Answered with a plain `OK`.
 */
providerWebhooks.post("/webhooks/smsapi/inbound", requireSecret("SMSAPI_CALLBACK_SECRET"), async (c) => {
  if (!(await smsapiSecretOk(c))) return problem(403, "Invalid secret", "the callback URL's secret does not match");
  const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
  const { secret: _s, ...query } = c.req.query();
  const sms = parseSmsapiInbound({ ...query, ...form });
  if ("missing" in sms) return problem(400, "Invalid request", `missing ${sms.missing.join(", ")}`, { errors: sms.missing.map((field) => ({ field, message: "required" })) });
  const from = toE164(sms.from.startsWith("+") ? sms.from : `+${sms.from}`);
  if (!from) return problem(400, "Invalid request", "sms_from is not a phone number", { errors: [{ field: "sms_from", message: "not a phone number" }] });
  if (await isErased(c.env, from)) return c.text("OK");
  const contactId = await contactForPhone(c.env, from);
  await c.env.CONTACT.getByName(contactId).receive(contactId, { provider: "smsapi", providerId: sms.id, from, to: sms.to, body: sms.text, replyVia: "send" });
  return c.text("OK");
});
