/**
 * The broadcast fan-out, through the broadcast queue: one message per page of contacts, in id order.
 * A page narrows by stage and consent from the D1 projection, asks each remaining contact's DO,
 * stores what it found under its page number (a redelivered page replaces its own row, and the DO
 * answers a second entry as the first), then queues the next page. Pause and cancel stop the chain;
 * resume continues after the last page stored.
 */
import { now, realNow } from "../clock";
import { configVersion } from "../settings/config";
import type { EntryResult } from "./entry";
import type { BroadcastBody } from "./schema";
import { emitEvents } from "../outbound/deliveries";

/** Body of a broadcast-queue message. */
export interface FanoutJob {
  id: string;
  phase: "dry_run" | "send";
  page: number;
  /** Contacts after this id (exclusive); "" for the first page. */
  after: string;
}

/** Contacts per page. */
export const PAGE = 200;
/** DO calls in flight per page. */
const CONCURRENCY = 25;

/** A broadcast row as the fan-out reads it. */
export interface BroadcastRow {
  id: string;
  status: string;
  dry_run: string | null;
  flow_key: string;
  body: string;
  cursor: string | null;
  page: number;
}

/** The count key of a result: "scheduled", "excluded:segment", "skipped:no_consent:marketing", … */
export const countKey = (r: Pick<EntryResult, "outcome" | "reason">) => (r.outcome === "scheduled" ? "scheduled" : `${r.outcome}:${r.reason}`);

/** Run one page of a fan-out. */
export async function fanoutPage(env: Env, job: FanoutJob): Promise<void> {
  const b = await env.DB.prepare("SELECT * FROM broadcasts WHERE id = ?").bind(job.id).first<BroadcastRow>();
  if (!b) return;
  if (job.phase === "send" ? b.status !== "running" : b.dry_run !== "running") {
    // A redelivered last page of a finished run: its event again (the same key, so nothing new if it was logged).
    if (job.phase === "send" && b.status === "done") await broadcastFinished(env, b, job.page);
    return; // paused, cancelled, or finished
  }
  const body = JSON.parse(b.body) as BroadcastBody & { purpose: string };
  const seg = body.segment;
  const purpose = seg.consent ?? body.purpose;
  const { results: rows } = await env.DB
    .prepare(`SELECT id, json_extract(consent, '$.' || ?) AS consent FROM contacts WHERE id > ? AND stage IN (${seg.stages.map(() => "?").join(",")}) ORDER BY id LIMIT ?`)
    .bind(purpose, job.after, ...seg.stages, PAGE)
    .all<{ id: string; consent: string | null }>();
  const version = await configVersion(env.DB);
  const counts: Record<string, number> = {};
  const add = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const asked: Array<{ id: string; index: number }> = [];
  rows.forEach((r, i) => {
    // Without the consent the message needs (per the projection), no DO call: the gate would say the same.
    if (purpose !== "transactional" && r.consent !== "granted") add(`skipped:${r.consent === "pending" ? "pending_consent" : "no_consent"}:${purpose}`);
    else asked.push({ id: r.id, index: job.page * PAGE + i });
  });
  for (let i = 0; i < asked.length; i += CONCURRENCY) {
    const answers = await Promise.all(
      asked.slice(i, i + CONCURRENCY).map(({ id, index }) =>
        env.CONTACT.getByName(id).broadcast(id, {
          flowKey: b.flow_key, dryRun: job.phase === "dry_run", segment: seg, sendAt: body.sendAt,
          offsetSeconds: body.pace ? Math.floor(index / body.pace) : 0,
        }, version),
      ),
    );
    answers.forEach((a) => add(countKey(a)));
  }
  const last = rows[rows.length - 1]?.id;
  const more = rows.length === PAGE;
  const t = now();
  const statements = [
    env.DB.prepare("INSERT OR REPLACE INTO broadcast_pages (broadcast_id, phase, page, contacts, counts, at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(b.id, job.phase, job.page, rows.length, JSON.stringify(counts), t),
  ];
  if (job.phase === "send") {
    statements.push(
      env.DB.prepare(
        "UPDATE broadcasts SET cursor = coalesce(?, cursor), page = ?, status = CASE WHEN ? THEN status ELSE 'done' END, fanout_done = CASE WHEN ? THEN fanout_done ELSE 1 END, updated_at = ? WHERE id = ? AND status = 'running'",
      ).bind(last ?? null, job.page + 1, more ? 1 : 0, more ? 1 : 0, t, b.id),
    );
  } else if (!more) {
    statements.push(env.DB.prepare("UPDATE broadcasts SET dry_run = 'done', updated_at = ? WHERE id = ?").bind(t, b.id));
  }
  await env.DB.batch(statements);
  if (more && last) await env.BROADCAST_QUEUE.send({ ...job, page: job.page + 1, after: last } satisfies FanoutJob, { contentType: "json" });
  else if (job.phase === "send") await broadcastFinished(env, b, job.page);
}

/** The `broadcast.finished` webhook: every contact was asked. One per broadcast (keyed by its id). */
async function broadcastFinished(env: Env, b: BroadcastRow, lastPage: number): Promise<void> {
  const at = now();
  await emitEvents(env, [{ key: `broadcast.finished:${b.id}`, type: "broadcast.finished", contactId: null, at, data: { broadcastId: b.id, flowKey: b.flow_key, pages: lastPage + 1, at: new Date(at).toISOString() } }]);
}

/** Queue handler for the broadcast queue: a page that fails is retried alone. */
export async function consumeFanout(batch: MessageBatch<FanoutJob>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    try {
      await fanoutPage(env, msg.body);
      msg.ack();
    } catch (err) {
      console.error(`broadcast ${msg.body.id} page ${msg.body.page} failed; retrying`, err);
      msg.retry({ delaySeconds: 5 });
    }
  }
}

/** Statuses of a broadcast, cached briefly per isolate: the send consumer asks for every message it sends. */
const statusCache = new Map<string, { status: string; at: number }>();

/** A broadcast's status (at most 2 s old). */
export async function broadcastStatus(env: Env, id: string): Promise<string | undefined> {
  const hit = statusCache.get(id);
  if (hit && realNow() - hit.at < 2_000) return hit.status; // a cache age: real time
  const row = await env.DB.prepare("SELECT status FROM broadcasts WHERE id = ?").bind(id).first<{ status: string }>();
  if (row) statusCache.set(id, { status: row.status, at: realNow() });
  return row?.status;
}

/** Forget cached statuses (a pause or cancel in this isolate takes effect at once). */
export function forgetStatus(id: string): void {
  statusCache.delete(id);
}
