/**
 * Owner notifications: the notify queue's consumer POSTs each task event to the owner's webhook,
 * signed `X-Tidings-Signature: sha256=<hex HMAC-SHA256 of the body>` with TASK_WEBHOOK_SECRET.
 * `X-Tidings-Delivery` is the same on every retry, so a receiver can drop repeats.
 */
import { getConfig } from "../settings/config";

/** One notification. */
export interface NotifyJob {
  /** Stable per task and event: the idempotency key receivers dedupe on. */
  delivery: string;
  event: "task.created" | "task.breached";
  owner: string;
  task: { id: string; contactId: string; intent: string; reply: string | null; stage: string | null; state: string; slaDueAt: string; source: string };
}

/** hex HMAC-SHA256 of `body` with `secret`. */
export async function signBody(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Queue handler for the notify queue: each delivery acked on a 2xx, retried with backoff otherwise. */
export async function consumeNotifications(batch: MessageBatch<NotifyJob>, env: Env): Promise<void> {
  const owners = (await getConfig(env.DB)).settings.routing.owners;
  for (const msg of batch.messages) {
    const job = msg.body;
    const owner = owners.find((o) => o.id === job.owner);
    if (!owner) {
      console.warn(`owner ${job.owner} has no webhook; notification ${job.delivery} dropped`);
      msg.ack();
      continue;
    }
    const body = JSON.stringify({ event: job.event, delivery: job.delivery, task: job.task });
    try {
      const res = await fetch(owner.webhook, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-tidings-event": job.event,
          "x-tidings-delivery": job.delivery,
          "x-tidings-signature": `sha256=${await signBody(env.TASK_WEBHOOK_SECRET, body)}`,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) msg.ack();
      else msg.retry({ delaySeconds: Math.min(600, 5 * 2 ** msg.attempts) });
    } catch {
      msg.retry({ delaySeconds: Math.min(600, 5 * 2 ** msg.attempts) });
    }
  }
}
