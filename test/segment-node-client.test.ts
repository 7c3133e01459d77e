/**
 * Segment's own Node client (@segment/analytics-node), changed in nothing but its host, against the
 * Worker: its HTTP client calls the Worker in process. Every call type, each checked on the contact
 * it should reach; a batch delivered twice records once.
 */
import { exports } from "cloudflare:workers";
import { Analytics } from "@segment/analytics-node";
import { describe, expect, it } from "vitest";
import { now } from "../src/clock";
import { INGEST, api, phone, unique } from "./helpers";

/** analytics-node pointed at the Worker, remembering what it sent and what it was answered. */
function nodeClient(writeKey: string) {
  const sent: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const statuses: number[] = [];
  const analytics = new Analytics({
    writeKey,
    host: "https://tidings.test",
    flushInterval: 20,
    maxRetries: 0,
    httpClient: {
      async makeRequest(r) {
        sent.push({ url: r.url, headers: r.headers, body: String(r.body) });
        const res = await exports.default.fetch(r.url, { method: r.method, headers: r.headers, body: r.body });
        statuses.push(res.status);
        return res;
      },
    },
  });
  return { analytics, sent, statuses };
}

const view = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body;
const eventsOf = (v: any) => Object.fromEntries(v.recentEvents.map((e: any) => [e.event, e]));

describe("Segment's Node client", () => {
  it("delivers identify, track, page, screen, group and alias, each to the right contact", async () => {
    const { analytics, sent, statuses } = nodeClient(INGEST);
    const [userId, anonymousId, formerId, to] = [unique("u"), unique("anon"), unique("former"), phone()];

    // Before sign-in: an anonymous visitor, and the same person under a former userId.
    analytics.track({ anonymousId, event: "Product Viewed", properties: { sku: "A1" } });
    analytics.page({ anonymousId, name: "Pricing", category: "Docs", properties: { path: "/pricing" } });
    analytics.identify({ userId: formerId, traits: { plan: "trial" } });
    await analytics.flush();

    analytics.identify({ userId, anonymousId, traits: { firstName: "Ada", phone: to }, context: { timezone: "America/New_York", locale: "en-US" } });
    analytics.screen({ userId, name: "Cart", properties: { items: 2 } });
    analytics.group({ userId, groupId: "acme", traits: { name: "Acme Inc.", employees: 40 } });
    analytics.alias({ userId, previousId: formerId });
    analytics.track({ userId, event: "Checkout Started", properties: { value: 42 } });
    await analytics.closeAndFlush();

    // As Segment's client sends it: Basic auth with the write key, every call in /v1/batch.
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(["/v1/batch", "/v1/batch"]);
    expect(sent[0]!.headers.Authorization).toBe(`Basic ${btoa(`${INGEST}:`)}`);
    expect(statuses).toEqual([200, 200]);

    const v = await view(`user:${userId}`);
    expect(v.phone).toBe(to);
    expect(v.timezone).toBe("America/New_York");
    // identify's traits, the company from group, and the former userId's traits it lacked (alias).
    expect(v.traits).toMatchObject({ firstName: "Ada", locale: "en-US", plan: "trial", company: { id: "acme", name: "Acme Inc.", employees: 40 } });
    const events = eventsOf(v);
    expect(events["Product Viewed"].properties).toEqual({ sku: "A1" });
    expect(events["Page Viewed"].properties).toEqual({ path: "/pricing", name: "Pricing", category: "Docs" });
    expect(events["Screen Viewed"].properties).toEqual({ items: 2, name: "Cart" });
    expect(events["Checkout Started"].properties).toEqual({ value: 42 });
    // The client stamps events by its own clock and the batch with its sentAt: corrected to ours.
    expect(Math.abs(Date.parse(events["Checkout Started"].at) - now())).toBeLessThan(60_000);

    // The anonymous id and the former userId now both lead to the user's contact.
    expect((await view(`anon:${anonymousId}`)).id).toBe(v.id);
    expect((await view(`user:${formerId}`)).mergedInto).toBe(v.id);
  });

  it("records a batch delivered twice once (messageId), and reports the repeat", async () => {
    const { analytics, sent } = nodeClient(INGEST);
    const userId = unique("u");
    analytics.track({ userId, event: "Order Completed", properties: { order_id: "1" } });
    analytics.page({ userId, name: "Thanks" });
    await analytics.closeAndFlush();
    // The network lost the answer: the same request again, as a retry would send it.
    const again = await exports.default.fetch(sent[0]!.url, { method: "POST", headers: sent[0]!.headers, body: sent[0]!.body });
    expect(await again.json()).toMatchObject({ accepted: 2, duplicates: 2 });
    const names = (await view(`user:${userId}`)).recentEvents.map((e: any) => e.event);
    expect(names.sort()).toEqual(["Order Completed", "Page Viewed"]);
  });

  it("fails the client's delivery with an unknown write key, and records nothing", async () => {
    const { analytics, statuses } = nodeClient("tid_not_a_key_of_ours");
    const userId = unique("u");
    const failed = new Promise<unknown>((resolve) => analytics.track({ userId, event: "Ping" }, (err) => resolve(err)));
    await analytics.closeAndFlush();
    expect(await failed).toBeTruthy();
    expect(statuses).toEqual([401]);
    expect((await api("GET", `/v1/contacts/user:${userId}`)).status).toBe(404);
  });
});
