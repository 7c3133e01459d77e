/**
 * Browser keys: a write key in a shop's pages is public, so it is honoured only from its allowed
 * origins (CORS answered accordingly), at a rate per client address, for what a page may send
 * (events, traits without a phone, no alias, no consent events, no merge), and nowhere else.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RateLimiter } from "../src/keys/browser";
import { api, unique } from "./helpers";

const SHOP = "https://shop.example";
let key: string;

/** A call as analytics.js sends it from a page at `origin`: text/plain, the write key in the body. */
const fromPage = (path: string, body: object, origin = SHOP, ip = "203.0.113.7", writeKey = key) =>
  api("POST", path, { ...body, writeKey }, { headers: { authorization: "", "content-type": "text/plain", origin, "cf-connecting-ip": ip } });

beforeAll(async () => {
  const r = await api("POST", "/v1/keys", { name: "Shop pages", role: "browser", origins: [SHOP, "http://localhost:3000"] });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ role: "browser", origins: [SHOP, "http://localhost:3000"], ratePerMinute: 120 });
  key = r.body.key;
});

describe("creating a browser key", () => {
  it("needs origins, each a bare https origin (http only for localhost), and only a browser key has them", async () => {
    const cases: Array<[object, string]> = [
      [{ name: "b", role: "browser" }, "origins"],
      [{ name: "b", role: "browser", origins: ["shop.example"] }, "origins.0"],
      [{ name: "b", role: "browser", origins: [`${SHOP}/checkout`] }, "origins.0"],
      [{ name: "b", role: "browser", origins: ["http://shop.example"] }, "origins.0"],
      [{ name: "b", role: "browser", origins: [SHOP], ratePerMinute: 0 }, "ratePerMinute"],
      [{ name: "b", role: "ingest", origins: [SHOP] }, "origins"],
    ];
    for (const [body, field] of cases) {
      const r = await api("POST", "/v1/keys", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors.map((e: any) => e.field)).toContain(field);
    }
    const listed = (await api("GET", "/v1/keys")).body.keys.find((k: any) => k.name === "Shop pages");
    expect(listed).toMatchObject({ origins: [SHOP, "http://localhost:3000"], ratePerMinute: 120 });
  });
});

describe("CORS", () => {
  it("answers a preflight, and gives the page the answer only from an allowed origin", async () => {
    const pre = await api("OPTIONS", "/v1/t", undefined, { headers: { origin: SHOP, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toContain("content-type");

    const anonymousId = unique("a");
    const ok = await fromPage("/v1/t", { type: "track", anonymousId, userId: null, event: "Checkout Started", properties: { value: 30 } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SHOP);
    const v = (await api("GET", `/v1/contacts/anon:${anonymousId}`)).body;
    expect(v.recentEvents[0]).toMatchObject({ event: "Checkout Started", properties: { value: 30 } });

    for (const origin of ["https://evil.example", ""]) {
      const r = await fromPage("/v1/t", { anonymousId, event: "Checkout Started" }, origin);
      expect([r.status, r.body.errors[0].field], origin).toEqual([403, "header.origin"]);
      expect(r.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});

describe("what a browser key may send", () => {
  it("events and traits, but not alias, consent events or a phone (403 naming the field)", async () => {
    const userId = unique("u");
    const refused: Array<[string, object, string]> = [
      ["/v1/a", { userId, previousId: unique("a") }, "type"],
      ["/v1/t", { userId, event: "Subscribed", properties: { purpose: "marketing" } }, "event"],
      ["/v1/t", { userId, event: "Unsubscribed" }, "event"],
      ["/v1/i", { userId, traits: { phone: "+14155550100" } }, "traits.phone"],
      ["/v1/p", { userId, context: { traits: { phone: "+14155550100" } } }, "context.traits.phone"],
    ];
    for (const [path, body, field] of refused) {
      const r = await fromPage(path, body);
      expect([r.status, r.type], path).toEqual([403, "application/problem+json"]);
      expect(r.body.errors[0].field).toBe(field);
    }
    const b = await fromPage("/v1/b", { batch: [{ type: "page", userId, name: "Home" }, { type: "track", userId, event: "Subscribed" }, { type: "group", userId, groupId: "acme" }] });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ accepted: 2, rejected: [{ index: 1, errors: [{ field: "batch.1.event" }] }] });
    const v = (await api("GET", `/v1/contacts/user:${userId}`)).body;
    expect(v.phone).toBeNull();
    expect(v.consent).toEqual({}); // no consent entry at all
    expect(v.traits.company).toEqual({ id: "acme" });
  });

  it("identifies without merging: the anonymous contact stays apart", async () => {
    const [userId, anonymousId] = [unique("u"), unique("a")];
    await fromPage("/v1/t", { anonymousId, event: "Product Viewed" });
    const r = await fromPage("/v1/i", { userId, anonymousId, traits: { firstName: "Ada" } });
    expect(r.status).toBe(200);
    const anon = (await api("GET", `/v1/contacts/anon:${anonymousId}`)).body;
    expect(anon.mergedInto).toBeNull();
    expect((await api("GET", `/v1/contacts/user:${userId}`)).body.traits.firstName).toBe("Ada");
  });

  it("is refused on every other route, even from its origin", async () => {
    for (const [method, path, body] of [["GET", "/v1/contacts?stage=lead"], ["POST", "/v1/messages", { to: "+14155550100", template: "x" }], ["GET", "/v1/keys"]] as const) {
      const r = await api(method, path, body, { key, headers: { origin: SHOP } });
      expect(r.status, path).toBe(403);
    }
  });
});

describe("the rate per client address", () => {
  it("answers 429 with Retry-After once an address has spent its calls; other addresses go on", async () => {
    const tight = (await api("POST", "/v1/keys", { name: "Tight", role: "browser", origins: [SHOP], ratePerMinute: 3 })).body.key;
    const anonymousId = unique("a");
    const statuses: number[] = [];
    // A batch of two counts as two calls.
    statuses.push((await fromPage("/v1/b", { batch: [{ type: "page", anonymousId }, { type: "page", anonymousId }] }, SHOP, "198.51.100.1", tight)).status);
    statuses.push((await fromPage("/v1/t", { anonymousId, event: "A" }, SHOP, "198.51.100.1", tight)).status);
    const limited = await fromPage("/v1/t", { anonymousId, event: "B" }, SHOP, "198.51.100.1", tight);
    expect(statuses).toEqual([200, 200]);
    expect([limited.status, limited.type]).toEqual([429, "application/problem+json"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The page may read the answer (and its Retry-After) from an allowed origin.
    expect(limited.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect((await fromPage("/v1/t", { anonymousId, event: "C" }, SHOP, "198.51.100.2", tight)).status).toBe(200);
    const names = (await api("GET", `/v1/contacts/anon:${anonymousId}`)).body.recentEvents.map((e: any) => e.event);
    expect(names).not.toContain("B");
  });

  it("refills over a minute and remembers a bounded number of addresses", () => {
    const limiter = new RateLimiter(3);
    const t0 = 1_000_000;
    expect(limiter.take("k|a", 60, t0, 60).ok).toBe(true);
    expect(limiter.take("k|a", 60, t0).ok).toBe(false);
    expect(limiter.take("k|a", 60, t0 + 1_000).ok).toBe(true); // one a second
    const spent = limiter.take("k|a", 60, t0 + 1_000);
    expect(spent).toEqual({ ok: false, retryAfterSeconds: 1 });
    for (const ip of ["b", "c", "d", "e"]) limiter.take(`k|${ip}`, 60, t0);
    expect(limiter.size).toBe(3);
    // The least recently seen address was forgotten: it starts with a full bucket again.
    expect(limiter.take("k|a", 60, t0 + 1_000, 60).ok).toBe(true);
  });
});
