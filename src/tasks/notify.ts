/**
 * Owner notifications used to travel on the notify queue with a home-made signature. They are now
 * outbound webhooks like every other event (src/outbound/): derived from the task's records, signed
 * per Standard Webhooks with TASK_WEBHOOK_SECRET, retried for three days, then dead-lettered. This
 * consumer only hands on jobs still queued from before, under the same webhook-id the records give.
 */
import { now } from "../clock";
import { emitEvents } from "../outbound/deliveries";

/** A notification as the notify queue carried it. */
export interface NotifyJob {
  delivery: string;
  event: "task.created" | "task.breached";
  owner: string;
  task: { id: string; contactId: string; intent: string; reply: string | null; stage: string | null; state: string; slaDueAt: string; source: string };
}

/** Queue handler for the notify queue: each job becomes the owner's outbound webhook (idempotent). */
export async function consumeNotifications(batch: MessageBatch<NotifyJob>, env: Env): Promise<void> {
  await emitEvents(
    env,
    batch.messages.map(({ body: { event, owner, task } }) => ({
      key: `${event}:${task.id}`, type: event, contactId: task.contactId, owner, at: now(),
      data: { ...task, owner, createdAt: null },
    })),
  );
  batch.ackAll();
}
