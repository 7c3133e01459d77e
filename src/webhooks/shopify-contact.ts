/**
 * Which contact a Shopify delivery belongs to, and delivering its calls there.
 *
 * Routing rule, in order:
 *  1. the contact the `shopify:<customer id>` alias points to;
 *  2. a customer Tidings has not seen yet whose phone already belongs to a contact: that contact
 *     (the alias is bound to it, so a shopper who signed up by SMS keeps one history);
 *  3. a new contact for the customer;
 *  4. no customer (guest checkout or order): the contact that owns the phone, else a new one that
 *     takes it; fulfillments (no customer in the payload): the contact of their order.
 * Binding an alias is get-or-set on its AliasDO, so two deliveries racing for a new customer agree.
 */
import { claimPhone, lookupAlias } from "../contacts/identity";
import type { IngestCall } from "../events/schema";
import { newId } from "../ids";
import { getConfig } from "../settings/config";
import { isSuppressed } from "../suppression/hash";
import type { ShopifyWork } from "./shopify";

const alias = (env: Env, key: string) => env.ALIAS.getByName(key);

/** The contact an alias-bound id stands for now (a merged contact forwards to the one it merged into). */
async function current(env: Env, key: string, id: string): Promise<string> {
  const into = await env.CONTACT.getByName(id).resolve();
  if (into && into !== id) await alias(env, key).claim(into);
  return into ?? id;
}

/** The contact of a delivery (see the routing rule); `fresh` when this call created it with its phone. */
export async function shopifyContact(env: Env, work: ShopifyWork): Promise<{ contactId: string; fresh: boolean } | undefined> {
  if (work.customerId) {
    const key = `shopify:${work.customerId}`;
    const known = await lookupAlias(env, key);
    if (known) return { contactId: await current(env, key, known), fresh: false };
    const owner = work.phone ? await lookupAlias(env, `phone:${work.phone}`) : undefined;
    const id = await alias(env, key).getOrSet(owner ?? newId("c"));
    return { contactId: await current(env, key, id), fresh: false };
  }
  if (work.phone) {
    const key = `phone:${work.phone}`;
    const created = newId("c");
    const id = await alias(env, key).getOrSet(created);
    return { contactId: await current(env, key, id), fresh: id === created };
  }
  if (work.forOrder) {
    const key = `shopify-order:${work.forOrder}`;
    const id = await lookupAlias(env, key);
    return id ? { contactId: await current(env, key, id), fresh: false } : undefined;
  }
  return undefined;
}

/** Whether a Shopify consent change is older than what the contact's ledger already says for that number. */
async function staleConsent(env: Env, contactId: string, work: ShopifyWork): Promise<boolean> {
  if (work.consentAt === undefined) return false;
  const view = await env.CONTACT.getByName(contactId).view();
  // A late webhook carrying an old snapshot must not undo a newer change (a STOP, a form grant).
  return Boolean(view?.consentHistory.some((e) => e.purpose === "marketing" && e.phone === work.phone && Date.parse(e.at) > work.consentAt!));
}

/** Route a delivery and hand its calls to the contact, in order. False when it belongs to nobody. */
export async function applyShopify(env: Env, work: ShopifyWork): Promise<boolean> {
  const to = await shopifyContact(env, work);
  if (!to) return false;
  const { contactId, fresh } = to;
  const { version } = await getConfig(env.DB);
  const stale = await staleConsent(env, contactId, work);
  const stub = env.CONTACT.getByName(contactId);
  for (let call of work.calls) {
    if (stale && (call.event === "Subscribed" || call.event === "Unsubscribed")) continue;
    if (call.phone) {
      // The suppression list is read when a contact newly takes a number, as for any identify.
      const claimed = await claimPhone(env, contactId, call.phone);
      if (claimed || fresh) call = { ...call, phoneSuppressed: await isSuppressed(env, call.phone) } satisfies IngestCall;
    }
    const r = await stub.ingest(contactId, call, version);
    if (r.refused) console.warn(`shopify ${work.topic} ${work.eventId}: traits.${r.refused.trait} ${r.refused.message}; the rest of the delivery goes on`);
  }
  // A fulfillment carries no customer: remember whose order this is.
  if (work.orderId) await alias(env, `shopify-order:${work.orderId}`).getOrSet(contactId);
  return true;
}
