/**
 * The Twilio gateway: Messages API, form-encoded, Basic auth. Twilio has no idempotency key, so the
 * message is `dispatching` before the call, a timeout or dropped connection throws (the attempt is
 * then reconciled, never blindly resent), and `reconcile` looks the message up by number and text.
 */
import { now } from "../clock";
import type { DispatchResult } from "./types";
import type { Config } from "../settings/config";
import type { Gateway, OutboundSms } from "./gateway";

/** What a Twilio error code means for the message and the contact. */
export function classifyTwilioError(status: number, code: number | undefined): { transient: boolean; effect?: "stopped" | "undeliverable" } {
  if (status === 429 || code === 20429 || status >= 500) return { transient: true };
  if (code === 21610) return { transient: false, effect: "stopped" }; // the person replied STOP to Twilio
  if (code === 21211 || code === 21614) return { transient: false, effect: "undeliverable" }; // invalid or not a mobile number
  return { transient: false };
}

/** Our status for a Twilio message status. */
export function fromTwilioStatus(status: string): "sent" | "delivered" | "undelivered" | "failed" {
  if (status === "delivered" || status === "read") return "delivered";
  if (status === "undelivered") return "undelivered";
  if (status === "failed" || status === "canceled") return "failed";
  return "sent"; // accepted, queued, scheduled, sending, sent: with Twilio, not yet final
}

/** Twilio's ValidityPeriod for a message that expires at `expiresAt`: seconds left, within 1–36,000. */
export function validityPeriod(expiresAt: number, at: number): number {
  return Math.min(36_000, Math.max(1, Math.ceil((expiresAt - at) / 1000)));
}

/** A Twilio gateway for this deployment. */
export function twilio(env: Env, config: Config): Gateway {
  const settings = config.settings.gateway;
  const sid = env.TWILIO_ACCOUNT_SID;
  const base = `${env.TWILIO_API_BASE.replace(/\/+$/, "")}/2010-04-01/Accounts/${sid}/Messages.json`;
  const auth = `Basic ${btoa(`${sid}:${env.TWILIO_AUTH_TOKEN}`)}`;
  const call = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { authorization: auth, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(settings.twilio.timeoutMs) });

  return {
    name: "twilio",
    async send(sms: OutboundSms): Promise<DispatchResult> {
      const form = new URLSearchParams({ To: sms.to, Body: sms.body });
      const service = sms.from ? sms.messagingServiceSid : (sms.messagingServiceSid ?? settings.twilio.messagingServiceSid);
      if (service) form.set("MessagingServiceSid", service);
      else if (sms.from ?? settings.twilio.from) form.set("From", (sms.from ?? settings.twilio.from)!);
      else return { ok: false, transient: false, gateway: "twilio", errorCode: "config", errorMessage: "settings.gateway.twilio needs from or messagingServiceSid" };
      const callback = new URL("/webhooks/twilio/status", settings.publicBaseUrl);
      callback.searchParams.set("m", sms.messageId);
      callback.searchParams.set("c", sms.contactId);
      form.set("StatusCallback", callback.toString());
      form.set("ValidityPeriod", String(validityPeriod(sms.expiresAt, now())));
      // A timeout or dropped connection throws: the caller leaves the message `dispatching`.
      const res = await call(base, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
      const body = (await res.json().catch(() => ({}))) as { sid?: string; status?: string; code?: number; message?: string };
      if (res.ok && body.sid) return { ok: true, gateway: "twilio", providerId: body.sid, status: fromTwilioStatus(body.status ?? "queued") === "delivered" ? "delivered" : "sent", at: now() };
      const kind = classifyTwilioError(res.status, body.code);
      const errorCode = String(body.code ?? res.status);
      const errorMessage = body.message ?? `HTTP ${res.status}`;
      if (kind.transient) return { ok: false, transient: true, gateway: "twilio", errorCode, errorMessage };
      return { ok: false, transient: false, gateway: "twilio", errorCode, errorMessage, effect: kind.effect };
    },
    async reconcile(sms) {
      // Did an earlier attempt reach Twilio? Look for a message to this number with this text since then.
      const url = new URL(base);
      url.searchParams.set("To", sms.to);
      url.searchParams.set("PageSize", "50");
      const res = await call(url.toString());
      if (!res.ok) throw new Error(`Twilio lookup answered ${res.status}`);
      const list = ((await res.json()) as { messages?: Array<{ sid: string; body: string; status: string; date_created: string }> }).messages ?? [];
      const found = list.find((m) => m.body === sms.body && Date.parse(m.date_created) >= sms.since - 5 * 60_000);
      if (!found) return undefined;
      const status = fromTwilioStatus(found.status);
      return status === "sent" || status === "delivered"
        ? { ok: true, gateway: "twilio", providerId: found.sid, status, at: now() }
        : { ok: false, transient: false, gateway: "twilio", errorCode: status, errorMessage: `Twilio reports ${found.status}` };
    },
  };
}
