/**
 * Identity rules: which ContactDO an event, an API call or a reply belongs to.
 *
 * - A contact's id (`c_…`) never changes. Aliases point at it: `user:<userId>`, `anon:<anonymousId>`,
 *   `phone:<E.164>`, `shopify:<customer id>`.
 * - `userId` aliases are permanent. An `identify` with both ids binds the anonymous id to the known
 *   contact; when the anonymous id already had a contact of its own, that contact is merged in
 *   (events, traits the known contact lacks, a later stage, active runs) and forwards from then on.
 * - A phone number belongs to one contact at a time: the latest identify carrying it claims it and
 *   the previous owner loses it.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { newId } from "../ids";

/** Alias kinds a contact reference may use. */
export const ALIAS_KINDS = ["user", "anon", "phone", "shopify"] as const;

// userId and anonymousId lookups are cached per isolate: a user alias never moves, and an anonymous
// alias that moved on merge points at a contact that forwards. Phone aliases move, so never cached.
const cache = new Map<string, string>();
const CACHE_LIMIT = 50_000;

function remember(key: string, contactId: string): string {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, contactId);
  return contactId;
}

const alias = (env: Env, key: string) => env.ALIAS.getByName(key);

/** The contact an alias key points to, if any. */
export async function lookupAlias(env: Env, key: string): Promise<string | undefined> {
  const hit = cache.get(key);
  if (hit) return hit;
  const id = await alias(env, key).lookup();
  return id && !key.startsWith("phone:") ? remember(key, id) : id;
}

/** The contact an alias key points to, creating a new contact (or using `proposed`) when none. */
export async function aliasOrCreate(env: Env, key: string, proposed?: string): Promise<string> {
  const hit = cache.get(key);
  if (hit) return hit;
  const id = await alias(env, key).getOrSet(proposed ?? newId("c"));
  return key.startsWith("phone:") ? id : remember(key, id);
}

/** A phone number in E.164, or undefined when it is not a valid number. */
export function toE164(raw: string, defaultCountry?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw, { defaultCountry: defaultCountry as never });
  return parsed?.isValid() ? parsed.number : undefined;
}

/**
 * Resolve a contact reference from a URL: an internal id (`c_…`) or a prefixed alias
 * (`user:<userId>`, `anon:<anonymousId>`, `phone:<E.164>`, `shopify:<id>`).
 */
export async function resolveRef(env: Env, ref: string): Promise<string | undefined> {
  if (/^c_[0-9a-z]{20}$/.test(ref)) return ref;
  const i = ref.indexOf(":");
  const kind = ref.slice(0, i);
  if (i < 1 || !(ALIAS_KINDS as readonly string[]).includes(kind)) return undefined;
  let value = ref.slice(i + 1);
  // An unencoded "+" in a query string arrives as a space: "phone: 1415…" means "+1415…".
  if (kind === "phone") value = toE164(/^\s*\d/.test(value) ? `+${value.trim()}` : value) ?? value;
  return lookupAlias(env, `${kind}:${value}`);
}

/** The contact an identify or track call belongs to, merging an anonymous contact on identify. */
export async function routeCall(env: Env, call: { type: "identify" | "track"; userId?: string; anonymousId?: string }): Promise<string> {
  const { userId, anonymousId } = call;
  if (call.type === "track" || !userId || !anonymousId) {
    return userId ? aliasOrCreate(env, `user:${userId}`) : aliasOrCreate(env, `anon:${anonymousId}`);
  }
  const anonKey = `anon:${anonymousId}`;
  const anonContact = await lookupAlias(env, anonKey);
  const known = await aliasOrCreate(env, `user:${userId}`, anonContact);
  if (anonContact === known) return known;
  // The anonymous id had its own contact (or gains one now): fold it into the known contact.
  const previous = await alias(env, anonKey).claim(known);
  remember(anonKey, known);
  if (previous && previous !== known) await env.CONTACT.getByName(known).absorb(known, previous);
  return known;
}

/** Give `phone` to `contactId`; the contact that had it loses it. True when the claim is new. */
export async function claimPhone(env: Env, contactId: string, phone: string): Promise<boolean> {
  const previous = await alias(env, `phone:${phone}`).claim(contactId);
  if (previous && previous !== contactId) await env.CONTACT.getByName(previous).releasePhone(phone);
  return previous !== contactId;
}
