/**
 * The daily prune of D1: for each kind of record, its oldest rows past retention are archived to R2
 * (./archive.ts) and then deleted, a bounded batch at a time (one UTC day of one kind per object),
 * with a cap per run so one run never holds D1 for long; the next run continues where it stopped.
 */
import type { Settings } from "../settings/schema";
import { archiveRows, type ArchiveRow } from "./archive";
import { IDEMPOTENCY_TTL_MS, keepMs } from "./settings";

/** How one D1 table is pruned. */
export interface D1Kind {
  /** The archive partition (`kind=<kind>/`). */
  kind: string;
  table: string;
  /** Primary key column. */
  key: string;
  /** The instant retention counts from (indexed: migrations/0012_retention.sql). */
  at: string;
  /** Rows with `at` before this are pruned. */
  cutoff: (s: Settings, t: number) => number;
  /** Rows that must stay whatever their age. */
  keep?: string;
  /** Columns the archive never holds: what erasure scrubs (numbers, bodies, user agents, replies, URLs). */
  omit?: readonly string[];
  /** False for dedupe keys and the sandbox's stand-in phone: pruned, never archived. */
  archive?: false;
}

const ago = (kind: Parameters<typeof keepMs>[1]) => (s: Settings, t: number) => t - keepMs(s.retention, kind);

/** Every D1 table that grows, and its rule. Rollups, settings, flows, templates, keys, suppressions and erasures are kept. */
export const D1_KINDS: readonly D1Kind[] = [
  { kind: "messages", table: "messages", key: "id", at: "created_at", cutoff: ago("messages"), omit: ["to", "body"] },
  { kind: "outcomes", table: "outcomes", key: "id", at: "at", cutoff: ago("messages") },
  { kind: "decisions", table: "decisions", key: "id", at: "at", cutoff: ago("decisions") },
  { kind: "clicks", table: "clicks", key: "id", at: "at", cutoff: ago("clicks"), omit: ["user_agent"] },
  // A link goes when it stops working (its `links.ttl` passed): its destination may carry personal data.
  // (The archive leaves out its destination, `link_targets.url`, which a personalised URL may make personal.)
  { kind: "links", table: "links", key: "code", at: "expires_at", cutoff: (_s, t) => t, omit: ["target"] },
  { kind: "flow_runs", table: "flow_runs", key: "id", at: "updated_at", cutoff: ago("runs"), keep: "status = 'active'" },
  { kind: "conversions", table: "conversions", key: "id", at: "at", cutoff: ago("conversions") },
  { kind: "stage_changes", table: "stage_changes", key: "id", at: "at", cutoff: ago("stageHistory") },
  { kind: "consent_changes", table: "consent_changes", key: "id", at: "at", cutoff: ago("consent") },
  { kind: "audit_log", table: "audit_log", key: "id", at: "at", cutoff: ago("audit") },
  { kind: "tasks", table: "tasks", key: "id", at: "done_at", cutoff: ago("tasks"), omit: ["reply"] },
  { kind: "idempotency_keys", table: "idempotency_keys", key: "key", at: "created_at", cutoff: (_s, t) => t - IDEMPOTENCY_TTL_MS, archive: false },
  { kind: "sandbox_messages", table: "sandbox_messages", key: "id", at: "at", cutoff: ago("messages"), archive: false },
];

/** Limits of one run: rows per batch (and per object), batches per kind. */
export interface PruneLimits {
  batch: number;
  batchesPerKind: number;
}

/** Production limits: up to 100,000 rows of each kind per daily run, 500 at a time. */
export const PRUNE_LIMITS: PruneLimits = { batch: 500, batchesPerKind: 200 };

/** What one run did to one kind. */
export interface KindResult {
  deleted: number;
  objects: string[];
  /** True when the run stopped at its cap with rows still due (the next run continues). */
  more: boolean;
}

/** Archive then delete every kind's rows past retention, in bounded batches. */
export async function pruneD1(env: Env, settings: Settings, t: number, limits: PruneLimits = PRUNE_LIMITS): Promise<Record<string, KindResult>> {
  const out: Record<string, KindResult> = {};
  for (const k of D1_KINDS) out[k.kind] = await pruneKind(env, k, k.cutoff(settings, t), limits);
  out.link_targets = await pruneTargets(env, limits);
  return out;
}

/** Destinations no link names any more (their links expired or were erased): deleted in bounded batches, not archived. */
async function pruneTargets(env: Env, limits: PruneLimits): Promise<KindResult> {
  const result: KindResult = { deleted: 0, objects: [], more: false };
  const remove = env.DB.prepare("DELETE FROM link_targets WHERE id IN (SELECT id FROM link_targets t WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.target = t.id) LIMIT ?)");
  for (let i = 0; i < limits.batchesPerKind; i++) {
    const { meta } = await remove.bind(limits.batch).run();
    result.deleted += meta.changes;
    if (meta.changes < limits.batch) return result;
  }
  result.more = true;
  return result;
}

async function pruneKind(env: Env, k: D1Kind, cutoff: number, limits: PruneLimits): Promise<KindResult> {
  const result: KindResult = { deleted: 0, objects: [], more: false };
  const select = env.DB.prepare(
    `SELECT * FROM ${k.table} WHERE ${k.at} < ?${k.keep ? ` AND NOT (${k.keep})` : ""} ORDER BY ${k.at}, ${k.key} LIMIT ?`,
  );
  const remove = env.DB.prepare(`DELETE FROM ${k.table} WHERE ${k.key} IN (SELECT value FROM json_each(?))`);
  for (let i = 0; i < limits.batchesPerKind; i++) {
    const { results } = await select.bind(cutoff, limits.batch).all<ArchiveRow>();
    if (!results.length) return result;
    // One object holds one UTC day: the batch stops at the first row of the next day.
    const firstAt = results[0]![k.at] as number;
    const dayEnd = firstAt - (firstAt % 86_400_000) + 86_400_000;
    const rows = results.filter((r) => (r[k.at] as number) < dayEnd);
    if (k.archive !== false) {
      const kept = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => !k.omit?.includes(c))));
      const { key } = await archiveRows(env.ARCHIVE, k.kind, firstAt, String(rows[0]![k.key]), kept);
      result.objects.push(key);
    }
    const { meta } = await remove.bind(JSON.stringify(rows.map((r) => r[k.key]))).run();
    result.deleted += meta.changes;
  }
  result.more = (await select.bind(cutoff, 1).all()).results.length > 0;
  return result;
}

/** The earliest instant each kind still holds hot, for people asking where older rows went. */
export function hotSince(settings: Settings, t: number): Record<string, string> {
  return Object.fromEntries(D1_KINDS.filter((k) => k.archive !== false).map((k) => [k.kind, new Date(k.cutoff(settings, t)).toISOString()]));
}
