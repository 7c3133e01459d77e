/**
 * Every Segment call type as the calls the ContactDO already knows (identify, track), mapped at the
 * edge so the contact needs nothing new:
 *
 * - `identify` → identify; `context.traits` fill in under the call's own traits.
 * - `track` → track; `context.traits`, when sent, are recorded first by an identify of their own.
 * - `page` → the event `Page Viewed`, `screen` → `Screen Viewed`: properties, plus `name` and
 *   `category` when sent (flows trigger on them like any event).
 * - `group` → the trait `company`: `{ id: groupId, ...traits }`.
 * - `alias` → identify with `previousId` as the anonymous id: the same merge as identify's.
 *
 * Timestamps are corrected for the sender's clock: `timestamp + (received − sentAt)`.
 */
import { toE164 } from "../contacts/identity";
import { isValidTimeZone } from "../time/zoned";
import { PAGE_VIEWED, SCREEN_VIEWED } from "../settings/vocabulary";
import type { Call } from "./ingest";
import type { Context, SegmentCall } from "./schema";

/** What a batch says for all its calls. */
export interface BatchDefaults {
  sentAt?: string;
  context?: Context;
}

/** Epoch ms of an ISO 8601 instant; one without an offset is UTC (not the isolate's zone). */
export function instant(iso: string): number {
  return Date.parse(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

/**
 * When a call happened, on our clock: its `timestamp` (or `originalTimestamp`) moved by how far the
 * sender's clock was off when it sent the call (`received − sentAt`); as sent without a `sentAt`.
 */
export function happenedAt(call: { timestamp?: string; originalTimestamp?: string; sentAt?: string }, receivedAt: number, batchSentAt?: string): number | undefined {
  const ts = call.timestamp ?? call.originalTimestamp;
  if (!ts) return undefined;
  const sent = call.sentAt ?? batchSentAt;
  return instant(ts) + (sent ? receivedAt - instant(sent) : 0);
}

/**
 * `context.traits` as traits: a phone or time zone Tidings cannot read is left out rather than
 * refusing the call (they ride along with events; the call's own traits are checked strictly).
 */
export function contextTraits(traits: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...traits };
  if (out.phone !== undefined && !(typeof out.phone === "string" && toE164(out.phone))) delete out.phone;
  if (out.timezone !== undefined && !(typeof out.timezone === "string" && isValidTimeZone(out.timezone))) delete out.timezone;
  return out;
}

/**
 * The ContactDO calls one Segment call becomes, in order. With `merge: false` (a browser key) no
 * call joins two contacts: an identify goes to its userId's contact alone.
 */
export function toContactCalls(c: SegmentCall, receivedAt: number, batch: BatchDefaults = {}, merge = true): Call[] {
  const ctx = { ...batch.context, ...c.context };
  const base = { messageId: c.messageId, at: happenedAt(c, receivedAt, batch.sentAt), context: { timezone: ctx.timezone, locale: ctx.locale } };
  const both = { userId: c.userId, anonymousId: c.anonymousId };
  // One id only: an identify with both would merge the anonymous contact, which only identify and alias may do.
  const one = c.userId ? { userId: c.userId } : { anonymousId: c.anonymousId };
  const fromContext = contextTraits(ctx.traits);
  const companion: Call[] = Object.keys(fromContext).length
    ? [{ type: "identify", ...one, ...base, messageId: c.messageId && `${c.messageId}:context.traits`, traits: fromContext }]
    : [];
  switch (c.type) {
    case "identify":
      return [{ type: "identify", ...(merge ? both : one), ...base, traits: { ...fromContext, ...c.traits } }];
    case "track":
      return [...companion, { type: "track", ...both, ...base, event: c.event, properties: c.properties }];
    case "page":
    case "screen": {
      const named = { ...(c.name !== undefined ? { name: c.name } : {}), ...(c.category !== undefined ? { category: c.category } : {}) };
      return [...companion, { type: "track", ...both, ...base, event: c.type === "page" ? PAGE_VIEWED : SCREEN_VIEWED, properties: { ...c.properties, ...named } }];
    }
    case "group":
      return [{ type: "identify", ...one, ...base, traits: { ...fromContext, company: { ...c.traits, id: c.groupId } } }];
    case "alias":
      return [{ type: "identify", userId: c.userId, anonymousId: c.previousId, ...base, traits: {} }];
  }
}

/** The person a call is about, so one person's calls in a batch keep their order. */
export function personOf(c: SegmentCall): string {
  return c.userId ? `u:${c.userId}` : `a:${c.anonymousId}`;
}
