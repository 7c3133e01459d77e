/**
 * The SMSAPI gateway: `POST /sms.do`, JSON, Bearer token, `format=json`. Our message id travels as
 * `idx` with `check_idx`, so SMSAPI itself refuses a second send of the same message (error 53,
 * "already sent": the first attempt's success). That makes an uncertain attempt safe to send again.
 * Errors arrive as HTTP 200 with `{error, message}`.
 */
import { now } from "../clock";
import type { DispatchResult } from "./types";
import type { Config } from "../settings/config";
import type { Gateway, OutboundSms } from "./gateway";

const MIN = 60_000;

/** SMSAPI error codes worth another try (system errors, overload, rate limits). */
const TRANSIENT = new Set([8, 201, 202, 203, 999]);

/** SMSAPI's expiration_date for a message that expires at `expiresAt`: within 15 min–72 h after `at`, as ISO 8601. */
export function expirationDate(expiresAt: number, at: number): string {
  const ms = Math.min(72 * 60 * MIN, Math.max(15 * MIN, expiresAt - at));
  return new Date(at + ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

/** Our status for an SMSAPI delivery report status (numeric 401–412, or its name). */
export function fromSmsapiStatus(code: string): "sent" | "delivered" | "undelivered" | "failed" | undefined {
  const names: Record<string, string> = {
    "401": "NOT_FOUND", "402": "EXPIRED", "403": "SENT", "404": "DELIVERED", "405": "UNDELIVERED", "406": "FAILED",
    "407": "REJECTED", "408": "UNKNOWN", "409": "QUEUE", "410": "ACCEPTED", "411": "RENEWAL", "412": "STOP",
  };
  const name = (names[code] ?? code).toUpperCase();
  if (name === "DELIVERED") return "delivered";
  if (name === "UNDELIVERED" || name === "EXPIRED") return "undelivered";
  if (name === "FAILED" || name === "REJECTED" || name === "NOT_FOUND" || name === "STOP") return "failed";
  if (name === "SENT" || name === "QUEUE" || name === "ACCEPTED") return "sent";
  return undefined; // UNKNOWN, RENEWAL: nothing to record
}

let warnedNoSecret = false;

/**
 * Where SMSAPI reports a message's delivery. Without `SMSAPI_CALLBACK_SECRET` there is none: the
 * report webhook refuses every call then (503), so a URL would only invite unverifiable callbacks.
 */
function notifyUrl(env: Env, publicBaseUrl: string, sms: OutboundSms): string | undefined {
  const secret = env.SMSAPI_CALLBACK_SECRET;
  if (!secret) {
    if (!warnedNoSecret) console.warn("SMSAPI_CALLBACK_SECRET is not set: messages go without notify_url, so no delivery reports arrive");
    warnedNoSecret = true;
    return undefined;
  }
  const notify = new URL("/webhooks/smsapi/status", publicBaseUrl);
  notify.searchParams.set("secret", secret);
  notify.searchParams.set("m", sms.messageId);
  notify.searchParams.set("c", sms.contactId);
  return notify.toString();
}

/** An SMSAPI gateway for this deployment. */
export function smsapi(env: Env, config: Config): Gateway {
  const settings = config.settings.gateway;
  const url = `${env.SMSAPI_API_BASE.replace(/\/+$/, "")}/sms.do`;
  return {
    name: "smsapi",
    async send(sms: OutboundSms): Promise<DispatchResult> {
      const notify = notifyUrl(env, settings.publicBaseUrl, sms);
      const body = {
        to: sms.to.replace(/^\+/, ""),
        message: sms.body,
        ...((sms.from ?? settings.smsapi.from) ? { from: sms.from ?? settings.smsapi.from } : {}),
        format: "json",
        encoding: "utf-8",
        details: true,
        idx: sms.messageId,
        check_idx: true,
        ...(notify ? { notify_url: notify } : {}),
        expiration_date: expirationDate(sms.expiresAt, now()),
        max_parts: settings.smsapi.maxParts,
      };
      // A timeout or dropped connection throws; resending later is safe thanks to idx + check_idx.
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${env.SMSAPI_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(settings.smsapi.timeoutMs),
      });
      if (res.status === 429 || res.status >= 500) return { ok: false, transient: true, gateway: "smsapi", errorCode: String(res.status), errorMessage: `HTTP ${res.status}` };
      const json = (await res.json().catch(() => ({}))) as { error?: number; message?: string; list?: Array<{ id: string; status?: string }> };
      if (json.error === undefined && json.list?.[0]?.id) return { ok: true, gateway: "smsapi", providerId: json.list[0].id, status: "sent", at: now() };
      const code = json.error ?? res.status;
      if (code === 53) return { ok: true, gateway: "smsapi", providerId: `idx:${sms.messageId}`, status: "sent", at: now() }; // already sent: the first attempt went out
      if (TRANSIENT.has(code)) return { ok: false, transient: true, gateway: "smsapi", errorCode: String(code), errorMessage: json.message ?? "" };
      return { ok: false, transient: false, gateway: "smsapi", errorCode: String(code), errorMessage: json.message ?? `HTTP ${res.status}`, ...(code === 13 ? { effect: "undeliverable" as const } : {}) };
    },
    // Nothing to look up: with idx + check_idx, sending again is how SMSAPI tells us (53 = it went out).
    async reconcile() {
      return undefined;
    },
  };
}
