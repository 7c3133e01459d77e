// Managed keys: shown once, stored as SHA-256, revocable at once, with the last-used time.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { hashKey } from "../src/keys/keys";
import { INGEST, api } from "./helpers";

describe("API keys", () => {
  it("creates a key with a role, shows it once and stores only its hash", async () => {
    const r = await api("POST", "/v1/keys", { name: "Dashboard", role: "analyst" });
    expect(r.status).toBe(201);
    expect(r.body.key).toMatch(/^tid_[0-9A-Za-z]{32}$/);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(r.body.id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(r.body.key);
    expect(row!.hash).toBe(await hashKey(r.body.key));
    const list = await api("GET", "/v1/keys");
    expect(JSON.stringify(list.body)).not.toContain(r.body.key);
    expect(list.body.keys.find((k: { id: string }) => k.id === r.body.id)).toMatchObject({ name: "Dashboard", role: "analyst", revokedAt: null });
    expect(list.body.cacheTtlSeconds).toBe(30);
  });

  it("enforces the key's role and records its last use", async () => {
    const { body } = await api("POST", "/v1/keys", { name: "Reader", role: "analyst" });
    expect((await api("GET", "/v1/flows", undefined, { key: body.key })).status).toBe(200);
    const put = await api("PUT", "/v1/templates/nope", { body: "x" }, { key: body.key });
    expect([put.status, put.body.detail]).toEqual([403, "the analyst role lacks the templates:write permission"]);
    await vi.waitFor(async () => {
      const row = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?").bind(body.id).first<{ last_used_at: number | null }>();
      expect(row!.last_used_at).toBeTypeOf("number");
    });
  });

  it("revokes a key: 401 at once, and the revocation is idempotent", async () => {
    const { body } = await api("POST", "/v1/keys", { name: "Temp", role: "sender" });
    expect((await api("GET", "/v1/contacts?limit=1", undefined, { key: body.key })).status).toBe(200);
    const del = await api("DELETE", `/v1/keys/${body.id}`);
    expect([del.status, del.body.changed]).toEqual([200, true]);
    expect((await api("GET", "/v1/contacts?limit=1", undefined, { key: body.key })).status).toBe(401);
    expect((await api("DELETE", `/v1/keys/${body.id}`)).body.changed).toBe(false);
    expect((await api("DELETE", "/v1/keys/k_missing")).status).toBe(404);
  });

  it("lets only owners manage keys; the bootstrap keys keep working", async () => {
    const { body } = await api("POST", "/v1/keys", { name: "Editor", role: "editor" });
    expect((await api("POST", "/v1/keys", { name: "x", role: "owner" }, { key: body.key })).status).toBe(403);
    expect((await api("GET", "/v1/keys", undefined, { key: INGEST })).status).toBe(403);
    expect((await api("POST", "/v1/track", { userId: "u-keys", event: "Ping" }, { key: INGEST })).status).toBe(200);
    const owner = await api("POST", "/v1/keys", { name: "Second owner", role: "owner" });
    expect((await api("GET", "/v1/keys", undefined, { key: owner.body.key })).status).toBe(200);
  });

  it("refuses a bad role or name, naming the field", async () => {
    const r = await api("POST", "/v1/keys", { name: "x", role: "admin" });
    expect([r.status, r.type]).toEqual([400, "application/problem+json"]);
    expect(r.body.errors[0].field).toBe("role");
    expect((await api("POST", "/v1/keys", { name: "", role: "analyst" })).body.errors[0].field).toBe("name");
  });
});
