// Segment's Webhooks destination: X-Signature (hex HMAC-SHA1 of the raw body, always required; with
// no secret the route is closed, see webhook-secrets), identify/track/batch through the same
// ingestion as /v1, dedupe on messageId, bad input.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { api, phone, unique } from "./helpers";

/** SEGMENT_WEBHOOK_SECRET from .dev.vars.example. */
const SECRET = "local_example_segment_shared_secret";

async function sign(body: string, secret = SECRET, encoding: "hex" | "base64" = "hex"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return encoding === "hex" ? [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") : btoa(String.fromCharCode(...mac));
}

/** POST like Segment does (no API key). `signature: null` leaves the header out. */
async function post(payload: unknown, opts: { signature?: string | null; raw?: string } = {}) {
  const body = opts.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Segment.io/1.0" };
  if (opts.signature !== null) headers["x-signature"] = opts.signature ?? (await sign(body));
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("http://tidings.test/webhooks/segment", { method: "POST", headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json<any>() };
}

/** An identify as Segment delivers it (its own fields included). */
function identify(userId: string, traits: Record<string, unknown>) {
  return {
    type: "identify", userId, anonymousId: null, messageId: unique("seg"), traits, channel: "server",
    context: { library: { name: "analytics-node", version: "2.1.0" }, timezone: "America/Los_Angeles" },
    timestamp: "2026-11-24T17:59:00.000Z", sentAt: "2026-11-24T17:59:00.100Z", receivedAt: "2026-11-24T17:59:00.300Z",
    originalTimestamp: "2026-11-24T17:59:00.000Z", version: 2,
  };
}

describe("signatures", () => {
  it("accepts the right hex HMAC-SHA1 and ingests the identify", async () => {
    const user = unique("u");
    const to = phone();
    const r = await post({ ...identify(user, { phone: to, firstName: "Lin" }), anonymousId: undefined });
    expect(r).toMatchObject({ status: 200, body: { ok: true, duplicate: false } });
    const c = await api("GET", `/v1/contacts/user:${user}`);
    expect(c.body).toMatchObject({ phone: to, timezone: "America/Los_Angeles", traits: { firstName: "Lin" } });
  });

  it("accepts upper-case hex", async () => {
    const payload = { type: "track", userId: unique("u"), event: "Product Viewed" };
    const body = JSON.stringify(payload);
    expect((await post(payload, { signature: (await sign(body)).toUpperCase() })).status).toBe(200);
  });

  it("refuses a wrong, tampered, base64 or missing signature with 401 problem+json", async () => {
    const payload = { type: "track", userId: unique("u"), event: "Product Viewed" };
    const body = JSON.stringify(payload);
    const wrong = await post(payload, { signature: await sign(body, "not-the-secret") });
    expect(wrong).toMatchObject({ status: 401, type: "application/problem+json", body: { title: "Invalid signature" } });
    expect((await post(payload, { raw: body.replace("Product", "Produce"), signature: await sign(body) })).status).toBe(401);
    expect((await post(payload, { signature: await sign(body, SECRET, "base64") })).status).toBe(401);
    expect((await post(payload, { signature: null })).body.title).toBe("Missing signature");
    expect((await api("GET", `/v1/contacts/user:${payload.userId}`)).status).toBe(404);
  });
});

describe("calls", () => {
  it("a redelivered messageId records once", async () => {
    const user = unique("u");
    const call = { type: "track", userId: user, event: "Appointment Booked", messageId: unique("m"), properties: { appointment_at: "2026-12-01T15:00:00Z" } };
    expect((await post(call)).body.duplicate).toBe(false);
    expect((await post(call)).body.duplicate).toBe(true);
    const c = await api("GET", `/v1/contacts/user:${user}`);
    expect(c.body.recentEvents.filter((e: any) => e.event === "Appointment Booked")).toHaveLength(1);
  });

  it("a batch: valid calls in, other types ignored, invalid ones listed by index", async () => {
    const user = unique("u");
    const batch = [
      identify(user, { phone: phone() }),
      { type: "track", userId: user, event: "Ticket Opened", messageId: unique("m") },
      { type: "page", userId: user, name: "Pricing" },
      { type: "track", event: "no id" },
    ];
    const r = await post({ batch });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 2, duplicates: 0, ignored: 1, rejected: [{ index: 3, errors: [{ field: "batch.3.userId" }] }] });
    const c = await api("GET", `/v1/contacts/user:${user}`);
    expect(c.body.flags.map((f: any) => f.name)).toEqual(["support_case_open"]);
  });

  it("a JSON array is a batch", async () => {
    const user = unique("u");
    const r = await post([{ type: "track", userId: user, event: "Lead Created" }, { type: "track", userId: user, event: "Meeting Booked" }]);
    expect(r.body).toMatchObject({ accepted: 2, ignored: 0 });
    const c = await api("GET", `/v1/contacts/user:${user}`);
    expect(c.body.recentEvents.map((e: any) => e.event)).toEqual(["Meeting Booked", "Lead Created"]);
  });

  it("other call types alone are acknowledged", async () => {
    expect((await post({ type: "screen", userId: unique("u"), name: "Home" })).body).toEqual({ ok: true, ignored: true });
  });
});

describe("bad input", () => {
  it("malformed JSON after a valid signature is a 400 problem+json", async () => {
    const raw = '{"type":"track","userId":';
    const r = await post(undefined, { raw, signature: await sign(raw) });
    expect(r).toMatchObject({ status: 400, type: "application/problem+json", body: { detail: "the body is not valid JSON" } });
  });

  it("a single invalid call names the field", async () => {
    const r = await post({ type: "identify", userId: unique("u"), traits: { phone: "12" } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: "traits.phone" })]);
    expect((await post({ type: "track", userId: "u-1" })).body.errors[0].field).toBe("event");
    expect((await post("hello")).status).toBe(400);
    expect((await post({ event: "untyped", userId: "u-1" })).body.errors[0].field).toBe("type");
  });

  it("a batch with nothing valid is a 400 listing each call", async () => {
    const r = await post({ batch: [{ type: "track" }, { type: "identify" }] });
    expect(r.status).toBe(400);
    expect(r.body.rejected.map((x: any) => x.index)).toEqual([0, 1]);
  });
});
