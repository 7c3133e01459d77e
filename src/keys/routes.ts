/** `POST/GET/DELETE /v1/keys`: managed API keys with roles (owner only). The key is shown once. */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { ROLES, type Role } from "../http/auth";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
import { newId } from "../ids";
import { KEY_CACHE_TTL_MS, forgetKey, hashKey, newKey } from "./keys";

/** Keys sub-app. */
export const keys = newApp();

const RoleName = z.enum(Object.keys(ROLES) as [Role, ...Role[]]);
const CreateKey = z.object({ name: z.string().trim().min(1).max(80), role: RoleName }).strict().openapi("CreateKey", { example: { name: "Analytics dashboard", role: "analyst" } });

interface KeyRow { id: string; name: string; role: string; prefix: string; created_by: string; created_at: number; revoked_at: number | null; last_used_at: number | null }
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const view = (r: KeyRow) => ({
  id: r.id, name: r.name, role: r.role, prefix: r.prefix, createdBy: r.created_by, createdAt: iso(r.created_at),
  revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
});

keys.openapi(
  route("keys:manage", {
    method: "post",
    path: "/keys",
    tags: ["Keys"],
    summary: "Create an API key with a role; the key is in this answer only (stored as SHA-256)",
    request: { body: { required: true, content: { "application/json": { schema: CreateKey } } } },
    responses: { 201: { description: "The key (shown once) and its id" }, ...PROBLEMS },
  }),
  async (c) => {
    const { name, role } = c.req.valid("json");
    const key = newKey();
    const hash = await hashKey(key);
    const row: KeyRow = { id: newId("k"), name, role, prefix: key.slice(0, 8), created_by: c.get("keyId"), created_at: now(), revoked_at: null, last_used_at: null };
    await c.env.DB.batch([
      c.env.DB.prepare("INSERT INTO api_keys (id, name, role, hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(row.id, name, role, hash, row.prefix, row.created_by, row.created_at),
      auditStatement(c, { action: "key.create", target: `key:${row.id}`, after: { name, role, prefix: row.prefix } }),
    ]);
    forgetKey(hash); // a failed attempt with this key may be cached as unknown
    return c.json({ ...view(row), key }, 201);
  },
);

keys.openapi(
  route("keys:manage", {
    method: "get",
    path: "/keys",
    tags: ["Keys"],
    summary: "Every managed key (never the key itself), with its last use",
    responses: { 200: { description: "Keys" }, ...PROBLEMS },
  }),
  async (c) => {
    const { results } = await c.env.DB.prepare("SELECT id, name, role, prefix, created_by, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at DESC").all<KeyRow>();
    return c.json({ keys: results.map(view), cacheTtlSeconds: KEY_CACHE_TTL_MS / 1000 }, 200);
  },
);

keys.openapi(
  route("keys:manage", {
    method: "delete",
    path: "/keys/{id}",
    tags: ["Keys"],
    summary: `Revoke a key: 401 at once in this isolate, within ${KEY_CACHE_TTL_MS / 1000} s everywhere`,
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: { 200: { description: "Revoked (idempotent)" }, 404: { description: "No such key" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await c.env.DB.prepare("SELECT id, name, role, prefix, created_by, created_at, revoked_at, last_used_at FROM api_keys WHERE id = ?").bind(id).first<KeyRow>();
    if (!row) return problem(404, "Key not found", `no key ${id}`);
    forgetKey(undefined, id);
    if (row.revoked_at !== null) return c.json({ ...view(row), changed: false }, 200);
    const at = now();
    await c.env.DB.batch([
      c.env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(at, id),
      auditStatement(c, { action: "key.revoke", target: `key:${id}`, before: { name: row.name, role: row.role, revokedAt: null }, after: { name: row.name, role: row.role, revokedAt: iso(at) } }),
    ]);
    return c.json({ ...view({ ...row, revoked_at: at }), changed: true }, 200);
  },
);
