/**
 * Browser keys: a write key that sits in a shop's web pages, so anyone can read it. It is honoured
 * only from its allowed origins, at a rate per client address, and for the calls a page may make
 * (src/events/browser.ts); everywhere else it is refused.
 *
 * The rate limit is a token bucket per (key, client address) in this isolate's memory, bounded to
 * RATE_BUCKETS entries. Not a Durable Object: page views are the busiest traffic Tidings takes, and a
 * DO round trip on each would double the work of every call to meter it exactly; a bucket per
 * isolate bounds what one address can do (Cloudflare spreads one client over few isolates) at no
 * cost. The bucket runs on real time, like the key cache: it meters traffic, not product time.
 */
import { z } from "@hono/zod-openapi";

/** Calls a minute one client address may send with a browser key, unless the key says otherwise. */
export const DEFAULT_RATE_PER_MINUTE = 120;
/** Client addresses (per key) an isolate remembers; the least recently seen is forgotten first. */
export const RATE_BUCKETS = 10_000;

const LOCAL = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** zod schema of an allowed origin: `https://shop.example` (http only for localhost), no path. */
export const Origin = z
  .string()
  .trim()
  .max(200)
  .refine((o) => {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      return false;
    }
    const local = LOCAL.has(u.hostname);
    return (u.protocol === "https:" || (u.protocol === "http:" && local)) && u.origin === o.toLowerCase().replace(/\/$/, "") && !o.endsWith("/");
  }, "an origin such as https://shop.example (scheme, host and port only; http only for localhost)")
  .transform((o) => o.toLowerCase())
  .openapi({ example: "https://shop.example" });

/** Whether a page at `origin` may use a key allowing `origins`. */
export function originAllowed(origins: readonly string[] | undefined, origin: string | undefined): boolean {
  return Boolean(origin && origins?.includes(origin.toLowerCase()));
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per client: `take` says whether a call may go now, or in how many seconds. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly capacity = RATE_BUCKETS) {}

  /**
   * Take `cost` tokens for `client` at `t` (ms) from a bucket of `perMinute`, refilled evenly over a
   * minute. A cost over the bucket (a big batch) takes the whole bucket, so it can still go.
   */
  take(client: string, perMinute: number, t: number, cost = 1): { ok: true } | { ok: false; retryAfterSeconds: number } {
    cost = Math.min(cost, perMinute);
    const b = this.buckets.get(client) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + ((t - b.at) * perMinute) / 60_000);
    b.at = t;
    // Re-inserted so the Map's order is least recently seen first: that one goes when full.
    this.buckets.delete(client);
    if (this.buckets.size >= this.capacity) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(client, b);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((cost - b.tokens) * 60) / perMinute)) };
  }

  /** How many clients are remembered (bounded by the capacity). */
  get size(): number {
    return this.buckets.size;
  }
}
