/**
 * Outbound webhook deliveries: each event becomes one `webhook_deliveries` row per endpoint that
 * wants it (id derived from the endpoint and the event, so a redelivered record adds nothing), then a
 * `{ delivery }` job on the webhooks queue. The consumer signs and POSTs the row's payload, logs the
 * answer, and retries on the schedule below (just over three days) before dead-lettering it.
 */
import { now } from "../clock";
import { type Config, getConfig, loadConfig } from "../settings/config";
import type { Settings } from "../settings/schema";
import type { RecordMessage } from "../records/types";
import { EVENT_VERSION, type OutboundEvent, eventsOfRecords } from "./events";
import { secretKey } from "./settings";
import { digest, signatureHeader } from "./signature";

/** A job on the webhooks queue (and its dead-letter queue): the delivery row to send. */
export interface WebhookJob {
  delivery: string;
}

/** Seconds to wait after the n-th failed attempt (Queues delay at most 12 h): 12 attempts over 3 days 5 h. */
export const RETRY_DELAYS = [5, 300, 1_800, 7_200, 18_000, 36_000, 43_200, 43_200, 43_200, 43_200, 43_200] as const;
/** Attempts before a delivery is dead-lettered. */
export const MAX_ATTEMPTS = RETRY_DELAYS.length + 1;
/** Delivered rows are kept this long, failed ones (to replay) longer; pending ones until they settle. */
export const KEEP_DELIVERED_MS = 7 * 86_400_000;
export const KEEP_FAILED_MS = 30 * 86_400_000;
/** An answer is kept up to this many characters. */
const ANSWER_CHARS = 500;
/** A job that arrives this much before its row's next attempt is a second copy: the first one is waiting. */
const EARLY_MS = 2_000;

/** A row of `webhook_deliveries`. */
export interface DeliveryRow {
  id: string;
  webhook_id: string;
  endpoint: string;
  type: string;
  contact_id: string | null;
  payload: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_answer: string | null;
  next_at: number | null;
  created_at: number;
  delivered_at: number | null;
  updated_at: number;
}

/** Endpoint ids that get `e`: configured endpoints subscribed to its type, and a task's owner (`owner:<id>`). */
export function endpointsFor(settings: Settings, e: OutboundEvent): string[] {
  const ids = settings.webhooks.endpoints.filter((ep) => ep.enabled && (ep.events.includes("*") || ep.events.includes(e.type))).map((ep) => ep.id);
  // Owners keep getting their tasks' notifications, as before, now on this mechanism.
  if ((e.type === "task.created" || e.type === "task.breached") && e.owner && settings.routing.owners.some((o) => o.id === e.owner)) ids.push(`owner:${e.owner}`);
  return ids;
}

/** Where a delivery goes and the keys that sign it, or why it cannot go (final: no retry helps). */
type Target = { url: string; keys: Uint8Array[] } | { refused: string };

function targetOf(env: Env, settings: Settings, endpoint: string): Target {
  if (endpoint.startsWith("owner:")) {
    const owner = settings.routing.owners.find((o) => o.id === endpoint.slice(6));
    if (!owner) return { refused: `owner ${endpoint.slice(6)} is no longer in settings.routing.owners` };
    // Secure by default: no secret, no notification (the row fails and can be replayed once it is set).
    const secret = env.TASK_WEBHOOK_SECRET;
    if (!secret) return { refused: "TASK_WEBHOOK_SECRET is not configured" };
    return { url: owner.webhook, keys: [secretKey(secret) ?? new TextEncoder().encode(secret)] };
  }
  const ep = settings.webhooks.endpoints.find((x) => x.id === endpoint);
  if (!ep) return { refused: `endpoint ${endpoint} is no longer in settings.webhooks` };
  if (!ep.enabled) return { refused: `endpoint ${endpoint} is disabled` };
  return { url: ep.url, keys: ep.secrets.map((s) => secretKey(s)!) };
}

/** Log `events` for their endpoints and queue what is new (or was logged but never tried). Idempotent. */
export async function emitEvents(env: Env, events: OutboundEvent[], config?: Config): Promise<void> {
  if (!events.length) return;
  const settings = (config ?? (await getConfig(env.DB))).settings;
  if (!settings.webhooks.endpoints.length && !settings.routing.owners.length) return;
  const at = now();
  const rows: unknown[][] = [];
  for (const e of events) {
    const endpoints = endpointsFor(settings, e);
    if (!endpoints.length) continue;
    const webhookId = `msg_${await digest(e.key)}`;
    const payload = JSON.stringify({ type: e.type, version: EVENT_VERSION, timestamp: new Date(e.at).toISOString(), data: e.data });
    for (const ep of endpoints) rows.push([`whd_${await digest(`${ep}|${webhookId}`)}`, webhookId, ep, e.type, e.contactId, payload]);
  }
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    const [, fresh] = await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO webhook_deliveries (id, webhook_id, endpoint, type, contact_id, payload, status, attempts, next_at, created_at, updated_at)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', 0, ?1, ?1, ?1 FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO NOTHING`,
      ).bind(at, JSON.stringify(chunk)),
      // New rows, and rows a failed earlier run logged but never queued: a job for each.
      env.DB.prepare("SELECT id FROM webhook_deliveries WHERE id IN (SELECT value ->> 0 FROM json_each(?)) AND status = 'pending' AND attempts = 0").bind(JSON.stringify(chunk)),
    ]);
    const ids = (fresh!.results as Array<{ id: string }>).map((r) => r.id);
    if (ids.length) await env.WEBHOOKS_QUEUE.sendBatch(ids.map((id) => ({ body: { delivery: id } satisfies WebhookJob, contentType: "json" as const })));
  }
}

/** The events a records batch means, logged and queued (the records consumer calls this after its D1 batch). */
export async function emitRecordEvents(env: Env, records: RecordMessage[]): Promise<void> {
  await emitEvents(env, eventsOfRecords(records));
}

/** POST a delivery, signed; the answer's status (0: no answer) and its first characters. */
async function post(target: { url: string; keys: Uint8Array[] }, row: DeliveryRow, at: number): Promise<{ ok: boolean; status: number; answer: string }> {
  const timestamp = Math.floor(at / 1000);
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Tidings-Webhooks/1",
        "webhook-id": row.webhook_id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signatureHeader(target.keys, row.webhook_id, timestamp, row.payload),
      },
      body: row.payload,
      // A redirect is an answer to log, not a place to send a signed body to.
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await res.text()).slice(0, ANSWER_CHARS);
    return { ok: res.status >= 200 && res.status < 300, status: res.status, answer };
  } catch (err) {
    return { ok: false, status: 0, answer: String(err).slice(0, ANSWER_CHARS) };
  }
}

/** One attempt at one job: acked when settled (or a stale copy), retried on the schedule otherwise. */
async function attempt(env: Env, settings: Settings, msg: Message<WebhookJob>): Promise<void> {
  const row = await env.DB.prepare("SELECT * FROM webhook_deliveries WHERE id = ?").bind(msg.body.delivery).first<DeliveryRow>();
  if (!row || row.status !== "pending") return msg.ack();
  const at = now();
  if (row.next_at !== null && at < row.next_at - EARLY_MS) return msg.ack();
  let target = targetOf(env, settings, row.endpoint);
  // This isolate's settings may be a moment old (an endpoint just added): read them again before refusing.
  if ("refused" in target) target = targetOf(env, (await loadConfig(env.DB)).settings, row.endpoint);
  const res = "refused" in target ? { ok: false, status: 0, answer: target.refused } : await post(target, row, at);
  const attempts = row.attempts + 1;
  const log = env.DB.prepare(
    "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_answer = ?, next_at = ?, delivered_at = ?, updated_at = ? WHERE id = ?",
  );
  if (res.ok) {
    await log.bind("delivered", attempts, res.status, res.answer, null, at, at, row.id).run();
    return msg.ack();
  }
  if ("refused" in target || attempts >= MAX_ATTEMPTS) {
    await log.bind("failed", attempts, res.status, res.answer, null, null, at, row.id).run();
    // Exhausted: to the dead-letter queue, which logs it. A refusal (no endpoint, no secret) waits for a replay instead.
    if (!("refused" in target)) await env.WEBHOOKS_DLQ.send({ delivery: row.id } satisfies WebhookJob, { contentType: "json" });
    return msg.ack();
  }
  const delay = RETRY_DELAYS[attempts - 1]!;
  await log.bind("pending", attempts, res.status, res.answer, at + delay * 1000, null, at, row.id).run();
  msg.retry({ delaySeconds: delay });
}

/** Queue handler for the webhooks queue: every job of the batch at once, each settled on its own. */
export async function consumeWebhooks(batch: MessageBatch<WebhookJob>, env: Env): Promise<void> {
  const { settings } = await getConfig(env.DB);
  await Promise.all(
    batch.messages.map((msg) =>
      attempt(env, settings, msg).catch((err) => {
        console.error(`webhook delivery ${msg.body.delivery} could not be attempted; retrying`, err);
        msg.retry({ delaySeconds: 30 });
      }),
    ),
  );
}

/** Queue handler for the webhooks dead-letter queue: the delivery is logged failed (replayable). */
export async function consumeWebhookDeadLetters(batch: MessageBatch<WebhookJob>, env: Env): Promise<void> {
  const at = now();
  for (const msg of batch.messages) {
    // attempts > 0: a delivery replayed in the meantime (attempts back to 0) is left alone.
    await env.DB.prepare("UPDATE webhook_deliveries SET status = 'failed', next_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts > 0")
      .bind(at, msg.body.delivery)
      .run();
    console.error(`webhook delivery ${msg.body.delivery} dead-lettered; replay it from the console or POST /v1/webhooks/deliveries/${msg.body.delivery}/replay`);
    msg.ack();
  }
}

/** Send a delivery again (same webhook-id, fresh schedule); undefined when there is no such delivery. */
export async function replayDelivery(env: Env, id: string): Promise<DeliveryRow | undefined> {
  const at = now();
  const row = await env.DB.prepare("UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = ?, delivered_at = NULL, updated_at = ? WHERE id = ? RETURNING *")
    .bind(at, at, id)
    .first<DeliveryRow>();
  if (row) await env.WEBHOOKS_QUEUE.send({ delivery: id } satisfies WebhookJob, { contentType: "json" });
  return row ?? undefined;
}

/**
 * Retention of the delivery log: delivered rows older than 7 days and failed ones older than 30 days
 * (by their last change) are deleted, at most `limit` per call, so a daily prune stays bounded.
 * Pending rows are never pruned (their schedule ends within 4 days). Returns the rows deleted.
 */
export async function pruneWebhookDeliveries(db: D1Database, at: number, limit = 5_000): Promise<number> {
  const res = await db
    .prepare(
      `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
       WHERE (status = 'delivered' AND updated_at < ?) OR (status = 'failed' AND updated_at < ?) LIMIT ?)`,
    )
    .bind(at - KEEP_DELIVERED_MS, at - KEEP_FAILED_MS, limit)
    .run();
  return res.meta.changes ?? 0;
}
