/** The contact's projection for D1: one `contact` record per unit of work that changed the contact. */
import { now } from "../clock";
import { consentSummary } from "../consent/ledger";
import { flagsOf } from "../rules/flags";
import { TRAITS_BYTES, fillWithin, kb, utf8Bytes } from "../size-limits";
import type { JsonBag } from "./rpc-types";
import type { Session } from "./session";
import type { ContactRow } from "./store";

/** Queue the contact projection, with its consent summary and flags, at a new revision. */
export function project(s: Session): void {
  s.store.run("UPDATE contact SET rev = rev + 1");
  const c = s.store.contact()!;
  s.store.record({
    kind: "contact", contactId: c.id, rev: c.rev, stage: c.stage, phone: c.phone, timezone: c.timezone,
    traits: projectedTraits(c), consent: consentSummary(s), flags: [...flagsOf(s)], suppressed: c.suppressed === 1,
    createdAt: c.created_at, updatedAt: now(), ...(c.merged_into ? { mergedInto: c.merged_into } : {}),
  });
  s.store.contactTouched = false;
}

/** The traits the projection carries: a contact stored over the cap (before it existed) sends what fits, so its record still goes. */
function projectedTraits(c: ContactRow): JsonBag {
  const traits = JSON.parse(c.traits);
  if (utf8Bytes(c.traits) <= TRAITS_BYTES) return traits;
  const fit = fillWithin({}, traits);
  console.warn(`contact ${c.id}: traits over the ${kb(TRAITS_BYTES)} cap; the projection leaves out ${fit.dropped.join(", ")}`);
  return fit.traits;
}
