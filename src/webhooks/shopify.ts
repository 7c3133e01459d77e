/**
 * Shopify REST webhook payloads → Segment e-commerce calls (pure: no I/O). Each delivery becomes, in
 * order: an identify (phone, names, address), a consent event from the customer's
 * `sms_marketing_consent`, and the commerce event. Every call's messageId is stable, so a repeated
 * delivery (or the same fact in another topic: orders/create and orders/paid) records once.
 */
import { z } from "@hono/zod-openapi";
import { toE164 } from "../contacts/identity";
import type { IngestCall } from "../events/schema";
import type { FieldError } from "../http/problem";
import { fieldErrors } from "../http/problem";
import { callSizeErrors } from "../size-limits";

/** The topics Tidings maps; others are acknowledged and ignored. */
export const SHOPIFY_TOPICS = [
  "checkouts/create",
  "checkouts/update",
  "orders/create",
  "orders/paid",
  "orders/cancelled",
  "fulfillments/create",
  "customers/create",
  "customers/update",
] as const;
/** A mapped topic. */
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

/** What one delivery asks of Tidings: who it is about and the calls for that contact. */
export interface ShopifyWork {
  topic: ShopifyTopic;
  eventId: string;
  /** The Shopify customer id (`shopify:<id>` alias). */
  customerId?: string;
  /** The E.164 number the contact should own. */
  phone?: string;
  /** Orders: remembered so a later fulfillment (which carries no customer) finds the contact. */
  orderId?: string;
  /** Fulfillments: the order whose contact gets the event. */
  forOrder?: string;
  calls: IngestCall[];
}

/**
 * JSON.parse that keeps ids exact: Shopify ids above 2^53 (its documented examples use 18 digits)
 * would lose digits as numbers, so integers of 16 digits or more become their exact decimal string.
 * Strings are matched first, so their contents are never touched.
 */
export function parseShopifyJson(text: string): unknown {
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|(?<=[:[,]\s*)-?\d{16,}(?![\d.eE])/g, (m) => (m.startsWith('"') ? m : `"${m}"`)));
}

const Id = z.union([z.string().trim().min(1), z.number().int()]).transform(String);
const Payload = {
  checkout: z.object({ token: z.string().min(1) }).loose(),
  order: z.object({ id: Id }).loose(),
  fulfillment: z.object({ id: Id, order_id: Id }).loose(),
  customer: z.object({ id: Id }).loose(),
};

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : typeof v === "number" ? String(v) : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};
const time = (v: unknown): number | undefined => {
  const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
};
/** Drop undefined and null entries (Segment properties carry only what is known). */
const compact = <T extends Obj>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

/** Map one delivery; errors name the missing field. */
export function mapShopify(topic: ShopifyTopic, payload: unknown, eventId: string): { ok: true; work: ShopifyWork } | { ok: false; errors: FieldError[] } {
  if (!obj(payload)) return { ok: false, errors: [{ field: "(body)", message: "a Shopify webhook payload is a JSON object" }] };
  const kind = topic.startsWith("checkouts/") ? "checkout" : topic.startsWith("orders/") ? "order" : topic.startsWith("fulfillments/") ? "fulfillment" : "customer";
  const parsed = Payload[kind].safeParse(payload);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const p = payload as Obj;
  const work: ShopifyWork = { topic, eventId, calls: [] };
  if (kind === "fulfillment") {
    work.forOrder = str(p.order_id);
    work.calls.push(shipped(p));
    return withinSizeLimits(work);
  }
  // A customers/* payload is the customer; the others carry it in `customer` (null for guests).
  const customer = kind === "customer" ? p : obj(p.customer);
  who(work, p, customer);
  if (kind === "checkout") {
    // A completed checkout is an order, not an abandoned cart; one without anyone to reach is nobody's cart.
    if (!p.completed_at && (work.customerId || work.phone)) work.calls.push(checkoutStarted(p));
  } else if (kind === "order") {
    work.orderId = str(p.id);
    work.calls.push(topic === "orders/cancelled" ? orderCancelled(p) : orderCompleted(p));
  }
  return withinSizeLimits(work);
}

/** Each event of a delivery is held to the limits of a /v1 call (32 KB, 16 KB of traits): one over them is refused naming its field. */
function withinSizeLimits(work: ShopifyWork): { ok: true; work: ShopifyWork } | { ok: false; errors: FieldError[] } {
  for (const call of work.calls) {
    const errors = callSizeErrors(call.type === "identify" ? { traits: call.traits } : { event: call.event, properties: call.properties });
    if (errors.length) return { ok: false, errors: errors.map((e) => ({ field: e.path.join("."), message: `${call.event ?? "identify"}: ${e.message}` })) };
  }
  return { ok: true, work };
}

/** Who a payload is about: the customer id, the phone and the identify and consent calls. */
function who(work: ShopifyWork, p: Obj, customer: Obj | undefined): void {
  const addr = obj(customer?.default_address) ?? obj(p.billing_address) ?? obj(p.shipping_address);
  const country = str(addr?.country_code);
  const e164 = (v: unknown) => (str(v) ? toE164(str(v)!, country) : undefined);
  work.customerId = str(customer?.id);
  // The customer's own number first: it is the one sms_marketing_consent is about.
  const customerPhone = e164(customer?.phone);
  work.phone = customerPhone ?? e164(p.phone) ?? e164(p.sms_marketing_phone) ?? e164(obj(p.billing_address)?.phone) ?? e164(obj(p.shipping_address)?.phone);
  const address = country ? compact({ country, state: str(addr?.province_code) }) : undefined;
  const traits = compact({
    firstName: str(customer?.first_name),
    lastName: str(customer?.last_name),
    email: str(customer?.email) ?? str(p.email),
    address,
  });
  if (work.phone || Object.keys(traits).length) {
    work.calls.push({
      type: "identify", messageId: `shopify:${work.eventId}:identify`, properties: {}, traits, phone: work.phone,
      at: time(customer?.updated_at) ?? time(p.updated_at), locale: str(p.customer_locale),
    });
  }
  const consent = obj(customer?.sms_marketing_consent);
  const state = str(consent?.state);
  if (!customerPhone || !work.customerId || (state !== "subscribed" && state !== "unsubscribed")) return;
  const at = time(consent?.consent_updated_at);
  work.calls.push({
    type: "track",
    event: state === "subscribed" ? "Subscribed" : "Unsubscribed",
    // The same consent fact (customer, number, state, instant) records once, whichever topic carries it.
    messageId: `shopify:consent:${work.customerId}:${customerPhone}:${state}:${at ?? work.eventId}`,
    properties: compact({ purpose: "marketing", source: "shopify", opt_in_level: str(consent?.opt_in_level), consent_collected_from: str(consent?.consent_collected_from) }),
    traits: {},
    at,
  });
}

/** Segment v2 products from Shopify line items. */
function products(p: Obj): Obj[] {
  const items = Array.isArray(p.line_items) ? p.line_items : [];
  return items.map(obj).filter((i): i is Obj => Boolean(i)).map((i) =>
    compact({
      product_id: str(i.product_id), variant_id: str(i.variant_id), sku: str(i.sku), name: str(i.title),
      variant: str(i.variant_title), brand: str(i.vendor), price: num(i.price), quantity: num(i.quantity),
    }),
  );
}

function checkoutStarted(p: Obj): IngestCall {
  const token = str(p.token)!;
  return {
    type: "track", event: "Checkout Started", messageId: `shopify:checkout:${token}`, traits: {}, at: time(p.created_at),
    properties: compact({
      checkout_id: token, value: num(p.total_price), currency: str(p.currency), discount: num(p.total_discounts),
      checkout_url: str(p.abandoned_checkout_url), products: products(p),
    }),
  };
}

function orderProperties(p: Obj): Obj {
  return compact({
    order_id: str(p.id), order_name: str(p.name), checkout_id: str(p.checkout_token), total: num(p.total_price),
    revenue: num(p.subtotal_price), tax: num(p.total_tax), discount: num(p.total_discounts), currency: str(p.currency),
    order_status_url: str(p.order_status_url), products: products(p),
  });
}

/** orders/create and orders/paid are one fact: the order, keyed by its id (whichever arrives first). */
function orderCompleted(p: Obj): IngestCall {
  return {
    type: "track", event: "Order Completed", messageId: `shopify:order:${str(p.id)}:completed`, traits: {},
    at: time(p.processed_at) ?? time(p.created_at), properties: orderProperties(p),
  };
}

function orderCancelled(p: Obj): IngestCall {
  return {
    type: "track", event: "Order Cancelled", messageId: `shopify:order:${str(p.id)}:cancelled`, traits: {},
    at: time(p.cancelled_at), properties: compact({ ...orderProperties(p), reason: str(p.cancel_reason) }),
  };
}

function shipped(p: Obj): IngestCall {
  const urls = Array.isArray(p.tracking_urls) ? p.tracking_urls.map(str).filter((u): u is string => Boolean(u)) : [];
  const numbers = Array.isArray(p.tracking_numbers) ? p.tracking_numbers.map(str).filter((u): u is string => Boolean(u)) : [];
  return {
    type: "track", event: "Order Shipped", messageId: `shopify:fulfillment:${str(p.id)}:shipped`, traits: {}, at: time(p.created_at),
    properties: compact({
      order_id: str(p.order_id), fulfillment_id: str(p.id), carrier: str(p.tracking_company),
      tracking_number: str(p.tracking_number) ?? numbers[0], tracking_url: str(p.tracking_url) ?? urls[0],
      tracking_urls: urls.length ? urls : undefined, shipment_status: str(p.shipment_status),
    }),
  };
}
