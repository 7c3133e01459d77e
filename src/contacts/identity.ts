/**
 * Identity rules: which ContactDO an event, an API call or a reply belongs to.
 *
 * - A contact's id (`c_…`) never changes. For a `userId` or an `anonymousId` it is derived from the
 *   id itself (a hash), so routing an event needs no lookup at all.
 * - Aliases that can move or that brands look contacts up by (`phone:<E.164>`, `shopify:<id>`)
 *   live in one AliasDO per alias key: strongly consistent, no D1 read.
 * - `identify` with both ids merges the anonymous contact into the known one (events, consent,
 *   flags, traits the known contact lacks, its number if the known contact has none, a later stage,
 *   active runs, messages not yet at the gateway); the anonymous contact then forwards everything to
 *   the known one. Merging is idempotent.
 * - A phone number belongs to one live contact at a time, and its alias points there: the latest
 *   identify carrying it claims it, the previous owner loses it, and the number's STOP goes along
 *   (see numbers.ts for what stays with a number).
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { newId } from "../ids";
import { isSuppressed } from "../suppression/hash";
import { NO_HISTORY, type NumberClaim, type NumberHistory } from "./numbers";

/** Alias kinds a contact reference may use. */
export const ALIAS_KINDS = ["user", "anon", "phone", "shopify"] as const;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const ids = new Map<string, string>();
const merged = new Set<string>();
const CACHE_LIMIT = 50_000;

function bounded<T>(m: Map<string, T> | Set<string>): void {
  if (m.size >= CACHE_LIMIT) m.delete(m.keys().next().value!);
}

/** The contact id of a userId (`user`) or anonymousId (`anon`): `c_` + 20 base-36 characters of SHA-256. */
export async function contactIdFor(kind: "user" | "anon", value: string): Promise<string> {
  const key = `${kind}:${value}`;
  const hit = ids.get(key);
  if (hit) return hit;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  let id = "c_";
  for (let i = 0; i < 20; i++) id += ALPHABET[digest[i]! % 36];
  bounded(ids);
  ids.set(key, id);
  return id;
}

const alias = (env: Env, key: string) => env.ALIAS.getByName(key);

/** The contact an alias key (`phone:…`, `shopify:…`) points to, if any. */
export async function lookupAlias(env: Env, key: string): Promise<string | undefined> {
  return alias(env, key).lookup();
}

/** The contact an alias key points to, creating a new contact when none. */
export async function aliasOrCreate(env: Env, key: string): Promise<string> {
  return alias(env, key).getOrSet(newId("c"));
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
  if (kind === "user") return contactIdFor("user", value);
  // An anonymous contact that was merged forwards to the known one.
  if (kind === "anon") return env.CONTACT.getByName(await contactIdFor("anon", value)).resolve();
  // An unencoded "+" in a query string arrives as a space: "phone: 1415…" means "+1415…".
  if (kind === "phone") value = toE164(/^\s*\d/.test(value) ? `+${value.trim()}` : value) ?? value;
  return lookupAlias(env, `${kind}:${value}`);
}

/** The contact an identify or track call belongs to, merging the anonymous contact on identify. */
export async function routeCall(env: Env, call: { type: "identify" | "track"; userId?: string; anonymousId?: string }): Promise<string> {
  const { userId, anonymousId } = call;
  if (!userId) return contactIdFor("anon", anonymousId!);
  const known = await contactIdFor("user", userId);
  if (call.type === "identify" && anonymousId) {
    const anon = await contactIdFor("anon", anonymousId);
    const pair = `${anon}>${known}`;
    if (!merged.has(pair)) {
      await env.CONTACT.getByName(known).absorb(known, anon);
      bounded(merged);
      merged.add(pair);
    }
  }
  return known;
}

/**
 * Claim `phone` for `contactId` at its alias (the one place claims of a number are ordered): the
 * contact that held it before loses it and hands over what it recorded about the number. The
 * claiming contact applies the claim in its own transaction (`takeNumber`). Safe to repeat.
 */
export async function claimPhone(env: Env, contactId: string, phone: string): Promise<NumberClaim> {
  const { version, from } = await alias(env, `phone:${phone}`).claim(contactId);
  const [suppressed, history] = await Promise.all([
    isSuppressed(env, phone),
    from && from !== contactId ? handOverNumber(env, from, phone, version) : NO_HISTORY,
  ]);
  return { phone, version, suppressed, history };
}

/** The contact that held `phone` loses it, and says what it recorded about it. */
async function handOverNumber(env: Env, from: string, phone: string, version: number): Promise<NumberHistory> {
  // Told on every claim, not only when the alias moved: a retried claim must still reach it.
  const before = env.CONTACT.getByName(from);
  await before.releasePhone(phone, version);
  return before.numberHistory(phone);
}

/** `contactId` gives `phone` up (it changed number, or merged into a contact that keeps its own). */
export async function leaveNumber(env: Env, phone: string, contactId: string): Promise<void> {
  await alias(env, `phone:${phone}`).leave(contactId);
}

/**
 * The contact that owns `phone`, or a new contact that takes it (an unknown number texting in, a
 * one-off send to a new number), taking over the number's STOP and suppression like any claim.
 */
export async function contactForPhone(env: Env, phone: string, configVersion?: number): Promise<string> {
  const existing = await lookupAlias(env, `phone:${phone}`);
  if (existing) return existing;
  const contactId = await aliasOrCreate(env, `phone:${phone}`);
  await env.CONTACT.getByName(contactId).ingest(contactId, { type: "identify", messageId: `phone:${phone}`, properties: {}, traits: {}, phone }, configVersion);
  return contactId;
}
