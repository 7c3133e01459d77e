/**
 * `POST /webhooks/shopify` and `POST /webhooks/segment`: sources that authenticate by a signature
 * over the raw body, not by an API key. Each is closed (503 naming the secret) until its secret is
 * configured, and checks the signature before it parses anything.
 *
 * Shopify answers within its 5-second limit: verify and parse, answer 200, and route the delivery
 * to its contact after the answer (`waitUntil`). The work is a few Durable Object calls, each
 * idempotent (stable messageIds), so it is retried in place on a transient failure; a queue would
 * add a hop and a binding for no gain at this size. Segment is answered after ingestion (the same
 * path as /v1/track, fast): a failure answers 5xx and Segment retries, deduped on messageId.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../http/app";
import { badFields, problem } from "../http/problem";
import { ingestSegment, segmentCalls } from "./segment";
import { SHOPIFY_TOPICS, type ShopifyTopic, mapShopify, parseShopifyJson } from "./shopify";
import { applyShopify } from "./shopify-contact";
import { requireSecret } from "./secrets";
import { verifyAny, verifySegmentSignature, verifyShopifyHmac } from "./signatures";

/** Webhook sub-app (mounted at the root; like the provider webhooks, not in the API-key OpenAPI document). */
export const webhooks = new Hono<AppEnv>();

const limit = bodyLimit({ maxSize: 2 * 1024 * 1024, onError: () => problem(413, "Payload too large", "the body is over 2 MiB") });
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as JSON, or a 400 problem (only ever after the signature was checked). */
function parseBody(raw: Uint8Array, parse: (text: string) => unknown = JSON.parse): { body: unknown } | Response {
  try {
    return { body: parse(decoder.decode(raw)) };
  } catch {
    return problem(400, "Invalid request", "the body is not valid JSON", { errors: [{ field: "(body)", message: "the body is not valid JSON" }] });
  }
}

/** Run idempotent work after the answer, retrying transient failures before giving up (logged). */
async function afterAnswer(label: string, work: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (err) {
      if (attempt >= 3) return console.error(`${label} failed after ${attempt} attempts`, err);
      await new Promise((r) => setTimeout(r, 250 * 4 ** (attempt - 1)));
    }
  }
}

async function sha256Hex(raw: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", raw as BufferSource));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

webhooks.post("/webhooks/shopify", requireSecret("SHOPIFY_WEBHOOK_SECRET"), limit, async (c) => {
  const header = c.req.header("x-shopify-hmac-sha256");
  if (!header) return problem(401, "Missing signature", "X-Shopify-Hmac-Sha256 is required");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  // The previous secret is accepted too while a rotation is in progress (never alone: the current one is required).
  const secrets = [c.env.SHOPIFY_WEBHOOK_SECRET, c.env.SHOPIFY_WEBHOOK_SECRET_PREVIOUS];
  if (!(await verifyAny(verifyShopifyHmac, secrets, raw, header))) {
    return problem(401, "Invalid signature", "X-Shopify-Hmac-Sha256 does not match the body");
  }
  const topic = c.req.header("x-shopify-topic");
  if (!topic) return badFields([{ field: "X-Shopify-Topic", message: "the webhook topic header is required" }]);
  const parsed = parseBody(raw, parseShopifyJson);
  if (parsed instanceof Response) return parsed;
  // Retries of one delivery share the event id; without one, the body itself identifies it.
  const eventId = c.req.header("x-shopify-event-id") ?? c.req.header("x-shopify-webhook-id") ?? `body-${(await sha256Hex(raw)).slice(0, 32)}`;
  if (!(SHOPIFY_TOPICS as readonly string[]).includes(topic)) return c.json({ ok: true, topic, eventId, ignored: true }, 200);
  const mapped = mapShopify(topic as ShopifyTopic, parsed.body, eventId);
  if (!mapped.ok) return badFields(mapped.errors);
  const work = mapped.work;
  c.executionCtx.waitUntil(
    afterAnswer(`shopify ${topic} ${eventId}`, async () => {
      if (!(await applyShopify(c.env, work))) console.warn(`shopify ${topic} ${eventId}: no customer, phone or known order; ignored`);
    }),
  );
  return c.json({ ok: true, topic, eventId }, 200);
});

webhooks.post("/webhooks/segment", requireSecret("SEGMENT_WEBHOOK_SECRET"), limit, async (c) => {
  const header = c.req.header("x-signature");
  if (!header) return problem(401, "Missing signature", "X-Signature is required");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (!(await verifySegmentSignature(c.env.SEGMENT_WEBHOOK_SECRET, raw, header))) return problem(401, "Invalid signature", "X-Signature does not match the body");
  const parsed = parseBody(raw);
  if (parsed instanceof Response) return parsed;
  const calls = segmentCalls(parsed.body);
  if (!calls) return badFields([{ field: "(body)", message: "a Segment call, { batch: [...] } or an array of calls" }]);
  const out = await ingestSegment(c.env, calls.calls, calls.batch);
  if (!calls.batch) {
    if (out.rejected[0]) return badFields(out.rejected[0].errors);
    if (out.ignored) return c.json({ ok: true, ignored: true }, 200);
    return c.json({ ok: true, contactId: out.contactId, duplicate: out.duplicates > 0 }, 200);
  }
  if (!out.accepted && !out.ignored && out.rejected.length) return badFields(out.rejected.flatMap((r) => r.errors), { rejected: out.rejected });
  return c.json({ accepted: out.accepted, duplicates: out.duplicates, ignored: out.ignored, rejected: out.rejected }, 200);
});
