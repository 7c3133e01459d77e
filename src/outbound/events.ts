/**
 * The outbound event stream: what a CRM or warehouse hears from Tidings. Each type has one versioned
 * payload schema (shown in /openapi.json under `webhooks`). Most events are derived, purely, from the
 * records ContactDOs already send to the records queue; each event's key is derived from its record,
 * so a redelivered record yields the same event (and the same webhook-id).
 */
import { z } from "@hono/zod-openapi";
import type { RecordMessage } from "../records/types";

/** Every event type an endpoint can subscribe to. */
export const EVENT_TYPES = [
  "message.sent",
  "message.delivered",
  "message.failed",
  "link.clicked",
  "reply.received",
  "consent.changed",
  "stage.changed",
  "task.created",
  "task.breached",
  "task.done",
  "conversion.attributed",
  "broadcast.finished",
  "contact.erased",
] as const;
/** An event type. */
export type EventType = (typeof EVENT_TYPES)[number];

const Instant = z.string().openapi({ format: "date-time", example: "2026-11-24T18:00:00.000Z" });
const ContactId = z.string().openapi({ example: "c_0123456789abcdefghij", description: "GET /v1/contacts/{id} gives the contact's aliases (userId, phone)" });

const Message = z.object({
  messageId: z.string(),
  contactId: ContactId,
  flowKey: z.string().nullable(),
  templateKey: z.string(),
  templateVersion: z.number().int().nullable(),
  purpose: z.string(),
  job: z.string(),
  stage: z.string().nullable(),
  status: z.string(),
  segments: z.number().int().nullable(),
  gateway: z.string().nullable(),
  errorCode: z.string().nullable(),
  sentAt: Instant.nullable(),
  deliveredAt: Instant.nullable(),
});

const Task = z.object({
  id: z.string(),
  contactId: ContactId,
  intent: z.string(),
  owner: z.string().nullable(),
  reply: z.string().nullable().openapi({ description: "the reply's text (removed when the contact is erased)" }),
  source: z.string(),
  stage: z.string().nullable(),
  state: z.string(),
  slaDueAt: Instant,
  createdAt: Instant,
});

/** The `data` schema of each event type (version 1). */
export const EVENT_DATA = {
  "message.sent": Message,
  "message.delivered": Message,
  "message.failed": Message,
  "link.clicked": z.object({ clickId: z.string(), contactId: ContactId, messageId: z.string(), code: z.string(), flowKey: z.string().nullable(), templateKey: z.string().nullable(), job: z.string().nullable(), stage: z.string().nullable(), at: Instant }),
  "reply.received": z.object({ contactId: ContactId, intent: z.string().nullable().openapi({ description: "settings.routing's intent, null when no rule matched" }), messageId: z.string().nullable().openapi({ description: "the message replied to (last sent within the reply window)" }), flowKey: z.string().nullable(), stage: z.string().nullable(), at: Instant }),
  "consent.changed": z.object({ contactId: ContactId, purpose: z.string(), action: z.string(), state: z.string(), before: z.string().nullable(), source: z.string().openapi({ description: "provenance: keyword, form, api, import, shopify, …" }), hasText: z.boolean(), hasProof: z.boolean(), at: Instant }),
  "stage.changed": z.object({ contactId: ContactId, from: z.string().nullable(), to: z.string(), reason: z.string(), at: Instant }),
  "task.created": Task,
  "task.breached": Task,
  "task.done": Task,
  "conversion.attributed": z.object({ contactId: ContactId, event: z.string(), revenue: z.number().nullable(), currency: z.string().nullable(), messageId: z.string().nullable(), flowKey: z.string().nullable(), templateKey: z.string().nullable(), touch: z.enum(["click", "delivery", "sent"]).nullable(), stage: z.string().nullable(), job: z.string().nullable(), at: Instant }),
  "broadcast.finished": z.object({ broadcastId: z.string(), flowKey: z.string(), pages: z.number().int(), at: Instant }),
  "contact.erased": z.object({ contactId: ContactId, at: Instant }),
} satisfies Record<EventType, z.ZodType>;

/** The version of every payload schema above; a breaking change adds a version, never edits one. */
export const EVENT_VERSION = 1;

/** The body of every delivery: `{ type, version, timestamp, data }`. */
export function envelopeSchema(type: EventType) {
  return z
    .object({ type: z.literal(type), version: z.literal(EVENT_VERSION), timestamp: Instant.openapi({ description: "when it happened" }), data: EVENT_DATA[type] })
    .openapi(`Webhook_${type.replace(".", "_")}`);
}

/** An event to deliver: `key` names it uniquely and deterministically (the webhook-id is derived from it). */
export interface OutboundEvent {
  key: string;
  type: EventType;
  contactId: string | null;
  /** The task owner a task event also goes to (their `routing.owners` webhook). */
  owner?: string | null;
  at: number;
  data: Record<string, unknown>;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** The events a batch of records means. Pure. */
export function eventsOfRecords(records: RecordMessage[]): OutboundEvent[] {
  const out: OutboundEvent[] = [];
  const add = (type: EventType, id: string, contactId: string | null, at: number, data: Record<string, unknown>, owner?: string | null) =>
    out.push({ key: `${type}:${id}`, type, contactId, at, data, ...(owner !== undefined ? { owner } : {}) });
  for (const r of records) {
    switch (r.kind) {
      case "message": {
        const data = {
          messageId: r.id, contactId: r.contactId, flowKey: r.flowKey, templateKey: r.templateKey, templateVersion: r.templateVersion, purpose: r.purpose,
          job: r.job, stage: r.stage, status: r.status, segments: r.segments, gateway: r.gateway, errorCode: r.errorCode, sentAt: iso(r.sentAt), deliveredAt: iso(r.deliveredAt),
        };
        if (r.sentAt !== null && (r.status === "sent" || r.status === "delivered")) add("message.sent", r.id, r.contactId, r.sentAt, data);
        if (r.status === "delivered") add("message.delivered", r.id, r.contactId, r.deliveredAt ?? r.updatedAt, data);
        if (r.status === "failed" || r.status === "undelivered") add("message.failed", r.id, r.contactId, r.updatedAt, data);
        break;
      }
      case "click":
        if (r.click === "click") {
          add("link.clicked", r.id, r.contactId, r.at, { clickId: r.id, contactId: r.contactId, messageId: r.messageId, code: r.code, flowKey: r.flowKey, templateKey: r.templateKey, job: r.job ?? null, stage: r.stage ?? null, at: iso(r.at) });
        }
        break;
      case "outcome":
        if (r.type === "reply") add("reply.received", r.id, r.contactId, r.at, { contactId: r.contactId, intent: r.intent ?? null, messageId: r.messageId, flowKey: r.flowKey, stage: r.stage, at: iso(r.at) });
        if (r.type === "conversion") {
          add("conversion.attributed", r.id, r.contactId, r.at, {
            contactId: r.contactId, event: r.event, revenue: r.revenue, currency: r.currency, messageId: r.messageId, flowKey: r.flowKey, templateKey: r.templateKey, touch: r.touch, stage: r.stage, job: r.job, at: iso(r.at),
          });
        }
        break;
      case "consent":
        add("consent.changed", r.id, r.contactId, r.at, { contactId: r.contactId, purpose: r.purpose, action: r.action, state: r.state, before: r.before ?? null, source: r.source, hasText: r.hasText, hasProof: r.hasProof, at: iso(r.at) });
        break;
      case "stage_change":
        add("stage.changed", r.id, r.contactId, r.at, { contactId: r.contactId, from: r.from, to: r.to, reason: r.reason, at: iso(r.at) });
        break;
      case "task": {
        // A task's revisions: the first is `open`; `breached` and `done` happen at most once each.
        const type = r.state === "open" && r.breachedAt === null ? "task.created" : r.state === "breached" ? "task.breached" : r.state === "done" ? "task.done" : undefined;
        if (!type) break;
        const at = type === "task.created" ? r.createdAt : type === "task.breached" ? (r.breachedAt ?? r.createdAt) : (r.doneAt ?? r.createdAt);
        add(type, r.id, r.contactId, at, {
          id: r.id, contactId: r.contactId, intent: r.intent, owner: r.owner, reply: r.reply, source: r.source, stage: r.stage, state: r.state, slaDueAt: iso(r.slaDueAt), createdAt: iso(r.createdAt),
        }, r.owner);
        break;
      }
    }
  }
  return out;
}
