/** `POST/GET/DELETE /v1/keys`: managed API keys with roles (owner only). The key is shown once. */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { ROLES, type Role } from "../http/auth";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
import { newId } from "../ids";
import { DEFAULT_RATE_PER_MINUTE, Origin } from "./browser";
import { KEY_CACHE_TTL_MS, forgetKey, hashKey, newKey } from "./keys";

/** Keys sub-app. */
export const keys = newApp();

const RoleName = z.enum(Object.keys(ROLES) as [Role, ...Role[]]);
const CreateKey = z
  .object({
    name: z.string().trim().min(1).max(80),
    role: RoleName,
    // Browser keys only: the pages that may use the key, and calls a minute per client address.
    origins: z.array(Origin).min(1).max(20).optional(),
    ratePerMinute: z.number().int().min(1).max(6000).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.role === "browser" && !k.origins) ctx.addIssue({ code: "custom", path: ["origins"], message: "a browser key needs the origins of the pages that use it" });
    if (k.role !== "browser") {
      for (const f of ["origins", "ratePerMinute"] as const) {
        if (k[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: "only a browser key has origins and a rate" });
      }
    }
  })
  .openapi("CreateKey", { example: { name: "Shop pages (analytics.js)", role: "browser", origins: ["https://shop.example"], ratePerMinute: 120 } });

interface KeyRow {
  id: string; name: string; role: string; prefix: string; created_by: string; created_at: number; revoked_at: number | null; last_used_at: number | null;
  origins: string | null; rate_per_minute: number | null;
}
const COLUMNS = "id, name, role, prefix, created_by, created_at, revoked_at, last_used_at, origins, rate_per_minute";
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const view = (r: KeyRow) => ({
  id: r.id, name: r.name, role: r.role, prefix: r.prefix, createdBy: r.created_by, createdAt: iso(r.created_at),
  revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
  ...(r.origins ? { origins: JSON.parse(r.origins) as string[], ratePerMinute: r.rate_per_minute } : {}),
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
    const { name, role, origins, ratePerMinute } = c.req.valid("json");
    const key = newKey();
    const hash = await hashKey(key);
    const browser = role === "browser" ? { origins: JSON.stringify([...new Set(origins)]), rate: ratePerMinute ?? DEFAULT_RATE_PER_MINUTE } : undefined;
    const row: KeyRow = {
      id: newId("k"), name, role, prefix: key.slice(0, 8), created_by: c.get("keyId"), created_at: now(), revoked_at: null, last_used_at: null,
      origins: browser?.origins ?? null, rate_per_minute: browser?.rate ?? null,
    };
    await c.env.DB.batch([
      c.env.DB.prepare("INSERT INTO api_keys (id, name, role, hash, prefix, created_by, created_at, origins, rate_per_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(row.id, name, role, hash, row.prefix, row.created_by, row.created_at, row.origins, row.rate_per_minute),
      auditStatement(c, { action: "key.create", target: `key:${row.id}`, after: { name, role, prefix: row.prefix, ...(browser ? { origins: JSON.parse(browser.origins), ratePerMinute: browser.rate } : {}) } }),
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
    const { results } = await c.env.DB.prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC`).all<KeyRow>();
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
    const row = await c.env.DB.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).bind(id).first<KeyRow>();
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
