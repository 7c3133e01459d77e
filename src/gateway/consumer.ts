/**
 * The send queue's consumer: for each message, the contact's DO re-checks the gate and renders, the
 * gateway is called, and the DO records the result. Acked or retried per message.
 */
import { now } from "../clock";
import type { PreparedLink } from "../contacts/contact-do";
import { getConfig } from "../settings/config";
import { gatewayFor } from "./gateway";

/** Body of a send-queue message. */
export interface SendJob {
  contactId: string;
  messageId: string;
}

/** Exponential backoff with jitter, capped at 10 minutes. */
export function backoffSeconds(attempts: number): number {
  const base = Math.min(600, 5 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Store short links in one D1 batch before their messages reach the gateway (idempotent by code). */
async function storeLinks(env: Env, links: PreparedLink[]): Promise<void> {
  if (!links.length) return;
  const stmt = env.DB.prepare(
    "INSERT OR IGNORE INTO links (code, message_id, contact_id, url, template_key, flow_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  await env.DB.batch(links.map((l) => stmt.bind(l.code, l.messageId, l.contactId, l.url, l.templateKey, l.flowKey, now(), l.expiresAt)));
}

/** Queue handler for the send queue. */
export async function consumeSends(batch: MessageBatch<SendJob>, env: Env): Promise<void> {
  const gateway = gatewayFor(env, await getConfig(env.DB));
  // Prepare every message first, so the batch's short links are stored in one write before any is sent.
  const prepared = await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        return await env.CONTACT.getByName(msg.body.contactId).prepareSend(msg.body.messageId);
      } catch (err) {
        console.error(`prepare ${msg.body.messageId} failed; retrying`, err);
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
        return undefined;
      }
    }),
  );
  try {
    await storeLinks(env, prepared.flatMap((p) => (p?.action === "send" ? p.links : [])));
  } catch (err) {
    // Without its links a message must not go: retry them all (they are `dispatching`, so the retry reconciles).
    console.error("storing links failed; retrying the batch", err);
    return batch.retryAll({ delaySeconds: 5 });
  }
  await Promise.all(
    batch.messages.map(async (msg, i) => {
      const { messageId } = msg.body;
      const contact = env.CONTACT.getByName(msg.body.contactId);
      const prep = prepared[i];
      if (!prep) return;
      try {
        if (prep.action === "drop") return msg.ack();
        if (prep.action === "later") return msg.retry({ delaySeconds: prep.delaySeconds });
        if (prep.action === "reconcile") {
          // The last attempt's answer was lost: ask the gateway before anything is sent again.
          const found = await gateway.reconcile({ messageId, to: prep.to, body: prep.body, since: prep.since });
          const status = await contact.recordDispatch(
            messageId,
            found ?? { ok: false, transient: true, gateway: gateway.name, errorMessage: "not found at the gateway; sending again" },
          );
          return status === "queued" ? msg.retry({ delaySeconds: 1 }) : msg.ack();
        }
        const result = await gateway.send({ messageId, contactId: msg.body.contactId, to: prep.to, body: prep.body, expiresAt: prep.expiresAt });
        const status = await contact.recordDispatch(messageId, result);
        if (status === "queued") msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
        else msg.ack();
      } catch (err) {
        console.error(`send ${messageId} failed; retrying`, err);
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
      }
    }),
  );
}

/** Queue handler for the send queue's dead letters: the message is marked failed on its contact. */
export async function consumeDeadLetters(batch: MessageBatch<SendJob>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    await env.CONTACT.getByName(msg.body.contactId).recordDeadLetter(msg.body.messageId, `gave up after ${msg.attempts} attempts`);
    msg.ack();
  }
}
