/** From a validated Segment call to the contact's DO: normalise, resolve identity (the DO claims a new phone). */
import { contactIdFor, routeCall, toE164 } from "../contacts/identity";
import { isValidTimeZone } from "../time/zoned";
import type { FieldError } from "../http/problem";
import { instant } from "./calls";
import { getConfig } from "../settings/config";
import type { IngestCall } from "./schema";

interface CallBase {
  userId?: string;
  anonymousId?: string;
  messageId?: string;
  /** ISO 8601, used when `at` is absent. */
  timestamp?: string;
  /** When it happened (epoch ms), already corrected for the sender's clock. */
  at?: number;
  context?: { timezone?: string; locale?: string };
}

/** A call the ContactDO knows (every Segment call type becomes one or two of these, src/events/calls.ts). */
export type Call = (CallBase & { type: "identify"; traits: Record<string, unknown> }) | (CallBase & { type: "track"; event: string; properties: Record<string, unknown> });

/** Check what zod cannot (the phone), and normalise. Errors name the field. */
export function normalise(call: Call, prefix = ""): { ok: true; call: IngestCall } | { ok: false; errors: FieldError[] } {
  let phone: string | undefined;
  if (call.type === "identify" && call.traits.phone !== undefined && call.traits.phone !== null && call.traits.phone !== "") {
    phone = typeof call.traits.phone === "string" ? toE164(call.traits.phone) : undefined;
    if (!phone) {
      return { ok: false, errors: [{ field: `${prefix}traits.phone`, message: "not a valid phone number (use E.164, e.g. +14155550100)" }] };
    }
  }
  if (call.type === "identify" && call.traits.timezone !== undefined && !(typeof call.traits.timezone === "string" && isValidTimeZone(call.traits.timezone))) {
    return { ok: false, errors: [{ field: `${prefix}traits.timezone`, message: "not an IANA time zone such as America/New_York" }] };
  }
  return {
    ok: true,
    call: {
      type: call.type,
      messageId: call.messageId ?? `auto:${crypto.randomUUID()}`,
      event: call.type === "track" ? call.event : undefined,
      properties: call.type === "track" ? call.properties : {},
      traits: call.type === "identify" ? call.traits : {},
      at: call.at ?? (call.timestamp ? instant(call.timestamp) : undefined),
      timezone: call.context?.timezone,
      locale: call.context?.locale,
      phone,
    },
  };
}

/** What delivering a call came to; `refused` names the trait that would take the contact's traits over their cap. */
export interface Ingested {
  contactId: string;
  duplicate: boolean;
  refused?: FieldError;
}

/** Deliver one normalised call to its contact. `prefix` starts the field a refusal names (`batch.3.`). */
export async function ingest(env: Env, call: Call, normalised: IngestCall, prefix = ""): Promise<Ingested> {
  const { version } = await getConfig(env.DB);
  // An identify that merges contacts is checked against the traits cap first, so a refused one merges
  // nothing. A phone needs no pre-check: the contact checks the cap before it claims the number.
  if (call.type === "identify" && call.userId && call.anonymousId) {
    const target = await contactIdFor(call.userId ? "user" : "anon", (call.userId ?? call.anonymousId)!);
    const refused = await env.CONTACT.getByName(target).traitsRefusal(normalised);
    if (refused) return { contactId: target, duplicate: false, refused: { field: `${prefix}traits.${refused.trait}`, message: refused.message } };
  }
  const contactId = await routeCall(env, call);
  const r = await env.CONTACT.getByName(contactId).ingest(contactId, normalised, version);
  return {
    contactId: r.contactId,
    duplicate: r.duplicate,
    ...(r.refused ? { refused: { field: `${prefix}traits.${r.refused.trait}`, message: r.refused.message } } : {}),
  };
}

/**
 * An alias's `previousId` may be a former userId as well as an anonymousId: the contact of that
 * userId, when there is one, is merged into the user's too (the same merge as identify's), or the
 * contact it was already merged into.
 */
export async function joinPreviousUser(env: Env, userId: string, previousId: string): Promise<void> {
  if (previousId === userId) return;
  const [known, previous] = await Promise.all([contactIdFor("user", userId), contactIdFor("user", previousId)]);
  const live = await env.CONTACT.getByName(previous).resolve();
  if (live && live !== known) await env.CONTACT.getByName(known).absorb(known, live);
}
