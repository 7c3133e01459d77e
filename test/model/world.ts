/**
 * The real side of the model-based test: the Worker on the Workers runtime, driven as clients and
 * providers drive it (HTTP API, Twilio-signed replies, queue deliveries, alarms), and observed at
 * the edges (gateway calls, each contact's Durable Object, the phone aliases).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
// Twilio's own library signs the replies, so the route is checked against the real scheme.
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks.js";
import { advanceClock, now, setClock } from "../../src/clock";
import { contactIdFor, lookupAlias, toE164 } from "../../src/contacts/identity";
import { gatewayFor } from "../../src/gateway/gateway";
import { getConfig } from "../../src/settings/config";
import { api, deliverSend } from "../helpers";
import type { NumberKind } from "./reference";

/** The public base URL Twilio signs replies against. */
export const PUBLIC = "https://tidings.model.example";
/** Where every run's clock starts (plus its own offset): the test suite's pinned instant, Tue 2026-11-24 18:00 UTC. */
const RUN_START = Date.UTC(2026, 10, 24, 18, 0);
/** The brand's number replies are sent to. */
const BRAND_NUMBER = "+14155550100";
/** Twilio's auth token in the test bindings (vitest.config.mts). */
const TWILIO_TOKEN = "test_twilio_auth_token";

/** Templates the model sends: one per purpose. */
export const TEMPLATES = {
  "t-receipt": { body: "Your order is confirmed.", job: "transactional", purpose: "transactional" },
  "s-update": { body: "Your ticket was updated.", job: "service", purpose: "service" },
  "m-offer": { body: "New arrivals this week. Reply STOP to opt out.", job: "retention", purpose: "marketing" },
  "m-last": { body: "Last call for your cart. Reply STOP to opt out.", job: "conversion", purpose: "marketing" },
  "n-digest": { body: "This week's news. Reply STOP to opt out.", job: "retention", purpose: "news" },
} as const;

/** Template keys. */
export type TemplateKey = keyof typeof TEMPLATES;

/** Flows the model triggers: a wait then a send, a wait_for with a timeout, immediate sends. */
const FLOWS = {
  "model-cart": {
    name: "Model cart", status: "active", job: "conversion",
    trigger: { event: "Model Cart" },
    steps: [
      { wait: "PT1H" },
      { send: { template: "m-offer" } },
      { wait_for: { event: "Model Order", timeout: "P1D" }, on_timeout: [{ send: { template: "m-last" } }] },
    ],
  },
  "model-ticket": { name: "Model ticket", status: "active", job: "service", trigger: { event: "Model Ticket" }, steps: [{ send: { template: "s-update" } }] },
  "model-digest": { name: "Model digest", status: "active", job: "retention", trigger: { event: "Model Digest" }, steps: [{ wait: "PT30M" }, { send: { template: "n-digest" } }] },
};

/** Settings, templates, flows and the gateway-call log, once per test file (idempotent). */
export async function prepareWorld(): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const r = await api("PUT", path, body);
    if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await put("/v1/settings/brand", { name: "Acme", support: "help@acme.example" });
  await put("/v1/settings/gateway", { use: "sandbox", publicBaseUrl: PUBLIC });
  await put("/v1/settings/consent", { topics: ["news"], implied: ["transactional", "service"], doubleOptIn: ["news"], confirmOptIn: ["marketing"] });
  for (const [key, t] of Object.entries(TEMPLATES)) await put(`/v1/templates/${key}`, t);
  for (const [key, f] of Object.entries(FLOWS)) await put(`/v1/flows/${key}`, f);
  // Every gateway call, as the sandbox gateway makes it: a trigger before its INSERT OR IGNORE sees
  // a second call for the same message too (the sandbox's own table would swallow it).
  await env.DB.prepare('CREATE TABLE IF NOT EXISTS model_gateway_calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, "to" TEXT, at INTEGER)').run();
  await env.DB.prepare(
    'CREATE TRIGGER IF NOT EXISTS model_gateway_calls_log BEFORE INSERT ON sandbox_messages BEGIN INSERT INTO model_gateway_calls (id, "to", at) VALUES (NEW.id, NEW."to", NEW.at); END',
  ).run();
}

/** One gateway call. */
export interface GatewayCall {
  seq: number;
  id: string;
  to: string;
  at: number;
}

/** A message as its contact's Durable Object holds it. */
export interface MessageObs {
  id: string;
  status: string;
  purpose: string;
  template_key: string;
  to: string | null;
  updated_at: number;
}

/** One contact's Durable Object, as the checks need it. */
export interface ContactObs {
  id: string;
  exists: boolean;
  phone: string | null;
  mergedInto: string | null;
  messages: MessageObs[];
  timers: Array<{ id: string; kind: string; ref: string }>;
}

/** A random valid number of a kind, unique enough for one run. */
function numberOf(kind: NumberKind): string {
  for (;;) {
    const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");
    const raw =
      kind === "us_ca" ? `+1415${2 + (crypto.getRandomValues(new Uint8Array(1))[0]! % 8)}${digits(6)}`
      : kind === "us_fl" ? `+1305${2 + (crypto.getRandomValues(new Uint8Array(1))[0]! % 8)}${digits(6)}`
      : kind === "au_mobile" ? `+6141${digits(7)}`
      : `+4474${digits(8)}`;
    const e164 = toE164(raw);
    if (e164) return e164;
  }
}

/** The kinds of the four numbers each run uses (index = phone slot). */
export const SLOT_KINDS: readonly NumberKind[] = ["us_ca", "us_fl", "au_mobile", "uk_mobile"];

/** One run's people and numbers, fresh so runs never share state. */
export class World {
  readonly tag = crypto.randomUUID().slice(0, 8);
  readonly phones = SLOT_KINDS.map(numberOf);
  /** Contacts that numbers created (a reply or one-off to a new number). */
  readonly phoneContacts = new Map<string, string>();
  /** Every contact a number has named after a reply or one-off (they are checked even after losing it). */
  private readonly numberContacts = new Set<string>();
  /** Messages whose gateway answer was lost (the consumer died after the call). */
  readonly lost = new Set<string>();
  private lastSeq = 0;

  userId(i: number): string {
    return `u-${this.tag}-${i}`;
  }

  anonId(i: number): string {
    return `a-${this.tag}-${i}`;
  }

  /** The API reference of a model identity (`user:0`, `anon:1`). */
  ref(identity: string): string {
    const [kind, i] = identity.split(":");
    return kind === "user" ? `user:${this.userId(Number(i))}` : `anon:${this.anonId(Number(i))}`;
  }

  /** The contact id of a model identity. */
  async contactId(identity: string): Promise<string | undefined> {
    const [kind, v] = identity.split(":") as [string, string];
    if (kind === "user") return contactIdFor("user", this.userId(Number(v)));
    if (kind === "anon") return contactIdFor("anon", this.anonId(Number(v)));
    return this.phoneContacts.get(identity.slice(6)) ?? lookupAlias(env, identity);
  }

  /** The kind of a run number. */
  kindOf(phone: string): NumberKind | undefined {
    const i = this.phones.indexOf(phone);
    return i < 0 ? undefined : SLOT_KINDS[i];
  }

  /** Every contact this run may have touched. */
  async contactIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (let i = 0; i < 2; i++) {
      ids.add(await contactIdFor("user", this.userId(i)));
      ids.add(await contactIdFor("anon", this.anonId(i)));
    }
    for (const p of this.phones) {
      const a = await lookupAlias(env, `phone:${p}`);
      if (a) ids.add(a);
    }
    for (const id of this.phoneContacts.values()) ids.add(id);
    for (const id of this.numberContacts) ids.add(id);
    return [...ids];
  }

  /** `POST /v1/identify` (twice with the same messageId when asked). */
  async identify(user: number | undefined, anon: number | undefined, phone: number | undefined, twice: boolean) {
    const body = {
      ...(user !== undefined ? { userId: this.userId(user) } : {}),
      ...(anon !== undefined ? { anonymousId: this.anonId(anon) } : {}),
      messageId: `id-${crypto.randomUUID()}`,
      traits: phone !== undefined ? { phone: this.phones[phone] } : {},
    };
    const r = await api("POST", "/v1/identify", body);
    if (twice) await api("POST", "/v1/identify", body);
    return r.status;
  }

  /** `POST /v1/track`. */
  async track(identity: string, event: string, properties: Record<string, unknown>, timestamp: number | undefined, twice: boolean) {
    const [kind, i] = identity.split(":");
    const body = {
      ...(kind === "user" ? { userId: this.userId(Number(i)) } : { anonymousId: this.anonId(Number(i)) }),
      event, properties, messageId: `ev-${crypto.randomUUID()}`, ...(timestamp !== undefined ? { timestamp: new Date(timestamp).toISOString() } : {}),
    };
    const r = await api("POST", "/v1/track", body);
    if (twice) await api("POST", "/v1/track", body);
    return r.status;
  }

  /** `POST /v1/contacts/:id/consent`. */
  async consent(identity: string, change: Record<string, unknown>) {
    return (await api("POST", `/v1/contacts/${this.ref(identity)}/consent`, change)).status;
  }

  /** `POST /v1/contacts/:id/consent/confirm`. */
  async confirm(identity: string, purpose: string) {
    return (await api("POST", `/v1/contacts/${this.ref(identity)}/consent/confirm`, { purpose })).status;
  }

  /** A reply through Twilio's inbound webhook, signed with Twilio's library (twice: the same MessageSid again). */
  async reply(phone: string, body: string, twice: boolean) {
    const params = { MessageSid: `SM${crypto.randomUUID().replace(/-/g, "")}`, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", From: phone, To: BRAND_NUMBER, Body: body };
    const post = async () => {
      const signature = getExpectedTwilioSignature(TWILIO_TOKEN, `${PUBLIC}/webhooks/twilio/inbound`, params) as string;
      const res = await exports.default.fetch("http://tidings.test/webhooks/twilio/inbound", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
        body: new URLSearchParams(params),
      });
      await res.text();
      return res.status;
    };
    const status = await post();
    if (twice) await post();
    const owner = await lookupAlias(env, `phone:${phone}`);
    if (owner && !this.phoneContacts.has(phone)) this.phoneContacts.set(phone, owner);
    if (owner) this.numberContacts.add(owner);
    return status;
  }

  /** Add a number to the suppression list or remove it. */
  async suppress(phone: string, on: boolean) {
    return on
      ? (await api("POST", "/v1/suppressions", { phone, reason: "complaint" })).status
      : (await api("DELETE", `/v1/suppressions/${encodeURIComponent(phone)}`)).status;
  }

  /** `DELETE /v1/contacts/:id`. */
  async erase(identity: string) {
    return (await api("DELETE", `/v1/contacts/${this.ref(identity)}`)).status;
  }

  /**
   * A one-off send. `twice`: a second delivery of its queue job races the first; `lost`: a consumer
   * calls the gateway and dies before recording the answer (the queue then redelivers).
   */
  async send(target: { to?: string; contact?: string }, template: TemplateKey, key: string | undefined, mode: "once" | "twice" | "lost") {
    const body = { ...(target.to ? { to: target.to } : { contact: this.ref(target.contact!) }), template };
    const r = await api("POST", "/v1/messages", body, key ? { headers: { "idempotency-key": key } } : {});
    const messageId: string | undefined = r.body?.messageId;
    const contactId: string | undefined = r.body?.contactId;
    if (r.status === 202 && target.to && contactId) this.phoneContacts.set(target.to, (await lookupAlias(env, `phone:${target.to}`)) ?? contactId);
    if (r.status === 202 && messageId && contactId && r.body.status === "queued") {
      if (mode === "twice") await deliverSend({ contactId, messageId });
      if (mode === "lost") await this.loseAttempt(contactId, messageId);
    }
    return { status: r.status, messageId, replayed: r.body?.replayed === true };
  }

  /** What a consumer does up to the gateway call, then it dies: the answer is never recorded. */
  private async loseAttempt(contactId: string, messageId: string): Promise<void> {
    const stub = env.CONTACT.getByName(contactId);
    const prep = await stub.prepareSend(messageId);
    if (prep.action !== "send") return; // the real consumer was first
    const config = await getConfig(env.DB);
    await gatewayFor(env, config).send({ messageId, contactId, to: prep.to, body: prep.body, expiresAt: prep.expiresAt });
    this.lost.add(messageId);
  }

  /** Deliver every send job of these messages again, twice at once (queue redelivery, retries). */
  async redeliver(jobs: Array<{ contactId: string; messageId: string }>): Promise<void> {
    await Promise.all(jobs.flatMap((j) => [deliverSend(j), deliverSend(j)]));
  }

  /** Move the clock and run every contact's alarm (twice when asked: alarms can fire twice). */
  async advance(ms: number, twice: boolean): Promise<void> {
    if (ms > 0) advanceClock(ms);
    for (const id of await this.contactIds()) {
      const stub = env.CONTACT.getByName(id);
      await runDurableObjectAlarm(stub);
      if (twice) await runInDurableObject(stub, (instance: { alarm(): Promise<void> }) => instance.alarm());
    }
  }

  /** One contact's Durable Object, read directly. */
  async observe(id: string): Promise<ContactObs> {
    return runInDurableObject(env.CONTACT.getByName(id), async (_instance, state) => {
      const sql = state.storage.sql;
      const c = sql.exec<{ phone: string | null; merged_into: string | null }>("SELECT phone, merged_into FROM contact").toArray()[0];
      const messages = sql.exec<MessageObs & Record<string, SqlStorageValue>>('SELECT id, status, purpose, template_key, "to", updated_at FROM messages').toArray();
      const timers = sql.exec<{ id: string; kind: string; ref: string }>("SELECT id, kind, ref FROM timers").toArray();
      return { id, exists: Boolean(c), phone: c?.phone ?? null, mergedInto: c?.merged_into ?? null, messages: [...messages], timers: [...timers] };
    });
  }

  /** Wait until no message of this run is on its way to the gateway (lost attempts aside). */
  async settle(timeoutMs = 4_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    const ids = await this.contactIds();
    for (;;) {
      let busy = 0;
      for (const id of ids) {
        const o = await this.observe(id);
        busy += o.messages.filter((m) => m.status === "pending" || m.status === "queued" || (m.status === "dispatching" && !this.lost.has(m.id))).length;
      }
      if (!busy || Date.now() > end) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Set the clock to the run's start, and watch the gateway from here: calls made before are not this run's. */
  async start(offsetMin: number): Promise<void> {
    setClock(RUN_START + offsetMin * 60_000);
    const top = await env.DB.prepare("SELECT max(seq) AS s FROM model_gateway_calls").first<{ s: number | null }>();
    this.lastSeq = top?.s ?? 0;
  }

  /** Gateway calls to this run's numbers since the last look. */
  async newCalls(): Promise<GatewayCall[]> {
    const marks = this.phones.map(() => "?").join(", ");
    const { results } = await env.DB.prepare(`SELECT seq, id, "to", at FROM model_gateway_calls WHERE seq > ? AND "to" IN (${marks}) ORDER BY seq`)
      .bind(this.lastSeq, ...this.phones)
      .all<GatewayCall>();
    if (results.length) this.lastSeq = results[results.length - 1]!.seq;
    return results;
  }

  /** The contact a number's alias names. */
  alias(phone: string): Promise<string | undefined> {
    return lookupAlias(env, `phone:${phone}`);
  }

  /** The clock. */
  now(): number {
    return now();
  }
}
