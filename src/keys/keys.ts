/**
 * Managed API keys: `tid_<32 base-62>`, stored as SHA-256 only. Lookups are cached per isolate for
 * KEY_CACHE_TTL_MS, so a revoked key stops at once in the isolate that revoked it and within the TTL
 * elsewhere; the last-used time is written at most once a minute per key, after the response.
 */
import { now, realNow } from "../clock";
import type { Role } from "../http/auth";

/** How long an isolate trusts a key lookup (a revocation reaches other isolates within this). */
export const KEY_CACHE_TTL_MS = 30_000;
/** Last-used times are written at most this often per key. */
export const LAST_USED_EVERY_MS = 60_000;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A managed key as a request sees it: browser keys carry their allowed origins and rate. */
export interface ManagedKey {
  id: string;
  role: Role;
  origins?: string[];
  ratePerMinute?: number;
}

const cache = new Map<string, { key: ManagedKey | null; at: number }>();
const lastUsed = new Map<string, number>();

/** A new random key (about 190 bits). */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `tid_${[...bytes].map((b) => BASE62[b % 62]).join("")}`;
}

/** The stored form of a key: SHA-256 hex. */
export async function hashKey(key: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Forget cached lookups of a key (after it is created or revoked in this isolate). */
export function forgetKey(hash?: string, id?: string): void {
  if (hash) cache.delete(hash);
  if (id) for (const [h, v] of cache) if (v.key?.id === id) cache.delete(h);
}

/** The managed key a presented key is, if it exists and is not revoked (cached per isolate). */
export async function lookupKey(env: Env, presented: string, waitUntil?: (p: Promise<unknown>) => void): Promise<ManagedKey | undefined> {
  const hash = await hashKey(presented);
  const t = realNow(); // cache ages and the write throttle are real time; the stored time is the clock's
  let hit = cache.get(hash);
  if (!hit || t - hit.at > KEY_CACHE_TTL_MS) {
    const row = await env.DB.prepare("SELECT id, role, origins, rate_per_minute FROM api_keys WHERE hash = ? AND revoked_at IS NULL")
      .bind(hash)
      .first<{ id: string; role: Role; origins: string | null; rate_per_minute: number | null }>();
    const key: ManagedKey | null = row
      ? { id: row.id, role: row.role, ...(row.origins ? { origins: JSON.parse(row.origins) as string[] } : {}), ...(row.rate_per_minute ? { ratePerMinute: row.rate_per_minute } : {}) }
      : null;
    hit = { key, at: t };
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    cache.set(hash, hit);
  }
  const key = hit.key;
  if (!key) return undefined;
  // Last use is bookkeeping: written off the request path, at most once a minute per key and isolate.
  if ((lastUsed.get(key.id) ?? 0) + LAST_USED_EVERY_MS <= t) {
    lastUsed.set(key.id, t);
    const write = env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").bind(now(), key.id).run().catch((err) => console.error("last-used write failed", err));
    if (waitUntil) waitUntil(write);
  }
  return key;
}
