/** From a validated Segment call to the contact's DO: normalise, resolve identity (the DO claims a new phone). */
import { routeCall, toE164 } from "../contacts/identity";
import { isValidTimeZone } from "../time/zoned";
import type { FieldError } from "../http/problem";
import { getConfig } from "../settings/config";
import type { IdentifyCall, IngestCall, TrackCall } from "./schema";

/** A validated call with its type. */
export type Call = (IdentifyCall & { type: "identify" }) | (TrackCall & { type: "track" });

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
      at: call.timestamp ? Date.parse(call.timestamp) : undefined,
      timezone: call.context?.timezone,
      locale: call.context?.locale,
      phone,
    },
  };
}

/** Deliver one normalised call to its contact. */
export async function ingest(env: Env, call: Call, normalised: IngestCall): Promise<{ contactId: string; duplicate: boolean }> {
  const { version } = await getConfig(env.DB);
  const contactId = await routeCall(env, call);
  return env.CONTACT.getByName(contactId).ingest(contactId, normalised, version);
}
