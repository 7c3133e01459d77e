/**
 * Where a ContactDO's call belongs when that contact cannot take it: the contact it merged into,
 * or the current owner of the number the call is about (a reply, a suppression, a provider opt-out).
 */
import { claimPhone, contactForPhone, leaveNumber, lookupAlias } from "./identity";
import type { NumberClaim } from "./numbers";
import type { Hop } from "./rpc-types";
import type { ContactStore } from "./store";

/** Calls are passed on at most this many times (a loop of stale aliases ends). */
const MAX_HOPS = 3;

/**
 * The contact a call about `phone` belongs to, when not this one: the contact it merged into, or
 * the number's owner (with `create`, a new contact when nobody has the number, as for an unknown
 * number texting in). Undefined: here.
 */
export async function elsewhere(env: Env, store: ContactStore, phone: string, hop: Hop, create: boolean): Promise<string | undefined> {
  const c = store.contact();
  if (!c || (hop.n ?? 0) >= MAX_HOPS) return undefined;
  if (c.merged_into) return c.merged_into;
  if (c.phone === phone) return undefined;
  // An alias still naming this contact (or the merged contact that passed the call on) is out of date.
  for (const id of new Set([c.id, hop.via])) if (id) await leaveNumber(env, phone, id);
  const owner = create ? await contactForPhone(env, phone) : await lookupAlias(env, `phone:${phone}`);
  return owner && owner !== c.id ? owner : undefined;
}

/** The hop for passing a call on from this contact. */
export function passOn(store: ContactStore, hop: Hop): Hop {
  return { via: store.contact()?.id, n: (hop.n ?? 0) + 1 };
}

/** Give up the aliases of numbers this contact held or claimed but does not have now. */
export async function leaveNumbers(env: Env, store: ContactStore, phones: Array<string | null | undefined>): Promise<void> {
  const c = store.contact();
  if (!c) return;
  for (const p of new Set(phones)) if (p && p !== c.phone) await leaveNumber(env, p, c.id);
}

/**
 * A merge's number: the surviving contact (`contactId`, with number `mine`) takes the merged
 * contact's number `theirs` when it has none; otherwise that number is left unowned.
 */
export async function mergeNumber(env: Env, contactId: string, fromId: string, mine: string | null | undefined, theirs: string | null): Promise<NumberClaim | undefined> {
  if (!theirs) return undefined;
  if (!mine) return claimPhone(env, contactId, theirs);
  if (theirs !== mine) await leaveNumber(env, theirs, fromId);
  return undefined;
}
