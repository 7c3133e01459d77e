/**
 * Webhooks are closed until their secret is set. A route guarded by `requireSecret` answers 503
 * problem+json naming the missing secret before it reads the request, so a deployment that never
 * configured a provider or source cannot be driven by whoever finds its URL.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app";
import { problem } from "../http/problem";

/** The secret each provider and source webhook authenticates with. */
export type WebhookSecret = "TWILIO_AUTH_TOKEN" | "SMSAPI_CALLBACK_SECRET" | "SHOPIFY_WEBHOOK_SECRET" | "SEGMENT_WEBHOOK_SECRET";

/** Middleware: 503 naming `name` when that secret is unset or empty; otherwise on to the route. */
export function requireSecret(name: WebhookSecret): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.env[name]) {
      console.error(`${c.req.method} ${c.req.path} refused: ${name} is not configured`);
      return problem(503, "Webhook not configured", `${name} is not configured`, { secret: name });
    }
    await next();
  };
}
