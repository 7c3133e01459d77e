// Shopify webhooks on the real runtime: signatures over the raw body (with a rotation window),
// realistic payloads of every topic mapped to Segment e-commerce events, consent and address,
// duplicate deliveries, and the headline: an abandoned Shopify checkout runs cart recovery and its
// order ends the run as the goal.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { mapShopify, parseShopifyJson } from "../src/webhooks/shopify";
import { now } from "../src/clock";
import { DAY, HOUR, advance, api, flushRecords, inbox, phone, seedCartRecovery, settleSends, unique } from "./helpers";
import { dateAfter, utcDay } from "./calendar";
// Vite's ?raw imports: the exact bytes Shopify would sign (18-digit ids and all).
// @ts-expect-error: no type declarations for ?raw
import checkoutFile from "./fixtures/shopify/checkouts-create.json?raw";
// @ts-expect-error: no type declarations for ?raw
import guestCheckoutFile from "./fixtures/shopify/checkouts-update-guest.json?raw";
// @ts-expect-error: no type declarations for ?raw
import orderFile from "./fixtures/shopify/orders-create.json?raw";
// @ts-expect-error: no type declarations for ?raw
import cancelledFile from "./fixtures/shopify/orders-cancelled.json?raw";
// @ts-expect-error: no type declarations for ?raw
import fulfillmentFile from "./fixtures/shopify/fulfillments-create.json?raw";
// @ts-expect-error: no type declarations for ?raw
import customerCreateFile from "./fixtures/shopify/customers-create.json?raw";
// @ts-expect-error: no type declarations for ?raw
import customerUpdateFile from "./fixtures/shopify/customers-update.json?raw";

const START = now();
/** The fixtures were captured on 2026-11-24, the default pinned day; their dates move with the pinned clock. */
const FIXTURE_DAY = Date.UTC(2026, 10, 24);
const redate = (raw: string): string => raw.replace(/\b(20\d\d-\d\d-\d\d)T/g, (_, d: string) => `${dateAfter(START, (Date.parse(d) - FIXTURE_DAY) / DAY)}T`);
const checkoutRaw = redate(checkoutFile);
const guestCheckoutRaw = redate(guestCheckoutFile);
const orderRaw = redate(orderFile);
const cancelledRaw = redate(cancelledFile);
const fulfillmentRaw = redate(fulfillmentFile);
const customerCreateRaw = redate(customerCreateFile);
const customerUpdateRaw = redate(customerUpdateFile);
/** Shopify's instant hh:mm UTC on the fixtures' day. */
const shopifyTime = (hh: number, mm: number) => utcDay(START, 0, hh, mm);

/** The secrets from .dev.vars.example. */
const SECRET = "local_example_shopify_webhook_secret";
const PREVIOUS = "local_example_shopify_webhook_secret_previous";

/** The fixtures' ids, replaced per test so tests never share a contact. */
const FIXTURE = { customer: "115310627314723954", phone: "+14155552671", order: "820982911946154508", token: "b7e2c1f09d8a4e3b8c5d6f7a1e2b3c4d" };

async function hmac(secret: string, body: string, encoding: "base64" | "hex" = "base64"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return encoding === "hex" ? [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") : btoa(String.fromCharCode(...mac));
}

/** A fixture as one shopper's payload: fresh customer id, phone, order id and checkout token. */
function shopper(ids: Partial<typeof FIXTURE> = {}) {
  const s = {
    customer: ids.customer ?? String(7_000_000_000_000 + Math.floor(Math.random() * 1e12)),
    phone: ids.phone ?? phone(),
    order: ids.order ?? String(5_000_000_000_000 + Math.floor(Math.random() * 1e12)),
    token: ids.token ?? crypto.randomUUID().replaceAll("-", ""),
  };
  const payload = (raw: string) =>
    raw.replaceAll(FIXTURE.customer, s.customer).replaceAll(FIXTURE.phone, s.phone).replaceAll(FIXTURE.order, s.order).replaceAll(FIXTURE.token, s.token);
  return { ...s, ref: `shopify:${s.customer}`, payload };
}

interface Delivery {
  /** The header value; `null` leaves it out. Default: the right signature under SECRET. */
  hmac?: string | null;
  eventId?: string | null;
  webhookId?: string;
  env?: Partial<Env>;
}

/** POST a webhook like Shopify does and wait for the work done after the answer. */
async function deliver(topic: string, body: string, opts: Delivery = {}) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-shopify-topic": topic,
    "x-shopify-shop-domain": "juniper-co.myshopify.com",
    "x-shopify-api-version": "2025-10",
    "x-shopify-webhook-id": opts.webhookId ?? crypto.randomUUID(),
    "x-shopify-triggered-at": new Date(now()).toISOString(),
  };
  if (opts.eventId !== null) headers["x-shopify-event-id"] = opts.eventId ?? crypto.randomUUID();
  if (opts.hmac !== null) headers["x-shopify-hmac-sha256"] = opts.hmac ?? (await hmac(SECRET, body));
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("http://tidings.test/webhooks/shopify", { method: "POST", headers, body }), { ...env, ...opts.env }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: text ? JSON.parse(text) : undefined };
}

async function contact(ref: string) {
  const r = await api("GET", `/v1/contacts/${ref}`);
  expect(r.status).toBe(200);
  return r.body;
}

const events = (c: any, name: string) => c.recentEvents.filter((e: any) => e.event === name);

describe("signatures", () => {
  it("accepts the right base64 HMAC-SHA256 of the raw body, without an API key", async () => {
    const s = shopper();
    const r = await deliver("customers/create", s.payload(customerCreateRaw));
    expect(r).toMatchObject({ status: 200, body: { ok: true, topic: "customers/create" } });
    expect((await contact(s.ref)).phone).toBe(s.phone);
  });

  it("refuses a tampered body", async () => {
    const s = shopper();
    const body = s.payload(checkoutRaw);
    const r = await deliver("checkouts/create", body.replace('"total_price": "83.00"', '"total_price": "8.30"'), { hmac: await hmac(SECRET, body) });
    expect(r.status).toBe(401);
    expect(r.type).toBe("application/problem+json");
    expect(r.body.title).toBe("Invalid signature");
    expect((await api("GET", `/v1/contacts/${s.ref}`)).status).toBe(404);
  });

  it("refuses re-serialised JSON: the signature is over the bytes Shopify sent", async () => {
    const s = shopper();
    const body = s.payload(customerCreateRaw);
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(JSON.parse(reserialised)).toEqual(JSON.parse(body));
    expect((await deliver("customers/create", reserialised, { hmac: await hmac(SECRET, body) })).status).toBe(401);
  });

  it("refuses the right HMAC hex-encoded instead of base64", async () => {
    const body = shopper().payload(customerCreateRaw);
    expect((await deliver("customers/create", body, { hmac: await hmac(SECRET, body, "hex") })).status).toBe(401);
  });

  it("refuses a missing or empty header", async () => {
    const body = shopper().payload(customerCreateRaw);
    const missing = await deliver("customers/create", body, { hmac: null });
    expect(missing).toMatchObject({ status: 401, type: "application/problem+json", body: { title: "Missing signature" } });
    expect((await deliver("customers/create", body, { hmac: "" })).status).toBe(401);
  });

  it("accepts the previous secret during a rotation, and only then", async () => {
    const s = shopper();
    const body = s.payload(customerCreateRaw);
    const old = await hmac(PREVIOUS, body);
    expect((await deliver("customers/create", body, { hmac: old })).status).toBe(200);
    expect((await deliver("customers/create", body, { hmac: old, env: { SHOPIFY_WEBHOOK_SECRET_PREVIOUS: "" } })).status).toBe(401);
    expect((await deliver("customers/create", body, { hmac: await hmac("some-other-secret", body) })).status).toBe(401);
    // The new secret works whether or not a previous one is still configured.
    expect((await deliver("customers/create", body, { env: { SHOPIFY_WEBHOOK_SECRET_PREVIOUS: "" } })).status).toBe(200);
  });
});

describe("bad input after a valid signature", () => {
  it("answers 400 problem+json for malformed JSON", async () => {
    const r = await deliver("orders/create", '{"id": 1, "line_items": [');
    expect(r).toMatchObject({ status: 400, type: "application/problem+json", body: { detail: "the body is not valid JSON" } });
  });

  it("names the missing id", async () => {
    const r = await deliver("checkouts/create", JSON.stringify({ total_price: "10.00", line_items: [] }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: "token" })]);
    expect((await deliver("fulfillments/create", JSON.stringify({ id: 1 }))).body.errors[0].field).toBe("order_id");
    expect((await deliver("customers/update", "[]")).status).toBe(400);
  });

  it("needs the topic header, and acknowledges topics it does not read", async () => {
    const body = JSON.stringify({ id: 1 });
    const headers = { "content-type": "application/json", "x-shopify-hmac-sha256": await hmac(SECRET, body) };
    const res = await worker.fetch(new Request("http://tidings.test/webhooks/shopify", { method: "POST", headers, body }), env, createExecutionContext());
    expect(res.status).toBe(400);
    expect((await deliver("products/update", body)).body).toMatchObject({ ok: true, ignored: true });
  });
});

describe("payloads → events, consent and address", () => {
  it("keeps Shopify's 18-digit ids exact", () => {
    const p = parseShopifyJson(orderRaw) as any;
    expect(p.id).toBe("820982911946154508");
    expect(p.customer.id).toBe("115310627314723954");
    expect(p.total_price).toBe("90.16");
    const m = mapShopify("orders/create", p, "e-1");
    expect(m.ok && m.work).toMatchObject({ customerId: "115310627314723954", orderId: "820982911946154508" });
  });

  it("checkouts/create → identify (E.164 phone, names, address), consent from sms_marketing_consent, Checkout Started", async () => {
    const r = await deliver("checkouts/create", checkoutRaw);
    expect(r.status).toBe(200);
    const c = await contact(`shopify:${FIXTURE.customer}`);
    expect(c.phone).toBe("+14155552671");
    expect(c.traits).toMatchObject({ firstName: "Ada", lastName: "Lovelace", address: { country: "US", state: "CA" }, locale: "en-US" });
    expect(c.consent).toEqual({ marketing: "granted" });
    expect(c.consentHistory).toEqual([
      expect.objectContaining({ purpose: "marketing", action: "grant", source: "shopify", phone: "+14155552671", at: shopifyTime(17, 40) }),
    ]);
    const [started] = events(c, "Checkout Started");
    expect(started.properties).toMatchObject({
      checkout_id: FIXTURE.token,
      value: 83,
      currency: "USD",
      checkout_url: `https://juniper-co.myshopify.com/59843182707/checkouts/${FIXTURE.token}/recover?key=8f3c2a91d7e64b0f`,
    });
    expect(started.properties.products).toEqual([
      { product_id: "788032119674292922", variant_id: "642667041472713922", sku: "THROW-LIN-OAT", name: "Linen Throw", variant: "Oat", brand: "Juniper & Co", price: 58, quantity: 1 },
      { product_id: "632910392", variant_id: "808950810", sku: "CANDLE-BW-S", name: "Beeswax Candle", variant: "Small", brand: "Juniper & Co", price: 12.5, quantity: 2 },
    ]);
  });

  it("a guest checkout reaches the owner of its phone (national format, with the address's country)", async () => {
    const r = await deliver("checkouts/update", guestCheckoutRaw);
    expect(r.status).toBe(200);
    const c = await contact("phone:+16135550143");
    expect(c.traits).toMatchObject({ email: "guest@example.com", address: { country: "CA", state: "ON" } });
    expect(c.consentHistory).toEqual([]); // no customer, so no sms_marketing_consent to read
    expect(events(c, "Checkout Started")[0].properties).toMatchObject({ value: 64, currency: "CAD" });
  });

  it("a completed checkout is not a Checkout Started", async () => {
    const s = shopper();
    const body = s.payload(checkoutRaw).replace('"completed_at": null', `"completed_at": "${dateAfter(START, 0)}T09:50:00-08:00"`);
    await deliver("checkouts/update", body);
    const c = await contact(s.ref);
    expect(events(c, "Checkout Started")).toEqual([]);
    expect(c.phone).toBe(s.phone);
  });

  it("orders/create → Order Completed; orders/paid for the same order records nothing new", async () => {
    const s = shopper();
    await deliver("orders/create", s.payload(orderRaw));
    await deliver("orders/paid", s.payload(orderRaw));
    const c = await contact(s.ref);
    const done = events(c, "Order Completed");
    expect(done).toHaveLength(1);
    expect(done[0].properties).toMatchObject({
      order_id: s.order, order_name: "#1042", checkout_id: s.token, total: 90.16, revenue: 83, tax: 7.16, currency: "USD",
    });
    expect(done[0].properties.products).toHaveLength(2);
  });

  it("orders/cancelled → Order Cancelled with the reason", async () => {
    const s = shopper();
    await deliver("orders/create", s.payload(orderRaw));
    await deliver("orders/cancelled", s.payload(cancelledRaw));
    const c = await contact(s.ref);
    expect(events(c, "Order Cancelled")[0].properties).toMatchObject({ order_id: s.order, reason: "customer", total: 90.16, currency: "USD" });
    expect(c.flags).toEqual([]); // order_open was set by the order and cleared by the cancellation
  });

  it("fulfillments/create → Order Shipped on the order's contact (the payload has no customer)", async () => {
    const s = shopper();
    await deliver("orders/create", s.payload(orderRaw));
    expect((await contact(s.ref)).flags.map((f: any) => f.name)).toEqual(["order_open"]);
    await deliver("fulfillments/create", s.payload(fulfillmentRaw));
    const c = await contact(s.ref);
    expect(events(c, "Order Shipped")[0].properties).toEqual({
      order_id: s.order,
      fulfillment_id: "255858046",
      carrier: "UPS",
      tracking_number: "1Z999AA10123456784",
      tracking_url: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784",
      tracking_urls: ["https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784"],
    });
    expect(c.flags).toEqual([]);
  });

  it("a fulfillment of an order Tidings never saw is acknowledged and changes nothing", async () => {
    const s = shopper();
    const r = await deliver("fulfillments/create", s.payload(fulfillmentRaw));
    expect(r.status).toBe(200);
    expect((await api("GET", `/v1/contacts/${s.ref}`)).status).toBe(404);
  });

  it("customers/create grants, customers/update revokes at Shopify's time; the same consent twice records once", async () => {
    const s = shopper();
    await deliver("customers/create", s.payload(customerCreateRaw));
    await deliver("customers/update", s.payload(customerUpdateRaw));
    // Another update (a new event id: say the name changed) carrying the same consent.
    await deliver("customers/update", s.payload(customerUpdateRaw).replace('"first_name": "Ada"', '"first_name": "Augusta"'));
    const c = await contact(s.ref);
    expect(c.traits.firstName).toBe("Augusta");
    expect(c.consent).toEqual({ marketing: "revoked" });
    expect(c.consentHistory.map((e: any) => [e.action, e.source, e.at])).toEqual([
      ["grant", "shopify", shopifyTime(17, 40)],
      ["revoke", "shopify", shopifyTime(17, 55)],
    ]);
  });

  it("an old consent snapshot arriving late does not undo a newer change: the ledger reads it at its time", async () => {
    const s = shopper();
    await deliver("customers/update", s.payload(customerUpdateRaw)); // unsubscribed at 17:55
    await deliver("orders/create", s.payload(orderRaw)); // its customer snapshot says subscribed at 17:40
    const c = await contact(s.ref);
    expect(c.consent).toEqual({ marketing: "revoked" });
    expect(c.consentHistory.map((e: any) => [e.action, e.at])).toEqual([
      ["revoke", shopifyTime(17, 55)],
      ["grant", shopifyTime(17, 40)],
    ]);
  });

  it("a newer subscribed snapshot never undoes a revocation: recorded, not applied, with the reason", async () => {
    const s = shopper();
    await deliver("customers/update", s.payload(customerUpdateRaw)); // unsubscribed at 17:55
    await deliver("customers/create", s.payload(customerCreateRaw).replace("T09:40:00-08:00", "T09:58:00-08:00"));
    const c = await contact(s.ref);
    expect(c.consent).toEqual({ marketing: "revoked" });
    expect(c.consentHistory.at(-1)).toMatchObject({ action: "grant", source: "shopify", at: shopifyTime(17, 58), applied: false, reason: "revoked:shopify" });
  });

  it("a new Shopify customer whose phone already belongs to a contact joins that contact", async () => {
    const s = shopper();
    const user = unique("u");
    const known = await api("POST", "/v1/identify", { userId: user, traits: { phone: s.phone, favoriteColor: "teal" } });
    await deliver("customers/create", s.payload(customerCreateRaw));
    const c = await contact(s.ref);
    expect(c.id).toBe(known.body.contactId);
    expect(c.traits).toMatchObject({ favoriteColor: "teal", firstName: "Ada" });
    // From now on the alias routes there, even when a later payload carries another number.
    const other = phone();
    await deliver("customers/update", s.payload(customerUpdateRaw).replaceAll(s.phone, other));
    expect((await contact(s.ref)).id).toBe(known.body.contactId);
    expect((await contact(s.ref)).phone).toBe(other);
  });
});

describe("duplicate deliveries", () => {
  it("the same event id twice changes nothing", async () => {
    const s = shopper();
    const body = s.payload(checkoutRaw);
    await deliver("checkouts/create", body, { eventId: "evt-dup-1" });
    const before = await contact(s.ref);
    const again = await deliver("checkouts/create", body, { eventId: "evt-dup-1" });
    expect(again.status).toBe(200);
    const after = await contact(s.ref);
    expect(after).toEqual(before);
  });

  it("without X-Shopify-Event-Id, X-Shopify-Webhook-Id dedupes", async () => {
    const s = shopper();
    const body = s.payload(customerCreateRaw);
    await deliver("customers/create", body, { eventId: null, webhookId: "wh-1" });
    const before = await contact(s.ref);
    await deliver("customers/create", body, { eventId: null, webhookId: "wh-1" });
    expect(await contact(s.ref)).toEqual(before);
  });
});

describe("cart recovery from Shopify", () => {
  beforeAll(async () => {
    await seedCartRecovery();
  });

  /** The destination of the short link in a text. */
  async function linkTarget(text: string): Promise<string | undefined> {
    const code = /\/l\/([0-9A-Za-z]+)/.exec(text)?.[1];
    const row = await env.DB.prepare("SELECT t.url FROM links l JOIN link_targets t ON t.id = l.target WHERE l.code = ?").bind(code ?? "").first<{ url: string }>();
    return row?.url;
  }

  it("a Shopify checkout that is not completed runs cart recovery, consent from the customer's sms_marketing_consent", async () => {
    const s = shopper();
    await deliver("checkouts/create", s.payload(checkoutRaw));
    expect(await inbox(s.phone)).toEqual([]);

    await advance(s.ref, HOUR);
    await settleSends(s.ref);
    const [reminder] = await inbox(s.phone);
    expect(reminder).toMatch(/^Hi Ada, your cart at Juniper & Co is waiting: \S+ Reply STOP to opt out\.$/);
    expect(await linkTarget(reminder!)).toMatch(new RegExp(`^https://juniper-co\\.myshopify\\.com/59843182707/checkouts/${s.token}/recover\\?key=8f3c2a91d7e64b0f&utm_source=sms`));

    await advance(s.ref, DAY);
    await settleSends(s.ref);
    const received = await inbox(s.phone);
    expect(received).toHaveLength(2);
    expect(received[1]).toMatch(/^Last call, Ada/);
    expect((await contact(s.ref)).runs[0]).toMatchObject({ flow: "cart-recovery", status: "completed" });
  });

  it("its order, when it comes, stops the flow and counts as the goal", async () => {
    const s = shopper();
    await deliver("checkouts/create", s.payload(checkoutRaw));
    await advance(s.ref, HOUR);
    await settleSends(s.ref);
    expect(await inbox(s.phone)).toHaveLength(1);

    await deliver("orders/create", s.payload(orderRaw));
    await advance(s.ref, 2 * DAY);
    expect(await inbox(s.phone)).toHaveLength(1); // no last call

    const c = await contact(s.ref);
    expect(c.runs[0]).toMatchObject({ flow: "cart-recovery", status: "converted" });
    expect(c.timers.filter((t: any) => t.kind === "run")).toEqual([]);
    expect(c.stage).toBe("customer");
    await flushRecords();
    const conv = await env.DB.prepare("SELECT event, revenue, currency FROM conversions WHERE contact_id = ?").bind(c.id).all();
    expect(conv.results).toEqual([{ event: "Order Completed", revenue: 83, currency: "USD" }]);
  });

  it("a checkout delivered twice runs cart recovery once", async () => {
    const s = shopper();
    const body = s.payload(checkoutRaw);
    await deliver("checkouts/create", body);
    await deliver("checkouts/update", body); // another topic, the same checkout
    await deliver("checkouts/create", body);
    await advance(s.ref, HOUR);
    await settleSends(s.ref);
    expect(await inbox(s.phone)).toHaveLength(1);
    expect((await contact(s.ref)).runs).toHaveLength(1);
  });
});
