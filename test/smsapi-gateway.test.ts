// SMSAPI, called as its OpenAPI describes: JSON /sms.do through Prism (recorded), error bodies that
// arrive as HTTP 200, idx + check_idx so a resend is refused (53 = already sent), batched GET reports.
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import { expirationDate, fromSmsapiStatus, smsapi } from "../src/gateway/smsapi";
import { getConfig } from "../src/settings/config";
import { api, deliverSend, messageOf, settledMessage } from "./helpers";

const MOCK = (env as unknown as { SMSAPI_MOCK: string }).SMSAPI_MOCK;
const PUBLIC = "https://tidings.example";
const program = (...answers: unknown[]) => fetch(`${MOCK}/__program`, { method: "POST", body: JSON.stringify(answers) });
const captured = async (to: string) => ((await (await fetch(`${MOCK}/__captured`)).json()) as any[]).filter((r) => r.json?.to === to.slice(1));

/** A random valid Polish mobile number. */
const polish = () => `+4850${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;

beforeAll(async () => {
  await api("PUT", "/v1/settings/gateway", { use: "smsapi", publicBaseUrl: PUBLIC, smsapi: { from: "Juniper", timeoutMs: 500 } });
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/notice", { body: "Twoje zamówienie jest w drodze.", job: "transactional", purpose: "transactional" });
});
beforeEach(async () => {
  await fetch(`${MOCK}/__reset`, { method: "POST" });
});

async function send(to = polish()) {
  const r = await api("POST", "/v1/messages", { to, template: "notice", expires_in: "PT2H" });
  expect(r.status).toBe(202);
  return { to, ...(r.body as { messageId: string; contactId: string }) };
}
describe("requests valid to the spec", () => {
  it("posts JSON with idx, check_idx, notify_url, a clamped expiration_date and max_parts, with a bearer token", async () => {
    const s = await send();
    const m = await settledMessage(s, "sent");
    expect(m.gateway).toBe("smsapi");
    const [req] = await captured(s.to);
    expect([req.method, req.path, req.headers.authorization]).toEqual(["POST", "/sms.do", "Bearer test_smsapi_token"]);
    expect(req.json).toEqual({
      to: s.to.slice(1), message: "Twoje zamówienie jest w drodze.", from: "Juniper", format: "json", encoding: "utf-8", details: true,
      idx: s.messageId, check_idx: true, max_parts: 6,
      notify_url: `${PUBLIC}/webhooks/smsapi/status?secret=test_smsapi_callback_secret&m=${s.messageId}&c=${s.contactId}`,
      expiration_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
    });
    // expires_in PT2H: two hours after it was sent (to the second).
    expect(Math.round((Date.parse(req.json.expiration_date) - m.sentAt) / 60_000)).toBe(120);
  });

  it("without SMSAPI_CALLBACK_SECRET, sends with no notify_url (a callback it could not verify) instead of secret=undefined", async () => {
    const to = polish();
    const gateway = smsapi({ ...env, SMSAPI_CALLBACK_SECRET: undefined } as unknown as Env, await getConfig(env.DB));
    const sms = { messageId: "m_nosecret", contactId: "c_nosecret", to, body: "Hej", expiresAt: now() + 3600_000 };
    expect(await gateway.send(sms)).toMatchObject({ ok: true, status: "sent" });
    const [req] = await captured(to);
    expect(req.json).not.toHaveProperty("notify_url");
    expect(JSON.stringify(req.json)).not.toContain("undefined");
  });

  it("clamps expiration_date to SMSAPI's 15 minutes to 72 hours", () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0);
    expect(expirationDate(at + 60_000, at)).toBe("2026-11-24T12:15:00+00:00");
    expect(expirationDate(at + 100 * 3600_000, at)).toBe("2026-11-27T12:00:00+00:00");
  });
});

describe("error bodies (HTTP 200 with {error, message})", () => {
  it("records a permanent error with its code, and retries a transient one", async () => {
    await program({ status: 200, body: { error: 14, message: "Invalid sender name" } });
    const a = await send();
    const ma = await settledMessage(a, "failed");
    expect([ma.errorCode, ma.errorMessage]).toEqual(["14", "Invalid sender name"]);

    await program({ status: 200, body: { error: 203, message: "Too many requests" } });
    const b = await send();
    await settledMessage(b, "queued");
    await deliverSend(b);
    await settledMessage(b, "sent");
    expect(await captured(b.to)).toHaveLength(2);
  });

  it("treats 53 (idx already used) as the first attempt's success: a resend after a timeout texts once", async () => {
    await program({ delayMs: 1500, status: 200, body: { count: 1, list: [{ id: "111", status: "QUEUE" }] } });
    const s = await send();
    await vi.waitFor(async () => expect(await captured(s.to)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 700)); // past the 500 ms timeout: the outcome is unknown
    advanceClock(61_000);
    expect((await deliverSend(s)).retryMessages).toHaveLength(1); // nothing to look up: back in line
    await program({ status: 200, body: { error: 53, message: "Message with this idx was already sent" } });
    await deliverSend(s);
    const m = await settledMessage(s, "sent");
    expect(m.providerId).toBe(`idx:${s.messageId}`);
    const reqs = await captured(s.to);
    expect(reqs.map((r) => [r.json.idx, r.json.check_idx])).toEqual([[s.messageId, true], [s.messageId, true]]);
  });

  it("marks the number undeliverable on 13 (no valid recipient)", async () => {
    await program({ status: 200, body: { error: 13, message: "No correct phone numbers" } });
    const s = await send();
    await settledMessage(s, "failed");
    expect((await api("POST", "/v1/messages", { to: s.to, template: "notice" })).body.decision.reason).toBe("invalid_phone");
  });
});

describe("delivery reports", () => {
  const report = (q: Record<string, string>) => exports.default.fetch(`http://internal.test/webhooks/smsapi/status?${new URLSearchParams(q)}`);

  it("takes up to five comma-separated reports per request, answers OK, and moves statuses forward only", async () => {
    const a = await send();
    const b = await send();
    await settledMessage(a, "sent");
    await settledMessage(b, "sent");
    const res = await report({ secret: "test_smsapi_callback_secret", MsgId: "x1,x2", status: "404,405", idx: `${a.messageId},${b.messageId}`, donedate: String(Math.floor(now() / 1000)) });
    expect([res.status, await res.text()]).toEqual([200, "OK"]);
    expect((await messageOf(a.contactId, a.messageId)).status).toBe("delivered");
    const mb = await messageOf(b.contactId, b.messageId);
    expect([mb.status, mb.errorCode]).toEqual(["undelivered", "405"]);
    // A late SENT after DELIVERED changes nothing.
    await report({ secret: "test_smsapi_callback_secret", MsgId: "x1", status: "403", idx: a.messageId });
    expect((await messageOf(a.contactId, a.messageId)).status).toBe("delivered");
  });

  it("refuses a wrong secret and mismatched lists", async () => {
    expect((await report({ secret: "nope", MsgId: "1", status: "404" })).status).toBe(403);
    expect((await report({ secret: "test_smsapi_callback_secret", MsgId: "1,2", status: "404" })).status).toBe(400);
    expect((await report({ secret: "test_smsapi_callback_secret", MsgId: "1,2,3,4,5,6", status: "404,404,404,404,404,404" })).status).toBe(400);
  });

  it("maps SMSAPI's statuses to ours", () => {
    expect(["404", "405", "402", "406", "407", "403", "409", "410", "408", "DELIVERED"].map(fromSmsapiStatus)).toEqual([
      "delivered", "undelivered", "undelivered", "failed", "failed", "sent", "sent", "sent", undefined, "delivered",
    ]);
  });
});
