/**
 * The outbox: what a ContactDO's transactions queued for the send, notify and records queues, sent
 * after the commit. Each queue is flushed on its own, so an outage or a bad row on one never holds
 * another back (a records failure never delays a text), and its rows are cut into sendBatch calls
 * by bytes inside the Queues limits. A row that can never be sent (not JSON, over the per-message
 * limit, or failing alone while its queue takes other rows) is set aside: kept in `outbox_aside`,
 * logged and counted on the contact, instead of blocking the rows behind it. Sent rows are deleted
 * right after their batch, so a flush that runs twice (an alarm firing twice) sends nothing twice.
 */
import { now } from "../clock";
import { QUEUE_MESSAGE_BYTES, QUEUE_MESSAGE_OVERHEAD, cutBatches, kb, utf8Bytes } from "../size-limits";
import type { ContactStore } from "./store";

/** Times a row may fail alone, while its queue takes other rows, before it is set aside. */
export const OUTBOX_ATTEMPTS = 3;
/** Set-aside rows a contact keeps (its count keeps growing); the oldest go first. */
const ASIDE_KEPT = 100;
/** Rows read at a time. */
const PAGE = 200;
/** Single rows failing one after another with none taken: the queue itself is down. */
const DOWN_AFTER = 3;

interface StoredRow {
  seq: number;
  body: string;
  attempts: number;
}

interface Row extends StoredRow {
  value: unknown;
  bytes: number;
}

/** How one queue's flush is going: whether the queue took any row, and the rows that failed before it did. */
interface Progress {
  took: boolean;
  misses: number;
  suspects: Array<{ row: Row; err: unknown }>;
}

/** One queue's sendBatch: the ContactDO passes its Queue bindings' (`(b) => env.SEND_QUEUE.sendBatch(b)`). */
export type SendBatch = (messages: Array<{ body: unknown; contentType: "json" }>) => Promise<unknown>;

/** One contact's outbox, sent to the Worker's queues; flushes run one at a time (an RPC and the alarm may both ask). */
export class OutboxSender {
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: ContactStore,
    private readonly env: Env,
  ) {}

  /** Send what the outbox holds, after any flush already running. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const env = this.env;
    const mine = flushOutbox(this.store, {
      send: (b) => env.SEND_QUEUE.sendBatch(b),
      notify: (b) => env.NOTIFY_QUEUE.sendBatch(b),
      records: (b) => env.RECORDS_QUEUE.sendBatch(b),
    });
    this.flushing = mine;
    try {
      await mine;
    } finally {
      if (this.flushing === mine) this.flushing = undefined;
    }
  }
}

/** Send every queue's rows, in the order given (the send queue first); each queue's failure is logged and left to the alarm. */
export async function flushOutbox(store: ContactStore, queues: Record<string, SendBatch>): Promise<void> {
  for (const r of store.all<StoredRow & { queue: string }>("SELECT seq, queue, body, attempts FROM outbox WHERE queue NOT IN (SELECT value FROM json_each(?))", JSON.stringify(Object.keys(queues)))) {
    setAside(store, r.queue, r, `no queue named ${r.queue}`);
  }
  for (const [name, queue] of Object.entries(queues)) {
    try {
      await flushQueue(store, name, queue);
    } catch (err) {
      console.error(`outbox: flushing ${name} failed; the alarm retries`, err);
    }
  }
}

async function flushQueue(store: ContactStore, name: string, queue: SendBatch): Promise<void> {
  const progress: Progress = { took: false, misses: 0, suspects: [] };
  for (let after = 0; ; ) {
    const page = store.all<StoredRow>("SELECT seq, body, attempts FROM outbox WHERE queue = ? AND seq > ? ORDER BY seq LIMIT ?", name, after, PAGE);
    if (!page.length) return;
    after = page[page.length - 1]!.seq;
    const rows: Row[] = [];
    for (const r of page) {
      try {
        rows.push({ ...r, value: JSON.parse(r.body), bytes: utf8Bytes(r.body) });
      } catch {
        setAside(store, name, r, "not JSON");
      }
    }
    const { batches, tooBig } = cutBatches(rows);
    for (const r of tooBig) {
      setAside(store, name, r, `${kb(r.bytes)} is over the ${QUEUE_MESSAGE_BYTES / 1000} KB a queue message may carry (${QUEUE_MESSAGE_OVERHEAD} bytes of it metadata)`);
    }
    for (const batch of batches) {
      if (!(await deliver(store, name, queue, batch, progress))) {
        console.error(`outbox: the ${name} queue refused every row; the alarm retries`, progress.suspects.at(-1)?.err);
        return;
      }
    }
  }
}

/**
 * Send one batch. When it fails, halve it until the rows that fail alone are found; false when
 * the queue seems down (rows keep failing alone and none was taken), so the flush stops there.
 */
async function deliver(store: ContactStore, name: string, queue: SendBatch, batch: Row[], progress: Progress): Promise<boolean> {
  try {
    await queue(batch.map((r) => ({ body: r.value, contentType: "json" as const })));
  } catch (err) {
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      return (await deliver(store, name, queue, batch.slice(0, half), progress)) && deliver(store, name, queue, batch.slice(half), progress);
    }
    if (progress.took) {
      fault(store, name, batch[0]!, err);
      return true;
    }
    progress.suspects.push({ row: batch[0]!, err });
    return ++progress.misses < DOWN_AFTER;
  }
  store.run("DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))", JSON.stringify(batch.map((r) => r.seq)));
  // The queue is up: the rows that failed alone before are at fault themselves.
  if (!progress.took) for (const s of progress.suspects) fault(store, name, s.row, s.err);
  Object.assign(progress, { took: true, misses: 0, suspects: [] });
  return true;
}

/** A row failed alone while its queue took others: counted, and set aside once it has failed too often. */
function fault(store: ContactStore, name: string, row: Row, err: unknown): void {
  const attempts = row.attempts + 1;
  if (attempts < OUTBOX_ATTEMPTS) store.run("UPDATE outbox SET attempts = ? WHERE seq = ?", attempts, row.seq);
  else setAside(store, name, { ...row, attempts }, `failed ${attempts} times while the queue took other rows: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Move a row out of the outbox into `outbox_aside`, count it on the contact and log it. A send row
 * set aside fails its message, so the message says why it never went. No await in between: the
 * statements commit together.
 */
function setAside(store: ContactStore, name: string, row: StoredRow, reason: string): void {
  const bytes = utf8Bytes(row.body);
  store.run(
    "INSERT OR REPLACE INTO outbox_aside (seq, queue, body, bytes, reason, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    row.seq, name, row.body, bytes, reason, row.attempts, now(),
  );
  store.run("DELETE FROM outbox WHERE seq = ?", row.seq);
  store.run("DELETE FROM outbox_aside WHERE seq NOT IN (SELECT seq FROM outbox_aside ORDER BY seq DESC LIMIT ?)", ASIDE_KEPT);
  const contact = store.contact();
  store.run("UPDATE contact SET set_aside = set_aside + 1");
  console.error(`outbox: set aside a ${name} row of ${kb(bytes)} for contact ${contact?.id}: ${reason}`);
  if (name !== "send" || !contact) return;
  let messageId: unknown;
  try {
    messageId = (JSON.parse(row.body) as { messageId?: unknown }).messageId;
  } catch {
    return;
  }
  const m = store.first<{ status: string }>("SELECT status FROM messages WHERE id = ?", messageId);
  if (m?.status === "queued") store.touchMessage(String(messageId), { status: "failed", error_code: "set_aside", error_message: `its send job was set aside: ${reason}` });
}

/** What the contact view shows of the outbox: rows waiting, rows set aside (with the newest few). */
export function outboxView(store: ContactStore) {
  const pending = store.first<{ n: number }>("SELECT count(*) AS n FROM outbox")!.n;
  const recent = store.all<{ queue: string; bytes: number; reason: string; attempts: number; at: number }>(
    "SELECT queue, bytes, reason, attempts, at FROM outbox_aside ORDER BY seq DESC LIMIT 5",
  );
  return {
    pending,
    setAside: store.contact()?.set_aside ?? 0,
    recentSetAside: recent.map((r) => ({ queue: r.queue, bytes: r.bytes, reason: r.reason, attempts: r.attempts, at: new Date(r.at).toISOString() })),
  };
}
