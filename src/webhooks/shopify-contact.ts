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
import { lookupAlias } from "../contacts/identity";
import { newId } from "../ids";
import { getConfig } from "../settings/config";
import type { ShopifyWork } from "./shopify";

const alias = (env: Env, key: string) => env.ALIAS.getByName(key);

/** The contact an alias-bound id stands for now (a merged contact forwards to the one it merged into). */
async function current(env: Env, key: string, id: string): Promise<string> {
  const into = await env.CONTACT.getByName(id).resolve();
  if (into && into !== id) await alias(env, key).claim(into);
  return into ?? id;
}

/** The contact of a delivery (see the routing rule). */
export async function shopifyContact(env: Env, work: ShopifyWork): Promise<{ contactId: string } | undefined> {
  if (work.customerId) {
    const key = `shopify:${work.customerId}`;
    const known = await lookupAlias(env, key);
    if (known) return { contactId: await current(env, key, known) };
    const owner = work.phone ? await lookupAlias(env, `phone:${work.phone}`) : undefined;
    const id = await alias(env, key).getOrSet(owner ?? newId("c"));
    return { contactId: await current(env, key, id) };
  }
  if (work.phone) {
    const key = `phone:${work.phone}`;
    const id = await alias(env, key).getOrSet(newId("c"));
    return { contactId: await current(env, key, id) };
  }
  if (work.forOrder) {
    const key = `shopify-order:${work.forOrder}`;
    const id = await lookupAlias(env, key);
    return id ? { contactId: await current(env, key, id) } : undefined;
  }
  return undefined;
}

/** Route a delivery and hand its calls to the contact, in order. False when it belongs to nobody. */
export async function applyShopify(env: Env, work: ShopifyWork): Promise<boolean> {
  const to = await shopifyContact(env, work);
  if (!to) return false;
  const { contactId } = to;
  const { version } = await getConfig(env.DB);
  const stub = env.CONTACT.getByName(contactId);
  for (const call of work.calls) {
    // A call with a phone the contact does not have yet claims it there, as any identify does.
    const r = await stub.ingest(contactId, call, version);
    if (r.refused) console.warn(`shopify ${work.topic} ${work.eventId}: traits.${r.refused.trait} ${r.refused.message}; the rest of the delivery goes on`);
  }
  // A fulfillment carries no customer: remember whose order this is.
  if (work.orderId) await alias(env, `shopify-order:${work.orderId}`).getOrSet(contactId);
  return true;
}
