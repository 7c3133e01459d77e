/** Replies from a person's phone, as Twilio posts them to the inbound webhook (signed). */
import { exports } from "cloudflare:workers";
import { twilioSignature } from "../src/gateway/twilio-signature";

/** The public base URL Twilio signs; a test file sets it with `PUT /v1/settings/gateway { publicBaseUrl: PUBLIC }`. */
export const PUBLIC = "https://tidings.example";

/** A reply as Twilio posts it, signed; `message` is the TwiML reply text, if any. */
export async function reply(from: string, body: string, extra: Record<string, string> = {}, sid = `SM${crypto.randomUUID().replace(/-/g, "")}`) {
  const params = { MessageSid: sid, From: from, To: "+14155550100", Body: body, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ...extra };
  const signature = await twilioSignature("test_twilio_auth_token", `${PUBLIC}/webhooks/twilio/inbound`, params);
  const res = await exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  const message = /<Message>(.*)<\/Message>/.exec(text)?.[1]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  return { status: res.status, type: res.headers.get("content-type"), text, message, sid };
}
