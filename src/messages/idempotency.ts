/**
 * Idempotency-Keys for one-off sends: one key space per deployment (one brand), not per contact, so
 * the same key can never send twice — with a different `to` it answers 422 instead. Each key keeps
 * the fingerprint of the request that first used it, for 24 hours.
 */

/** How long a key is remembered; an older one is forgotten when read (pruning is separate). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** JSON with object keys sorted, so the same request written in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** SHA-256 (hex) of a request body in canonical JSON. */
export async function fingerprint(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical(value)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A key as stored: the first request's fingerprint, its contact once known, and when it was first used. */
export interface KeyClaim {
  fingerprint: string;
  contactId: string | null;
  createdAt: number;
}

/**
 * Claim `key` for a request (or find who holds it): one D1 batch that inserts the key, or takes over
 * a row past its retention, then reads the row. The caller compares fingerprints: a different one
 * is a conflict; the same one is the same request (replayed, or racing its twin).
 */
export async function claimKey(db: D1Database, key: string, print: string, at: number): Promise<KeyClaim> {
  const [, read] = await db.batch<KeyClaim>([
    db
      .prepare(
        `INSERT INTO idempotency_keys (key, fingerprint, contact_id, created_at) VALUES (?1, ?2, NULL, ?3)
         ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, contact_id = NULL, created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= ?4`,
      )
      .bind(key, print, at, at - IDEMPOTENCY_TTL_MS),
    db.prepare("SELECT fingerprint, contact_id AS contactId, created_at AS createdAt FROM idempotency_keys WHERE key = ?").bind(key),
  ]);
  return read!.results[0]!;
}

/** Remember which contact a claimed key's request went to (once; a replay goes to the same contact). */
export async function noteKeyContact(db: D1Database, key: string, claim: KeyClaim, contactId: string): Promise<void> {
  await db.prepare("UPDATE idempotency_keys SET contact_id = ? WHERE key = ? AND created_at = ? AND contact_id IS NULL").bind(contactId, key, claim.createdAt).run();
}
