/**
 * The sandbox gateway: records each message in D1 (`sandbox_messages`, the local stand-in for a
 * phone) and reports it delivered at once — or failed, for numbers listed in settings.gateway.sandbox.fail.
 */
import { now } from "../clock";
import type { DispatchResult } from "./types";
import type { Config } from "../settings/config";
import type { Gateway } from "./gateway";

/** A sandbox gateway over this deployment's D1. */
export function sandbox(env: Env, config: Config): Gateway {
  const fail = new Set(config.settings.gateway.sandbox.fail);
  const result = (messageId: string, to: string, at: number): DispatchResult =>
    fail.has(to)
      ? { ok: true, gateway: "sandbox", providerId: `sbx_${messageId}`, status: "failed", at, errorCode: "sandbox_fail", errorMessage: "failed on request (settings.gateway.sandbox.fail)" }
      : { ok: true, gateway: "sandbox", providerId: `sbx_${messageId}`, status: "delivered", at };
  return {
    name: "sandbox",
    async send(sms) {
      const at = now();
      // INSERT OR IGNORE: a resent message lands once, like a provider's idempotency key.
      await env.DB.prepare("INSERT OR IGNORE INTO sandbox_messages (id, \"to\", body, at) VALUES (?, ?, ?, ?)").bind(sms.messageId, sms.to, sms.body, at).run();
      return result(sms.messageId, sms.to, at);
    },
    async reconcile({ messageId }) {
      const row = await env.DB.prepare("SELECT \"to\", at FROM sandbox_messages WHERE id = ?").bind(messageId).first<{ to: string; at: number }>();
      return row ? result(messageId, row.to, row.at) : undefined;
    },
  };
}
