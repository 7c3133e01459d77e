/**
 * Keys and roles: `Authorization: Bearer <key>` everywhere, and on the Segment ingestion routes also
 * Segment's `Basic base64(<key>:)`. Every route declares the permission it needs; a role is a set of permissions.
 * Keys: the bootstrap OWNER_KEY / INGEST_KEY secrets, and managed keys (src/keys/) looked up in D1
 * with a per-isolate cache.
 */
import type { MiddlewareHandler } from "hono";
import { lookupKey } from "../keys/keys";
import { problem } from "./problem";

/** What a route may need. */
export const PERMISSIONS = [
  "read",
  "events:write",
  "events:browser",
  "messages:send",
  "contacts:write",
  "templates:write",
  "flows:write",
  "tasks:write",
  "settings:write",
  "keys:manage",
] as const;
/** A permission. */
export type Permission = (typeof PERMISSIONS)[number];

/** The roles and their permissions. */
export const ROLES = {
  owner: [...PERMISSIONS],
  editor: ["read", "templates:write", "flows:write", "settings:write"],
  sender: ["read", "messages:send", "contacts:write", "tasks:write"],
  analyst: ["read"],
  ingest: ["events:write"],
  // A public key in a shop's pages: Segment calls from its origins only, restricted (src/events/browser.ts).
  browser: ["events:browser"],
} as const satisfies Record<string, readonly Permission[]>;
/** A role. */
export type Role = keyof typeof ROLES;

/** Variables the auth middleware sets (`browserOrigin`: the Segment edge let a browser key in from it). */
export type AuthVars = { role: Role; keyId: string; browserOrigin?: string };

/** Who a presented key is: its role and id; a browser key also its origins and rate. */
export interface KeyHolder {
  role: Role;
  keyId: string;
  origins?: string[];
  ratePerMinute?: number;
}

/**
 * The key an Authorization header presents: `Bearer <key>`, or with `basic` also Segment's
 * `Basic base64(<key>:)` (the write key is the user name; without the colon too, as Segment allows).
 */
export function presentedKey(header: string, basic: boolean): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const m = basic ? /^Basic\s+([A-Za-z0-9+/=_-]{1,400})$/i.exec(header) : null;
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = atob(m[1]!.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const user = decoded.split(":")[0]!.trim();
  return user || undefined;
}

const encoder = new TextEncoder();

async function sameKey(a: string, b: string): Promise<boolean> {
  // Compare digests so length and content leak nothing through timing.
  const [x, y] = await Promise.all([a, b].map((s) => crypto.subtle.digest("SHA-256", encoder.encode(s))));
  return crypto.subtle.timingSafeEqual(x!, y!);
}

/** The role of a presented key, if it is one of ours: a bootstrap secret or a managed key. */
export async function roleOf(env: Env, key: string, waitUntil?: (p: Promise<unknown>) => void): Promise<KeyHolder | undefined> {
  if (env.OWNER_KEY && (await sameKey(key, env.OWNER_KEY))) return { role: "owner", keyId: "env:OWNER_KEY" };
  if (env.INGEST_KEY && (await sameKey(key, env.INGEST_KEY))) return { role: "ingest", keyId: "env:INGEST_KEY" };
  if (!key.startsWith("tid_") || key.length > 100) return undefined;
  const managed = await lookupKey(env, key, waitUntil);
  if (!managed) return undefined;
  const { id, ...rest } = managed;
  return { ...rest, keyId: id };
}

function waitUntilOf(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined; // no execution context (app.request in a unit test)
  }
}

/** Middleware: the request's key must grant `permission`. */
export function requires(permission: Permission): MiddlewareHandler<{ Bindings: Env; Variables: AuthVars }> {
  return async (c, next) => {
    // Segment's clients send the write key as a Basic user name: accepted where an ingest key is.
    const segment = permission === "events:write";
    const key = presentedKey(c.req.header("authorization") ?? "", segment);
    if (!key) return problem(401, "Unauthorized", segment ? "send an API key as `Authorization: Bearer <key>` or `Basic base64(<key>:)`" : "send an API key as `Authorization: Bearer <key>`");
    const who = await roleOf(c.env, key, waitUntilOf(c));
    if (!who) return problem(401, "Unauthorized", "unknown API key");
    // A browser key writes events only through the Segment edge, which checked its origin and rate.
    const browserCall = segment && who.role === "browser" && c.get("browserOrigin") !== undefined;
    if (!browserCall && !(ROLES[who.role] as readonly Permission[]).includes(permission)) {
      return problem(403, "Forbidden", `the ${who.role} role lacks the ${permission} permission`);
    }
    c.set("role", who.role);
    c.set("keyId", who.keyId);
    await next();
  };
}
