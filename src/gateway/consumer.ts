/**
 * The send queue's consumer: for each message, the contact's DO re-checks the gate and renders, the
 * gateway is called, and the DO records the result. Acked or retried per message.
 */
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

/** Queue handler for the send queue. */
export async function consumeSends(batch: MessageBatch<SendJob>, env: Env): Promise<void> {
  const gateway = gatewayFor(env, await getConfig(env.DB));
  await Promise.all(
    batch.messages.map(async (msg) => {
      const { contactId, messageId } = msg.body;
      const contact = env.CONTACT.getByName(contactId);
      try {
        const prep = await contact.prepareSend(messageId);
        if (prep.action === "drop") return msg.ack();
        if (prep.action === "later") return msg.retry({ delaySeconds: prep.delaySeconds });
        if (prep.action === "reconcile") {
          // The last attempt's answer was lost: ask the gateway before anything is sent again.
          const found = await gateway.reconcile(messageId);
          const status = await contact.recordDispatch(
            messageId,
            found ?? { ok: false, transient: true, gateway: gateway.name, errorMessage: "not found at the gateway; sending again" },
          );
          return status === "queued" ? msg.retry({ delaySeconds: 1 }) : msg.ack();
        }
        const result = await gateway.send({ messageId, to: prep.to, body: prep.body, expiresAt: prep.expiresAt });
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
