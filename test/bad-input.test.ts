// Bad input never crashes and never stores anything: 4xx problem+json naming the field.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { INGEST, api, unique } from "./helpers";

const PROBLEM = "application/problem+json";

async function contactCount(): Promise<number> {
  // Alias objects are created only for valid calls, so a rejected call leaves no alias behind.
  return (await api("GET", "/v1/contacts?limit=500")).body.contacts.length;
}

describe("events", () => {
  it("rejects a body that is not JSON", async () => {
    const r = await api("POST", "/v1/track", undefined, { raw: "{not json", key: INGEST });
    expect(r.status).toBe(400);
    expect(r.type).toBe(PROBLEM);
    expect(r.body.errors[0].field).toBe("(body)");
  });

  it("names a missing id, a missing event and a wrong type", async () => {
    const r = await api("POST", "/v1/track", { event: "X" }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field)).toContain("userId");
    const r2 = await api("POST", "/v1/track", { userId: "u1" }, { key: INGEST });
    expect(r2.body.errors.map((e: any) => e.field)).toContain("event");
    // A number is a valid Segment id (kept as its string); a boolean is not.
    const r3 = await api("POST", "/v1/track", { userId: true, event: "X" }, { key: INGEST });
    expect(r3.body.errors.map((e: any) => e.field)).toContain("userId");
    const r4 = await api("POST", "/v1/track", { userId: "u", event: "X", properties: [1] }, { key: INGEST });
    expect(r4.body.errors.map((e: any) => e.field)).toContain("properties");
    const r5 = await api("POST", "/v1/track", { userId: "u", event: "X", timestamp: "yesterday" }, { key: INGEST });
    expect(r5.body.errors.map((e: any) => e.field)).toContain("timestamp");
  });

  it("refuses an invalid phone without creating a contact", async () => {
    const user = unique("u");
    const r = await api("POST", "/v1/identify", { userId: user, traits: { phone: "+1 555 12" } }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.type).toBe(PROBLEM);
    expect(r.body.errors).toEqual([{ field: "traits.phone", message: expect.stringContaining("not a valid phone number") }]);
    expect((await api("GET", `/v1/contacts/user:${user}`)).status).toBe(404);
  });

  it("answers 413 for a body over 1 MiB, and Segment's 400 on the tracking API", async () => {
    const r = await api("PUT", "/v1/settings/brand", { name: "x".repeat(1_100_000) });
    expect(r.status).toBe(413);
    expect(r.type).toBe(PROBLEM);
    const t = await api("POST", "/v1/track", { userId: "u", event: "X", properties: { blob: "x".repeat(1_100_000) } }, { key: INGEST });
    expect([t.status, t.type, t.body.errors[0].field]).toEqual([400, PROBLEM, "(body)"]);
  });

  it("accepts the valid calls of a batch and lists the rejected ones by index", async () => {
    const user = unique("u");
    const before = await contactCount();
    const r = await api(
      "POST",
      "/v1/batch",
      {
        batch: [
          { type: "identify", userId: user, traits: { firstName: "Bea" } },
          { type: "track", event: "No Id" },
          { type: "note", userId: user },
          { type: "identify", userId: unique("u"), traits: { phone: "12" } },
          { type: "track", userId: user, event: "Product Viewed" },
        ],
      },
      { key: INGEST },
    );
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejected.map((x: any) => [x.index, x.errors[0].field])).toEqual([
      [1, "batch.1.userId"],
      [2, "batch.2.type"],
      [3, "batch.3.traits.phone"],
    ]);
    const contact = await api("GET", `/v1/contacts/user:${user}`);
    expect(contact.body.traits.firstName).toBe("Bea");
    expect(contact.body.recentEvents.map((e: any) => e.event)).toContain("Product Viewed");
    void before;
  });

  it("answers 400 when no call of a batch is valid, and for an empty batch", async () => {
    const r = await api("POST", "/v1/batch", { batch: [{ type: "track" }] }, { key: INGEST });
    expect(r.status).toBe(400);
    expect(r.body.rejected[0].index).toBe(0);
    expect((await api("POST", "/v1/batch", { batch: [] }, { key: INGEST })).body.errors[0].field).toBe("batch");
  });
});

describe("configuration", () => {
  it("names the bad field of a settings section and keeps the old version", async () => {
    const before = await api("GET", "/v1/settings/brand");
    const r = await api("PUT", "/v1/settings/brand", { name: "", defaultTimeZone: "Mars/Olympus" });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field).sort()).toEqual(["defaultTimeZone", "name"]);
    expect((await api("GET", "/v1/settings/brand")).body).toEqual(before.body);
    expect((await api("PUT", "/v1/settings/brand", { nmae: "typo" })).body.errors[0].message).toMatch(/nmae/);
    expect((await api("PUT", "/v1/settings/nope", {})).status).toBe(404);
  });

  it("refuses a template with an undeclared variable when it is saved", async () => {
    const r = await api("PUT", "/v1/templates/bad-vars", { body: "Hi {{favoriteFood}} {{properties.sku}}", job: "retention", purpose: "marketing" });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.message).join(" ")).toMatch(/\{\{favoriteFood\}\}.*\{\{properties\.sku\}\}/);
    expect((await api("GET", "/v1/templates/bad-vars")).status).toBe(404);
  });

  it("refuses an active flow whose template does not exist, and a malformed step", async () => {
    const base = { name: "x", status: "active", job: "retention", trigger: { event: "X" } };
    const r = await api("PUT", "/v1/flows/bad-flow", { ...base, steps: [{ send: { template: "missing" } }] });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/template missing does not exist/);
    const r2 = await api("PUT", "/v1/flows/bad-flow", { ...base, steps: [{ wait: "an hour" }] });
    expect(r2.status).toBe(400);
    expect(r2.body.errors[0].field).toMatch(/^steps\.0/);
    expect((await api("GET", "/v1/flows/bad-flow")).status).toBe(404);
  });

  it("answers 404 problem+json for unknown routes and contacts", async () => {
    const r = await api("GET", "/v1/nothing-here");
    expect([r.status, r.type]).toEqual([404, PROBLEM]);
    const c = await api("GET", "/v1/contacts/user:nobody-at-all");
    expect([c.status, c.type]).toEqual([404, PROBLEM]);
    expect((await api("GET", "/v1/contacts/bogus")).status).toBe(404);
  });
});

describe("one-off messages", () => {
  it("needs exactly one of contact and to, a valid phone, and an existing template", async () => {
    expect((await api("POST", "/v1/messages", { template: "x" })).body.errors[0].field).toBe("contact");
    const r = await api("POST", "/v1/messages", { to: "not a phone", template: "nope" });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe("template");
    await api("PUT", "/v1/templates/ping", { body: "ping", job: "transactional", purpose: "transactional" });
    const r2 = await api("POST", "/v1/messages", { to: "not a phone", template: "ping" });
    expect(r2.body.errors[0].field).toBe("to");
    const sent = await env.DB.prepare("SELECT count(*) AS n FROM sandbox_messages").first<{ n: number }>();
    expect(sent!.n).toBe(0);
  });
});
