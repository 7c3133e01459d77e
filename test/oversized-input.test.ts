// An input over its documented size is refused by field at the edge (one call at most 32 KB, a
// contact's traits at most 16 KB, however many identifies or merges built them), never accepted
// into a record that cannot be sent; the rest of a batch, a delivery or an import goes on.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { TRAITS_BYTES, jsonBytes } from "../src/size-limits";
import { INGEST, api, phone, unique } from "./helpers";

const PROBLEM = "application/problem+json";

async function hmac(secret: string, body: string, hash: "SHA-1" | "SHA-256", encoding: "hex" | "base64"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return encoding === "hex" ? [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") : btoa(String.fromCharCode(...mac));
}

/** POST a signed webhook (secrets from .dev.vars.example) and wait for the work done after the answer. */
async function webhook(path: string, body: string, headers: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://tidings.test${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json<any>() };
}

const segment = async (payload: unknown) => {
  const body = JSON.stringify(payload);
  return webhook("/webhooks/segment", body, { "x-signature": await hmac("local_example_segment_shared_secret", body, "SHA-1", "hex") });
};

const contact = async (ref: string) => api("GET", `/v1/contacts/${ref}`);

describe("one call", () => {
  it("refuses an identify with a 200 KB trait, naming it, and stores nothing (not even the phone)", async () => {
    const user = unique("u");
    const to = phone();
    const r = await api("POST", "/v1/identify", { userId: user, traits: { phone: to, firstName: "Ada", notes: "n".repeat(200_000) } }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.type).toBe(PROBLEM);
    expect(r.body.errors).toEqual([{ field: "traits.notes", message: expect.stringContaining("one call may be at most 32.0 KB") }]);
    expect((await contact(`user:${user}`)).status).toBe(404);
    expect((await contact(`phone:${to}`)).status).toBe(404);
  });

  it("refuses a track call over 32 KB by its biggest property, and a one-off send's properties too", async () => {
    const user = unique("u");
    const r = await api("POST", "/v1/track", { userId: user, event: "Note Added", properties: { kind: "memo", text: "t".repeat(40_000) } }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field)).toEqual(["properties.text"]);
    expect((await contact(`user:${user}`)).status).toBe(404);
    const m = await api("POST", "/v1/messages", { to: phone(), template: "any", properties: { blob: "b".repeat(40_000) } });
    expect(m.status).toBe(400);
    expect(m.body.errors.map((e: any) => e.field)).toEqual(["properties.blob"]);
  });

  it("refuses an identify whose traits alone are over 16 KB", async () => {
    const user = unique("u");
    const r = await api("POST", "/v1/identify", { userId: user, traits: { bio: "b".repeat(TRAITS_BYTES), city: "Oslo" } }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ field: "traits.bio", message: expect.stringContaining("a contact's traits may be at most 16.0 KB") }]);
    expect((await contact(`user:${user}`)).status).toBe(404);
  });

  it("rejects the oversized call of a batch by index and accepts the rest", async () => {
    const user = unique("u");
    const r = await api("POST", "/v1/batch", {
      batch: [
        { type: "identify", userId: user, traits: { firstName: "Bea" } },
        { type: "identify", userId: user, traits: { notes: "n".repeat(200_000) } },
        { type: "track", userId: user, event: "Product Viewed" },
      ],
    }, { key: INGEST });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 2, rejected: [{ index: 1, errors: [{ field: "batch.1.traits.notes" }] }] });
    expect((await contact(`user:${user}`)).body.traits).toEqual({ firstName: "Bea" });
  });
});

describe("a contact's traits", () => {
  it("stop growing at 16 KB over many small identifies: the write that would pass the cap is refused by trait, and stores nothing", async () => {
    const user = unique("u");
    const to = phone();
    let refused: any;
    let accepted = 0;
    for (let i = 0; i < 20 && !refused; i++) {
      const r = await api("POST", "/v1/identify", { userId: user, messageId: `${user}-${i}`, traits: { [`note${i}`]: "x".repeat(1_000) } }, { key: INGEST });
      if (r.status === 200) accepted++;
      else refused = { i, ...r };
    }
    expect(accepted).toBe(16);
    expect(refused).toMatchObject({ i: 16, status: 400, type: PROBLEM, body: { errors: [{ field: "traits.note16", message: expect.stringContaining("at most 16.0 KB") }] } });
    const stored = (await contact(`user:${user}`)).body;
    expect(jsonBytes(stored.traits)).toBeLessThanOrEqual(TRAITS_BYTES);
    expect(stored.traits.note16).toBeUndefined();
    expect(stored.recentEvents.map((e: any) => e.messageId)).not.toContain(`${user}-16`);
    // Refused before the phone moves: a full contact does not take a number with a write it refuses.
    const withPhone = await api("POST", "/v1/identify", { userId: user, traits: { phone: to, more: "y".repeat(2_000) } }, { key: INGEST });
    expect(withPhone.body.errors).toEqual([{ field: "traits.more", message: expect.any(String) }]);
    expect((await contact(`phone:${to}`)).status).toBe(404);
    // A write that does not grow the traits still goes through, phone included.
    const smaller = await api("POST", "/v1/identify", { userId: user, traits: { phone: to, note0: "short" } }, { key: INGEST });
    expect(smaller.status).toBe(200);
    expect((await contact(`phone:${to}`)).body.traits.note0).toBe("short");
  });

  it("keep the known contact's traits whole on a merge, and take the anonymous one's only while they fit", async () => {
    const user = unique("u");
    const anon = unique("a");
    await api("POST", "/v1/identify", { anonymousId: anon, traits: { city: "Oslo", draft: "d".repeat(5_000), plan: "trial" } }, { key: INGEST });
    await api("POST", "/v1/identify", { userId: user, traits: { plan: "pro", history: "h".repeat(12_000) } }, { key: INGEST });
    const r = await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} }, { key: INGEST });
    expect(r.status).toBe(200);
    const merged = (await contact(`user:${user}`)).body;
    expect(merged.traits).toEqual({ plan: "pro", history: "h".repeat(12_000), city: "Oslo" });
    expect(jsonBytes(merged.traits)).toBeLessThanOrEqual(TRAITS_BYTES);
  });

  it("refuse an import row that would pass the cap as that row's error, and apply the others", async () => {
    const user = unique("u");
    const rows = [
      { userId: user, traits: { a: "a".repeat(9_000) } },
      { userId: user, traits: { b: "b".repeat(9_000) } },
      { userId: user, traits: { c: "c" } },
      { userId: user, traits: { notes: "n".repeat(40_000) } },
    ];
    const res = await importNdjson("/v1/contacts/import", rows.map((r) => JSON.stringify(r)).join("\n"));
    expect(res.body).toMatchObject({ rows: 4, accepted: 3, rejected: 1, errors: [{ line: 4, field: "traits.notes" }] });
    let status: any;
    for (let i = 0; i < 200 && status?.status !== "done"; i++) {
      status = (await api("GET", `/v1/imports/${res.body.importId}`)).body;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toMatchObject({ status: "done", applied: 2, failed: 1 });
    expect(status.errors).toContainEqual({ line: 2, field: "traits.b", message: expect.stringContaining("at most 16.0 KB") });
    expect((await contact(`user:${user}`)).body.traits).toEqual({ a: "a".repeat(9_000), c: "c" });
  });
});

describe("webhooks, per event", () => {
  it("Segment: rejects the oversized call of a batch by index and ingests the others", async () => {
    const user = unique("u");
    const r = await segment({
      batch: [
        { type: "track", userId: user, event: "Product Viewed", messageId: unique("m") },
        { type: "track", userId: user, event: "Note Added", messageId: unique("m"), properties: { text: "t".repeat(40_000) } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, errors: [{ field: "batch.1.properties.text" }] }] });
    const one = await segment({ type: "identify", userId: unique("u"), messageId: unique("m"), traits: { notes: "n".repeat(200_000) } });
    expect(one).toMatchObject({ status: 400, type: PROBLEM, body: { errors: [{ field: "traits.notes" }] } });
  });

  it("Shopify: refuses an order whose event would be over 32 KB, naming the field, and creates no contact", async () => {
    const customer = String(7_000_000_000_000 + Math.floor(Math.random() * 1e12));
    const order = {
      id: 5_000_000_000_001, name: "#1001", total_price: "10.00", currency: "USD", created_at: "2026-11-24T17:00:00Z",
      customer: { id: customer, phone: phone(), first_name: "Big" },
      line_items: Array.from({ length: 400 }, (_, i) => ({ product_id: i, title: `A rather long product title number ${i}`, price: "1.00", quantity: 1, sku: `SKU-${i}` })),
    };
    const body = JSON.stringify(order);
    const r = await webhook("/webhooks/shopify", body, {
      "x-shopify-topic": "orders/create",
      "x-shopify-event-id": crypto.randomUUID(),
      "x-shopify-hmac-sha256": await hmac("local_example_shopify_webhook_secret", body, "SHA-256", "base64"),
    });
    expect(r.status).toBe(400);
    expect(r.type).toBe(PROBLEM);
    expect(r.body.errors).toEqual([{ field: "properties.products", message: expect.stringContaining("Order Completed") }]);
    expect((await contact(`shopify:${customer}`)).status).toBe(404);
  });
});

/** POST an NDJSON import. */
async function importNdjson(path: string, body: string) {
  return api("POST", path, undefined, { raw: body, headers: { "content-type": "application/x-ndjson" } });
}
