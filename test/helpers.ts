/** Test helpers: call the Worker like a client, flush the records queue, drive a contact's timers. */
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { Webhook } from "standardwebhooks";
import { advanceClock } from "../src/clock";
import { resolveRef } from "../src/contacts/identity";
import { twilioSignature } from "../src/gateway/twilio-signature";
import { flows, settings, templates } from "../scripts/seed-data.mjs";

/** The owner key from .dev.vars.example. */
export const OWNER = "tid_owner_local_example_key";
/** The ingest key from .dev.vars.example. */
export const INGEST = "tid_ingest_local_example_key";

/** Call the Worker's HTTP API. */
export async function api(method: string, path: string, body?: unknown, opts: { key?: string; headers?: Record<string, string>; raw?: string } = {}) {
  const res = await exports.default.fetch(`http://tidings.test${path}`, {
    method,
    headers: { authorization: `Bearer ${opts.key ?? OWNER}`, "content-type": "application/json", ...opts.headers },
    body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, type: res.headers.get("content-type"), body: json, headers: res.headers };
}

/** A unique id for this test (storage is shared across the tests of a file). */
export function unique(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A random valid San Francisco number (NANP exchanges start with 2-9). */
export function phone(): string {
  const n = 2_000_000 + Math.floor(Math.random() * 7_000_000);
  return `+1415${n}`;
}

/** Wait until every record sent so far has been written to D1 (a ping through the records queue). */
export async function flushRecords(): Promise<void> {
  const id = crypto.randomUUID();
  await env.RECORDS_QUEUE.send({ kind: "ping", id });
  await vi.waitFor(
    async () => {
      const row = await env.DB.prepare("SELECT value FROM meta WHERE key = 'records_ping'").first<{ value: string }>();
      if (row?.value !== id) throw new Error("records queue not drained yet");
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** The stub of a contact by reference (id or alias). */
export async function contactStub(ref: string) {
  const id = await resolveRef(env, ref);
  if (!id) throw new Error(`no contact ${ref}`);
  return { id, stub: env.CONTACT.getByName(id) };
}

/** Advance simulated time and run the contact's due timers. */
export async function advance(ref: string, ms: number): Promise<void> {
  advanceClock(ms);
  const { stub } = await contactStub(ref);
  await runDurableObjectAlarm(stub);
}

/** Wait until the send queue has handled a contact's messages (none left queued or dispatching). */
export async function settleSends(ref: string): Promise<void> {
  const { stub } = await contactStub(ref);
  await vi.waitFor(
    async () => {
      const pending = await (stub as any).pendingSends();
      if (pending > 0) throw new Error(`${pending} messages still on their way`);
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Text messages the sandbox gateway "delivered" to a phone. */
export async function inbox(to: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT body FROM sandbox_messages WHERE "to" = ? ORDER BY at').bind(to).all<{ body: string }>();
  return results.map((r) => r.body);
}

/** Identify a contact with a phone and marketing consent, as a signup form would. */
export async function optedIn(userId: string, to: string, traits: Record<string, unknown> = {}): Promise<string> {
  const r = await api("POST", "/v1/identify", { userId, traits: { phone: to, ...traits } });
  await api("POST", "/v1/track", { userId, event: "Subscribed", messageId: unique("sub"), properties: { purpose: "marketing", source: "form", text: "Yes, text me offers." } });
  return r.body.contactId;
}

/** Turn off the opt-in confirmation so a test's inbox holds only its flow's messages. */
export async function withoutOptInConfirmation(): Promise<void> {
  await api("PUT", "/v1/settings/consent", { confirmOptIn: [] });
}

/** Deliver a send job ourselves, as a queue redelivery would; returns what the consumer acked or retried. */
export async function deliverSend(job: { contactId: string; messageId: string }) {
  const { default: worker } = await import("../src/index");
  const batch = createMessageBatch("tidings-send", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 2, body: job }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  return getQueueResult(batch, ctx);
}

/** A message as `GET /v1/messages` shows it, once the records queue has caught up. */
export async function messageOf(contactId: string, messageId: string) {
  await flushRecords();
  return (await api("GET", `/v1/messages?contact=${contactId}`)).body.messages.find((m: any) => m.id === messageId);
}

/** Wait until a message reaches `status`; returns it. */
export async function settledMessage(s: { contactId: string; messageId: string }, status: string) {
  await vi.waitFor(async () => expect((await messageOf(s.contactId, s.messageId))?.status).toBe(status), { timeout: 10_000, interval: 50 });
  return messageOf(s.contactId, s.messageId);
}

/**
 * The demo's settings, templates and cart-recovery flow, without opt-in confirmations; the demo's
 * 5-second wait becomes an hour, so only simulated time moves the run.
 */
export async function seedCartRecovery(): Promise<void> {
  for (const [k, v] of Object.entries(settings)) expect((await api("PUT", `/v1/settings/${k}`, v)).status).toBe(200);
  await withoutOptInConfirmation();
  for (const [k, v] of Object.entries(templates)) expect((await api("PUT", `/v1/templates/${k}`, v)).status).toBe(200);
  const cart = { ...flows["cart-recovery"], steps: [{ wait: "PT1H" }, ...flows["cart-recovery"].steps.slice(1)] };
  expect((await api("PUT", "/v1/flows/cart-recovery", cart)).status).toBe(200);
}

/** Minutes and hours in ms. */
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** The public base URL Twilio signs webhooks with, for tests that post signed replies (set it in settings.gateway). */
export const PUBLIC_BASE = "https://tidings.example";

/**
 * A reply from `from`, posted to the inbound webhook and signed as Twilio signs it. `sid` repeats a
 * webhook Twilio retried; `params` adds fields (`OptOutType`). `message` is the TwiML reply text, if any.
 */
export async function twilioReply(from: string, body: string, opts: { sid?: string; params?: Record<string, string> } = {}) {
  const sid = opts.sid ?? `SM${crypto.randomUUID().replace(/-/g, "")}`;
  const params = { MessageSid: sid, From: from, To: "+14155550100", Body: body, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ...opts.params };
  const signature = await twilioSignature("test_twilio_auth_token", `${PUBLIC_BASE}/webhooks/twilio/inbound`, params);
  const res = await exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  const message = /<Message>(.*)<\/Message>/.exec(text)?.[1]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  return { status: res.status, type: res.headers.get("content-type"), text, message, sid };
}

/** Post a file to `POST /v1/contacts/import` (a string or a stream) as `type`; the answer's status and body. */
export async function importFile(body: string | ReadableStream, type: string) {
  const res = await exports.default.fetch("http://tidings.test/v1/contacts/import", {
    method: "POST",
    headers: { authorization: `Bearer ${OWNER}`, "content-type": type },
    body,
    // @ts-expect-error: streaming request bodies need duplex in fetch
    duplex: "half",
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Wait until the import queue has applied every accepted row of an import; its final state. */
export async function importDone(importId: string, timeout = 30_000) {
  let last: any;
  await vi.waitFor(
    async () => {
      last = (await api("GET", `/v1/imports/${importId}`)).body;
      if (last.status !== "done") throw new Error(`import ${last.status}: ${last.applied + last.unchanged}/${last.accepted}`);
    },
    { timeout, interval: 50 },
  );
  return last;
}

/** Import NDJSON rows through `POST /v1/contacts/import` and wait until the import queue has applied them. */
export async function importRows(rows: object[]): Promise<{ applied: number; unchanged: number }> {
  const { body } = await importFile(rows.map((r) => JSON.stringify(r)).join("\n"), "application/x-ndjson");
  return importDone(body.importId);
}

/** A request a receiver under the provider mock's /hooks/ got (GET /__captured). */
export interface Captured {
  path: string;
  body: string;
  headers: Record<string, string>;
  json?: any;
}

/** What the mock's /hooks/ receivers got so far, optionally for one path. */
export async function hookCaptures(mock: string, path?: string): Promise<Captured[]> {
  const all = (await (await fetch(`${mock}/__captured`)).json()) as Captured[];
  return all.filter((r) => r.path.startsWith("/hooks/") && (!path || r.path === path));
}

/**
 * Verify a delivery with the `standardwebhooks` library; returns the payload, throws if it does not
 * verify. The library also checks webhook-timestamp against Date.now(), which in tests is not the
 * pinned product clock: the check runs with Date at the header's own instant (tests that care assert
 * the timestamp against now() themselves). `raw`: the secret is used as is, not as whsec_ base64.
 */
export function verifyWebhook(secret: string, r: Captured, format?: "raw"): any {
  const at = Number(r.headers["webhook-timestamp"]) * 1000;
  vi.useFakeTimers({ toFake: ["Date"], now: at });
  try {
    return new Webhook(secret, format ? { format } : undefined).verify(r.body, r.headers);
  } finally {
    vi.useRealTimers();
  }
}
