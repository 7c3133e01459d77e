/**
 * Bearer keys and roles. Every route declares the permission it needs; a role is a set of permissions.
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
} as const satisfies Record<string, readonly Permission[]>;
/** A role. */
export type Role = keyof typeof ROLES;

/** Variables the auth middleware sets. */
export type AuthVars = { role: Role; keyId: string };

const encoder = new TextEncoder();

async function sameKey(a: string, b: string): Promise<boolean> {
  // Compare digests so length and content leak nothing through timing.
  const [x, y] = await Promise.all([a, b].map((s) => crypto.subtle.digest("SHA-256", encoder.encode(s))));
  return crypto.subtle.timingSafeEqual(x!, y!);
}

/** The role of a presented key, if it is one of ours: a bootstrap secret or a managed key. */
export async function roleOf(env: Env, key: string, waitUntil?: (p: Promise<unknown>) => void): Promise<{ role: Role; keyId: string } | undefined> {
  if (env.OWNER_KEY && (await sameKey(key, env.OWNER_KEY))) return { role: "owner", keyId: "env:OWNER_KEY" };
  if (env.INGEST_KEY && (await sameKey(key, env.INGEST_KEY))) return { role: "ingest", keyId: "env:INGEST_KEY" };
  if (!key.startsWith("tid_") || key.length > 100) return undefined;
  const managed = await lookupKey(env, key, waitUntil);
  return managed ? { role: managed.role, keyId: managed.id } : undefined;
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
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return problem(401, "Unauthorized", "send an API key as `Authorization: Bearer <key>`");
    const who = await roleOf(c.env, m[1]!, waitUntilOf(c));
    if (!who) return problem(401, "Unauthorized", "unknown API key");
    if (!(ROLES[who.role] as readonly Permission[]).includes(permission)) {
      return problem(403, "Forbidden", `the ${who.role} role lacks the ${permission} permission`);
    }
    c.set("role", who.role);
    c.set("keyId", who.keyId);
    await next();
  };
}
