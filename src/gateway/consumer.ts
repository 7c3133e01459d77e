/**
 * The send queue's consumer: for each message, the contact's DO re-checks the gate and renders, the
 * gateway is called, and the DO records the result. Acked or retried per message.
 */
import { now, realNow } from "../clock";
import type { PreparedLink } from "./types";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { type Sender, chooseSender } from "../senders/settings";
import { type Config, getConfig } from "../settings/config";
import { type Gateway, gatewayFor } from "./gateway";
import { broadcastStatus } from "../broadcasts/fanout";

/** Body of a send-queue message. */
export interface SendJob {
  contactId: string;
  messageId: string;
  /** Where and why (set by the ContactDO), to choose and pace the sender before anything else. */
  to?: string | null;
  purpose?: string;
  /** The send slot this job already holds (epoch ms) and its sender, after a paced re-send. */
  slotAt?: number;
  sender?: string;
  /** The broadcast the message belongs to: a paused one holds it, a cancelled one stops it. */
  broadcast?: string;
  /** When the message expires (a held message is let through to the gate after it). */
  expiresAt?: number;
}

/** How long a paused broadcast's message waits before it asks again. */
const PAUSED_RECHECK_S = 30;

/**
 * A message of a paused or cancelled broadcast does not go on: a paused one comes back later (acked
 * and re-sent with a delay, like pacing), a cancelled one is skipped in its contact's DO.
 */
async function held(env: Env, msg: Message<SendJob>): Promise<boolean> {
  if (!msg.body.broadcast) return false;
  const status = await broadcastStatus(env, msg.body.broadcast);
  // Past its expiry a held message goes on to the gate, which skips it as expired.
  if (status === "paused" && !(msg.body.expiresAt && now() > msg.body.expiresAt)) {
    await env.SEND_QUEUE.send(msg.body, { delaySeconds: PAUSED_RECHECK_S, contentType: "json" });
    msg.ack();
    return true;
  }
  // A message already in doubt (dispatching) is not cancelled: it goes on to be reconciled with the gateway.
  if (status === "cancelled" && (await env.CONTACT.getByName(msg.body.contactId).cancelMessage(msg.body.messageId, `broadcast ${msg.body.broadcast} was cancelled`))) {
    msg.ack();
    return true;
  }
  return false;
}

/** A send place this close (ms) is waited for in the consumer rather than through the queue. */
const NEAR_MS = 1_500;

/**
 * Pace one job: choose its sender, wait for its reserved place, then be admitted for the current
 * second. A job that must wait goes back to the queue with that delay and the original is acked:
 * waiting for a carrier rate is not a failure, and a retry() would burn the retry budget (and push
 * a big broadcast into the dead-letter queue).
 */
async function pace(env: Env, msg: Message<SendJob>, senders: readonly Sender[]): Promise<{ sender?: Sender } | undefined> {
  const job = msg.body;
  if (!senders.length) return {};
  const country = job.to ? parsePhoneNumberFromString(job.to)?.country : undefined;
  const sender = chooseSender(senders, country, job.purpose ?? "transactional");
  if (!sender) return {};
  const book = env.SENDER.getByName(sender.id);
  const slot = job.sender === sender.id && job.slotAt !== undefined ? job.slotAt : await book.reserve(sender.rate);
  let wait = slot - realNow(); // the sender's book paces real seconds
  // A place less than ~1.5 s away is waited for here (wall time, not CPU), then admission decides,
  // which aligns sends with their second; a longer wait goes back to the queue to return just early.
  for (let tries = 0; wait < NEAR_MS && tries < 4; tries++) {
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    wait = await book.admit(sender.rate);
    if (wait === 0) return { sender };
  }
  await env.SEND_QUEUE.send({ ...job, slotAt: realNow() + wait, sender: sender.id }, { delaySeconds: Math.max(1, Math.floor(wait / 1000)), contentType: "json" });
  msg.ack();
  return undefined;
}

/** Exponential backoff with jitter, capped at 10 minutes. */
export function backoffSeconds(attempts: number): number {
  const base = Math.min(600, 5 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Store short links in one D1 batch before their messages reach the gateway (idempotent by code). */
async function storeLinks(env: Env, links: PreparedLink[]): Promise<void> {
  if (!links.length) return;
  // Each destination is stored once (link_targets); a link names it by id.
  const target = env.DB.prepare("INSERT OR IGNORE INTO link_targets (url) VALUES (?)");
  const stmt = env.DB.prepare(
    `INSERT OR IGNORE INTO links (code, message_id, contact_id, target, template_key, flow_key, created_at, expires_at)
      VALUES (?, ?, ?, (SELECT id FROM link_targets WHERE url = ?), ?, ?, ?, ?)`,
  );
  await env.DB.batch([
    ...[...new Set(links.map((l) => l.url))].map((u) => target.bind(u)),
    ...links.map((l) => stmt.bind(l.code, l.messageId, l.contactId, l.url, l.templateKey, l.flowKey, now(), l.expiresAt)),
  ]);
}

/** The gateway a job goes through and its label on the message: "<gateway>" or "<gateway>:<sender id>". */
function route(env: Env, config: Config, sender: Sender | undefined): { gateway: Gateway; via: string } {
  const gateway = gatewayFor(env, config, sender?.gateway);
  return { gateway, via: sender ? `${gateway.name}:${sender.id}` : gateway.name };
}

/** Queue handler for the send queue. */
export async function consumeSends(batch: MessageBatch<SendJob>, env: Env): Promise<void> {
  const config = await getConfig(env.DB);
  const paced = await Promise.all(batch.messages.map(async (msg) => ((await held(env, msg)) ? undefined : pace(env, msg, config.settings.senders.senders))));
  // Prepare every message first, so the batch's short links are stored in one write before any is sent.
  const prepared = await Promise.all(
    batch.messages.map(async (msg, i) => {
      if (!paced[i]) return undefined; // waiting for its slot
      try {
        // The message records the gateway and sender of this attempt, so a lost answer is reconciled with them.
        return await env.CONTACT.getByName(msg.body.contactId).prepareSend(msg.body.messageId, route(env, config, paced[i]!.sender).via);
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
      const sender = paced[i]!.sender;
      try {
        if (prep.action === "drop") return msg.ack();
        if (prep.action === "later") return msg.retry({ delaySeconds: prep.delaySeconds });
        if (prep.action === "reconcile") {
          // The last attempt's answer was lost: ask the gateway that attempt went through (not the one
          // chosen now) before anything is sent again.
          const via = prep.gateway ?? route(env, config, sender).via;
          const gateway = gatewayFor(env, config, via.split(":")[0]);
          const found = await gateway.reconcile({ messageId, to: prep.to, body: prep.body, since: prep.since });
          const status = await contact.recordDispatch(
            messageId,
            found ? { ...found, gateway: via } : { ok: false, transient: true, gateway: via, errorMessage: "not found at the gateway; sending again" },
          );
          return status === "queued" ? msg.retry({ delaySeconds: 1 }) : msg.ack();
        }
        const { gateway, via } = route(env, config, sender);
        const result = await gateway.send({
          messageId, contactId: msg.body.contactId, to: prep.to, body: prep.body, expiresAt: prep.expiresAt,
          from: sender?.from, messagingServiceSid: sender?.messagingServiceSid,
        });
        // The sender chosen is stored on the message: "<gateway>:<sender id>".
        const status = await contact.recordDispatch(messageId, { ...result, gateway: via });
        if (status === "queued") msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
        else msg.ack();
      } catch (err) {
        console.error(`send ${messageId} failed; retrying`, err);
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
      }
    }),
  );
}

/**
 * Queue handler for the send queue's dead letters: a message that never reached the gateway is
 * marked failed on its contact; one whose attempt may have reached it goes to reconciliation.
 */
export async function consumeDeadLetters(batch: MessageBatch<SendJob>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    await env.CONTACT.getByName(msg.body.contactId).recordDeadLetter(msg.body.messageId, `gave up after ${msg.attempts} attempts`);
    msg.ack();
  }
}
