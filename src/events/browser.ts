/**
 * What a browser key may send (pure): the events a page sees. Not `alias` (it joins two people),
 * not the consent events (`Subscribed`, `Unsubscribed`: consent needs proof a page cannot give),
 * not a phone (a number moves to whichever contact names it last), in the call's traits or in
 * `context.traits`. An identify from a browser key merges nothing (src/events/calls.ts).
 */
import type { FieldError } from "../http/problem";
import type { SegmentCall } from "./schema";

/** Events that change consent (src/contacts/contact-do.ts `consentEvent`). */
export const CONSENT_EVENTS: readonly string[] = ["Subscribed", "Unsubscribed"];

const hasPhone = (traits: Record<string, unknown> | undefined) => traits?.phone !== undefined && traits.phone !== null && traits.phone !== "";

/** Why a browser key may not send this call, naming the field; undefined when it may. */
export function browserRefusal(c: SegmentCall, prefix = ""): FieldError | undefined {
  if (c.type === "alias") return { field: `${prefix}type`, message: "a browser key cannot join two ids; send alias from your server with an ingest key" };
  if (c.type === "track" && CONSENT_EVENTS.includes(c.event)) {
    return { field: `${prefix}event`, message: `${c.event} changes consent; send it from your server with an ingest key` };
  }
  if (c.type === "identify" && hasPhone(c.traits)) return { field: `${prefix}traits.phone`, message: "a browser key cannot set a phone; identify with a phone from your server" };
  if (hasPhone(c.context?.traits)) return { field: `${prefix}context.traits.phone`, message: "a browser key cannot set a phone; identify with a phone from your server" };
  return undefined;
}
