/** Wire types of ContactDO's RPC methods: what callers send and get back. */
import type { ConsentState, consentHistory } from "../consent/ledger";
import type { outboxView } from "./outbox";

/** A one-off send request (`POST /v1/messages`). */
export interface OneOff {
  idempotencyKey?: string;
  fingerprint: string;
  template: string;
  purpose?: string;
  job?: string;
  expiresInMs?: number;
  properties: Record<string, unknown>;
}

/** How a call about a number reached this contact: the contact that passed it on, and how many times it was passed. */
export interface Hop {
  via?: string;
  n?: number;
}

/** JSON objects of any shape (traits, properties): typed loosely because RPC cannot carry `unknown`. */
// biome-ignore lint: deliberate
export type JsonBag = Record<string, any>;

/** A contact as `GET /v1/contacts/:id` shows it. */
export interface ContactView {
  id: string;
  phone: string | null;
  timezone: string | null;
  traits: JsonBag;
  stage: string | null;
  mergedInto: string | null;
  suppressed: boolean;
  /** Rows waiting for their queue, and rows that could never be sent and were set aside (counted, newest few shown). */
  outbox: ReturnType<typeof outboxView>;
  flags: Array<{ name: string; source: string; at: string }>;
  /** Consent state per purpose with entries, for the current phone. */
  consent: Record<string, ConsentState>;
  /** Every ledger entry, oldest first, with provenance. */
  consentHistory: ReturnType<typeof consentHistory>;
  createdAt: string;
  stageHistory: Array<{ from: string | null; to: string; reason: string; at: string }>;
  timers: Array<{ id: string; kind: string; ref: string; dueAt: string }>;
  runs: Array<{ id: string; flow: string; version: number; status: string; pc: number; startedAt: string }>;
  recentEvents: Array<{ messageId: string; type: string; event: string | null; properties: JsonBag; at: string }>;
  recentDecisions: Array<{ messageId: string; flow: string | null; outcome: string; reason: string; until?: string; detail?: string; at: string }>;
}

/** A trait an identify may not write, and why (the traits would pass their cap). */
export interface TraitsRefusal {
  trait: string;
  message: string;
}

/** One entry of a contact's timeline. */
// Fields vary by kind; typed loosely because RPC's recursive type mapping of JSON values explodes.
// biome-ignore lint: any is deliberate here
export type TimelineItem = { at: string; kind: string; id: string; [field: string]: any };
