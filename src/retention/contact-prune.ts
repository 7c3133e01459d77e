/**
 * A ContactDO prunes its own growing tables past retention, each with a bounded DELETE (never one huge
 * statement), on its alarm at most once a day per live instance, and whenever the daily sweep calls its
 * `prune()` (a contact that never wakes). Nothing here is archived: what the contact holds in these
 * tables is a copy of what its records put in D1, and D1's copy is archived before it is pruned
 * (./d1-prune.ts). The consent ledger, flags, timers and the live outbox are never pruned; the event
 * log has its own cap (EVENT_LOG_LIMIT).
 */
import type { ContactStore } from "../contacts/store";
import type { Settings } from "../settings/schema";
import { keepMs } from "./settings";

/** Rows deleted per table per call: the work of one call stays small whatever the contact's age. */
export const CONTACT_PRUNE_BATCH = 200;

/** A message that may still go (or is waiting on a timer) is never pruned. */
const LIVE_MESSAGE = "status IN ('pending', 'deferred', 'queued', 'dispatching', 'dispatch_unknown') OR id IN (SELECT ref FROM timers)";
/** Dedupe keys that are state, not history: number ownership, an attempt in doubt, the HELP rate limit. */
const STATE_KEYS = "key LIKE 'lost:%' OR key LIKE 'dispatched:%' OR key = 'help_reply' OR key = 'pruned'";

/** What one prune deleted, per table, and whether rows past retention remain (call again). */
export interface ContactPruneResult {
  deleted: Record<string, number>;
  more: boolean;
}

/** Each table's rule: rows matching `where` (with the cutoff bound to `?`) go, oldest first. */
function rules(s: Settings, t: number): Array<{ table: string; where: string; order: string; cutoff: number }> {
  const before = (kind: Parameters<typeof keepMs>[1]) => t - keepMs(s.retention, kind);
  return [
    { table: "messages", where: `created_at < ? AND NOT (${LIVE_MESSAGE})`, order: "created_at", cutoff: before("messages") },
    { table: "decisions", where: "at < ?", order: "at", cutoff: before("decisions") },
    // Each flow's last run stays: re-entry ("never", or a gap) is decided from it.
    { table: "runs", where: "status <> 'active' AND coalesce(ended_at, started_at) < ? AND started_at < (SELECT max(r.started_at) FROM runs r WHERE r.flow_key = runs.flow_key)", order: "started_at", cutoff: before("runs") },
    // The current stage's entry stays: the view and the dormant rule read it.
    { table: "stage_history", where: "at < ? AND seq < (SELECT max(seq) FROM stage_history)", order: "seq", cutoff: before("stageHistory") },
    { table: "seen", where: `at < ? AND NOT (${STATE_KEYS})`, order: "at", cutoff: before("seen") },
    { table: "tasks", where: "state = 'done' AND done_at < ?", order: "done_at", cutoff: before("tasks") },
    { table: "outbox_aside", where: "at < ?", order: "at", cutoff: before("messages") },
  ];
}

/**
 * Delete up to CONTACT_PRUNE_BATCH rows of each table past retention. Synchronous: the caller runs
 * it in one `transactionSync`. Notes the oldest instant still complete in `seen` ('pruned') so the
 * timeline can say where older history went.
 */
export function pruneContact(store: ContactStore, s: Settings, t: number, batch = CONTACT_PRUNE_BATCH): ContactPruneResult {
  const deleted: Record<string, number> = {};
  let more = false;
  let total = 0;
  for (const r of rules(s, t)) {
    // Counted by RETURNING, not rowsWritten (which counts index rows too).
    const n = store.all(`DELETE FROM ${r.table} WHERE rowid IN (SELECT rowid FROM ${r.table} WHERE ${r.where} ORDER BY ${r.order} LIMIT ?) RETURNING 1`, r.cutoff, batch).length;
    if (n) deleted[r.table] = n;
    total += n;
    if (n >= batch) more = true;
  }
  if (total) {
    const since = t - keepMs(s.retention, "messages");
    store.run("INSERT INTO seen (key, at) VALUES ('pruned', ?) ON CONFLICT(key) DO UPDATE SET at = max(at, excluded.at)", since);
  }
  return { deleted, more };
}

const lastPrune = new WeakMap<ContactStore, number>();

/** Whether a live contact should prune now: at most once a day per instance (the alarm asks; the sweep does not). */
export function pruneDue(store: ContactStore, t: number): boolean {
  const last = lastPrune.get(store);
  if (last !== undefined && t - last < 86_400_000) return false;
  lastPrune.set(store, t);
  return true;
}
