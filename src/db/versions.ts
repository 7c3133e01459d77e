/**
 * Versioned rows (settings sections, flows, templates): every change is a new version, the highest
 * is current, an identical save changes nothing, and every new version bumps `config_version`.
 */
import { now } from "../clock";
import { bumpConfigVersion, invalidateConfig } from "../settings/config";

const TABLES = {
  settings: { key: "section", status: false },
  flows: { key: "key", status: true },
  templates: { key: "key", status: true },
} as const;

/** The current version of a key: its number and JSON body. */
export async function currentVersion(db: D1Database, table: keyof typeof TABLES, key: string): Promise<{ version: number; body: string } | null> {
  return db.prepare(`SELECT version, body FROM ${table} WHERE ${TABLES[table].key} = ? ORDER BY version DESC LIMIT 1`).bind(key).first();
}

/** Save `value` as a new version unless it equals the current one; `extra` statements (an audit row) join its batch. */
export async function saveVersion(
  db: D1Database,
  table: keyof typeof TABLES,
  key: string,
  value: object,
  extra?: (change: { before: string | null; after: string }) => D1PreparedStatement[],
): Promise<{ version: number; changed: boolean }> {
  const body = JSON.stringify(value);
  const current = await currentVersion(db, table, key);
  if (current?.body === body) return { version: current.version, changed: false };
  const k = TABLES[table].key;
  const cols = TABLES[table].status ? `${k}, version, status, body, created_at` : `${k}, version, body, created_at`;
  const vals = TABLES[table].status ? "?, coalesce(max(version), 0) + 1, ?, ?, ?" : "?, coalesce(max(version), 0) + 1, ?, ?";
  const at = now();
  const binds = TABLES[table].status ? [key, (value as { status?: string }).status ?? "active", body, at, key] : [key, body, at, key];
  // One statement computes the next version, so two concurrent saves cannot take the same number.
  const [inserted] = await db.batch([
    db.prepare(`INSERT INTO ${table} (${cols}) SELECT ${vals} FROM ${table} WHERE ${k} = ? RETURNING version`).bind(...binds),
    bumpConfigVersion(db),
    ...(extra?.({ before: current?.body ?? null, after: body }) ?? []),
  ]);
  invalidateConfig();
  return { version: (inserted!.results[0] as { version: number }).version, changed: true };
}
