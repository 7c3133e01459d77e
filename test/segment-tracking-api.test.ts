/**
 * Segment's HTTP tracking API as its clients speak it: the write key as a Basic user name or in the
 * body, analytics.js's text/plain and short paths, Segment's size limits and status codes, clock
 * skew corrected by `sentAt`, and what valid Segment calls carry (null and numeric ids, `context`,
 * `integrations`, extra fields) accepted.
 */
import { describe, expect, it } from "vitest";
import { now } from "../src/clock";
import { INGEST, OWNER, api, phone, unique } from "./helpers";

const basic = (key: string, colon = true) => `Basic ${btoa(colon ? `${key}:` : key)}`;
const view = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body;
const iso = (t: number) => new Date(t).toISOString();

describe("the write key", () => {
  it("is accepted as the Basic user name on every call type and on /v1/batch", async () => {
    const userId = unique("u");
    const calls: Array<[string, object]> = [
      ["identify", { userId, traits: { firstName: "Ada" } }],
      ["track", { userId, event: "Product Viewed" }],
      ["page", { userId, name: "Home" }],
      ["screen", { userId, name: "Feed" }],
      ["group", { userId, groupId: "g1" }],
      ["alias", { userId, previousId: unique("a") }],
      ["batch", { batch: [{ type: "track", userId, event: "Cart Viewed" }] }],
    ];
    for (const [type, body] of calls) {
      const r = await api("POST", `/v1/${type}`, body, { headers: { authorization: basic(INGEST) } });
      expect(r.status, type).toBe(200);
    }
    // Segment allows the key without the colon too.
    expect((await api("POST", "/v1/track", { userId, event: "X" }, { headers: { authorization: basic(INGEST, false) } })).status).toBe(200);
    const r = await api("POST", "/v1/track", { userId, event: "X" }, { headers: { authorization: basic("tid_unknown") } });
    expect([r.status, r.type]).toEqual([401, "application/problem+json"]);
  });

  it("works as Basic only where an ingest key does: other routes still need Bearer", async () => {
    const r = await api("GET", "/v1/flows", undefined, { headers: { authorization: basic(OWNER) } });
    expect(r.status).toBe(401);
    expect(r.body.detail).toMatch(/Bearer/);
  });

  it("may come in the body as analytics.js sends it: writeKey, text/plain, the short paths", async () => {
    const anonymousId = unique("a");
    const headers = { authorization: "", "content-type": "text/plain" };
    const t = await api("POST", "/v1/t", { writeKey: INGEST, anonymousId, userId: null, type: "track", event: "Checkout Started", properties: { value: 30 } }, { headers });
    expect(t.status).toBe(200);
    // A server key gives a web page nothing to read: no CORS answer.
    expect(t.headers.get("access-control-allow-origin")).toBeNull();
    const b = await api("POST", "/v1/b", { writeKey: INGEST, sentAt: iso(now()), batch: [{ type: "page", anonymousId, name: "Cart" }, { type: "identify", anonymousId, traits: { firstName: "Bo" } }] }, { headers });
    expect(b.body).toMatchObject({ accepted: 2, rejected: [] });
    const v = await view(`anon:${anonymousId}`);
    expect(v.recentEvents.map((e: any) => e.event)).toEqual(expect.arrayContaining(["Checkout Started", "Page Viewed"]));
    expect(v.traits.firstName).toBe("Bo");
  });
});

describe("Segment's limits and answers", () => {
  it("takes a batch of any number of calls up to 500 KB, and refuses a bigger one with a 400", async () => {
    const userId = unique("u");
    // 600 calls (more than the old 500-call limit): 599 without an id are listed, one is accepted.
    const batch = [{ type: "track", userId, event: "Kept" }, ...Array.from({ length: 599 }, () => ({ type: "track", event: "No id" }))];
    const ok = await api("POST", "/v1/batch", { batch });
    expect([ok.status, ok.body.accepted, ok.body.rejected.length]).toEqual([200, 1, 599]);
    expect(ok.body.rejected[0].errors[0].field).toBe("batch.1.userId");

    const big = Array.from({ length: 20 }, (_, i) => ({ type: "track", userId, event: "Big", properties: { text: "x".repeat(26_000), i } }));
    const r = await api("POST", "/v1/batch", { batch: big });
    expect([r.status, r.type]).toEqual([400, "application/problem+json"]);
    expect(r.body.errors[0]).toMatchObject({ field: "(body)", message: "over 500.0 KB" });
    expect((await view(`user:${userId}`)).recentEvents.map((e: any) => e.event)).toEqual(["Kept"]);
  });

  it("refuses a call over 32 KB with a 400 naming its biggest field, alone or in a batch", async () => {
    const userId = unique("u");
    const r = await api("POST", "/v1/page", { userId, properties: { blob: "x".repeat(33_000) } });
    expect([r.status, r.body.errors[0].field]).toEqual([400, "properties.blob"]);
    const b = await api("POST", "/v1/batch", { batch: [{ type: "screen", userId, properties: { blob: "x".repeat(33_000) } }, { type: "track", userId, event: "Fine" }] });
    expect(b.body.accepted).toBe(1);
    expect(b.body.rejected[0].errors[0].field).toBe("batch.0.properties.blob");
  });

  it("answers bad input with problem+json naming the field", async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ["/v1/group", { userId: "u-1" }, 400, "groupId"],
      ["/v1/alias", { userId: "u-1" }, 400, "previousId"],
      ["/v1/track", { userId: "u-1", event: "" }, 400, "event"],
      ["/v1/page", { name: "No id" }, 400, "userId"],
      ["/v1/identify", { userId: { id: 1 } }, 400, "userId"],
      ["/v1/track", { userId: "u-1", event: "X", timestamp: "yesterday" }, 400, "timestamp"],
      ["/v1/batch", { batch: [{ type: "note", userId: "u-1" }] }, 400, "batch.0.type"],
    ];
    for (const [path, body, status, field] of cases) {
      const r = await api("POST", path, body);
      expect([r.status, r.type], path).toEqual([status, "application/problem+json"]);
      expect(r.body.errors.map((e: any) => e.field), `${path} ${JSON.stringify(body)}`).toContain(field);
    }
    const xml = await api("POST", "/v1/track", undefined, { raw: "<track/>", headers: { "content-type": "application/xml" } });
    expect([xml.status, xml.body.errors[0].field]).toEqual([415, "content-type"]);
    const broken = await api("POST", "/v1/t", undefined, { raw: '{"event":', headers: { "content-type": "text/plain" } });
    expect([broken.status, broken.body.errors[0].field]).toEqual([400, "(body)"]);
  });
});

describe("what a call carries", () => {
  it("corrects timestamp by the sender's clock skew (received − sentAt), per call or per batch", async () => {
    const userId = unique("u");
    const skew = 2 * 3_600_000; // the device's clock is two hours fast
    const happened = now() - 10 * 60_000;
    await api("POST", "/v1/track", { userId, event: "Call Skewed", timestamp: iso(happened + skew), sentAt: iso(now() + skew) });
    await api("POST", "/v1/batch", { sentAt: iso(now() + skew), batch: [{ type: "track", userId, event: "Batch Skewed", timestamp: iso(happened + skew) }] });
    // Without sentAt, the timestamp is taken as sent (ISO 8601 without an offset is UTC).
    await api("POST", "/v1/track", { userId, event: "As Sent", timestamp: iso(happened - 60_000).replace("Z", "") });
    const at = Object.fromEntries((await view(`user:${userId}`)).recentEvents.map((e: any) => [e.event, Date.parse(e.at)]));
    // Our clock runs on while the test sends (milliseconds); uncorrected, the skew would be two hours.
    expect(Math.abs(at["Call Skewed"] - happened)).toBeLessThan(5_000);
    expect(Math.abs(at["Batch Skewed"] - happened)).toBeLessThan(5_000);
    expect(at["As Sent"]).toBe(happened - 60_000);
  });

  it("accepts what Segment's clients send: null and numeric ids, context, integrations, extra fields", async () => {
    const n = Math.floor(Math.random() * 1e9);
    const r = await api("POST", "/v1/track", {
      userId: n, anonymousId: null, messageId: unique("m"), event: "Signed Up", properties: null, type: "track",
      context: { library: { name: "analytics.js", version: "next-1.0" }, page: { path: "/" }, userAgent: "x", locale: "fr-FR", traits: { plan: "pro" } },
      integrations: { All: false, Mixpanel: true }, _metadata: { bundled: [] }, channel: "server", version: 2,
    });
    expect(r.status).toBe(200);
    const v = await view(`user:${n}`);
    // context.traits are recorded as traits; context.locale fills the locale trait.
    expect(v.traits).toMatchObject({ plan: "pro", locale: "fr-FR" });
    expect(v.recentEvents.find((e: any) => e.event === "Signed Up").properties).toEqual({});
  });

  it("fills identify's traits with context.traits (the call's own win) and leaves out a context phone it cannot read", async () => {
    const userId = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { userId, traits: { firstName: "Ada", phone: to }, context: { traits: { firstName: "Old", lastName: "Lovelace" } } });
    const t = await api("POST", "/v1/track", { userId, event: "Opened", context: { traits: { phone: "not a phone", tier: "gold" } } });
    expect(t.status).toBe(200);
    const v = await view(`user:${userId}`);
    expect([v.phone, v.traits.firstName, v.traits.lastName, v.traits.tier]).toEqual([to, "Ada", "Lovelace", "gold"]);
  });
});
