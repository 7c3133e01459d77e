// The whole path on the real runtime: event → ContactDO → flow run → timer → send queue → sandbox
// gateway → D1, with simulated time. Both branches of a `wait_for`.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../src/clock";
import { DAY, HOUR, advance, api, flushRecords, inbox, optedIn, phone, seedCartRecovery, settleSends, unique } from "./helpers";

beforeAll(seedCartRecovery);

async function abandon(userId: string, to: string, value = 42) {
  await optedIn(userId, to, { firstName: "Ada" });
  const r = await api("POST", "/v1/track", {
    userId,
    event: "Checkout Started",
    messageId: unique("evt"),
    properties: { value, checkout_url: "https://shop.example/c/1" },
  });
  expect(r.status).toBe(200);
}

describe("cart recovery", () => {
  it("reminds after the wait, then sends the last call when no order comes", async () => {
    const user = unique("u");
    const to = phone();
    await abandon(user, to);
    expect(await inbox(to)).toEqual([]);

    await advance(`user:${user}`, HOUR);
    await settleSends(`user:${user}`);
    // The cart link is shortened to the brand's link base.
    expect(await inbox(to)).toEqual([expect.stringMatching(/^Hi Ada, your cart at Juniper & Co is waiting: http:\/\/127\.0\.0\.1:8787\/l\/[0-9A-Za-z]{10} Reply STOP to opt out\.$/)]);

    await advance(`user:${user}`, DAY);
    await settleSends(`user:${user}`);
    const received = await inbox(to);
    expect(received).toHaveLength(2);
    expect(received[1]).toMatch(/^Last call, Ada/);

    await flushRecords();
    const list = await api("GET", `/v1/messages?contact=user:${user}`);
    expect(list.body.messages.map((m: any) => [m.templateKey, m.status])).toEqual([
      ["cart-last-call", "delivered"],
      ["cart-reminder", "delivered"],
    ]);
  });

  it("sends only the reminder when the order arrives during the wait_for, and credits the goal", async () => {
    const user = unique("u");
    const to = phone();
    await abandon(user, to);
    await advance(`user:${user}`, HOUR);
    await settleSends(`user:${user}`);
    await api("POST", "/v1/track", { userId: user, event: "Order Completed", properties: { order_id: "1001", revenue: 42, currency: "USD" } });
    await advance(`user:${user}`, 2 * DAY);
    expect(await inbox(to)).toHaveLength(1);

    await flushRecords();
    const contact = await api("GET", `/v1/contacts/user:${user}`);
    expect(contact.body.runs[0]).toMatchObject({ flow: "cart-recovery", status: "converted" });
    expect(contact.body.timers.filter((t: any) => t.kind !== "dormant")).toEqual([]); // customers get an inactivity timer
  });

  it("sends nothing to a buyer who orders before the reminder is due", async () => {
    const user = unique("u");
    const to = phone();
    await abandon(user, to);
    await api("POST", "/v1/track", { userId: user, event: "Order Completed", properties: { order_id: "1002" } });
    await advance(`user:${user}`, 2 * DAY);
    expect(await inbox(to)).toEqual([]);
  });

  it("does not start for a cart under the threshold", async () => {
    const user = unique("u");
    const to = phone();
    await abandon(user, to, 5);
    await advance(`user:${user}`, 2 * DAY);
    expect(await inbox(to)).toEqual([]);
    const contact = await api("GET", `/v1/contacts/user:${user}`);
    expect(contact.body.runs).toEqual([]);
  });

  it("does not take an order from before the checkout (a late batch) as this run's goal", async () => {
    const user = unique("u");
    const to = phone();
    await abandon(user, to);
    const yesterday = new Date(now() - DAY).toISOString();
    await api("POST", "/v1/track", { userId: user, event: "Order Completed", messageId: unique("o"), timestamp: yesterday, properties: { revenue: 9, currency: "USD" } });
    await advance(`user:${user}`, HOUR);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toHaveLength(1); // the reminder still goes
    const run = (await api("GET", `/v1/contacts/user:${user}`)).body.runs[0];
    expect(run.flow).toBe("cart-recovery");
    expect(run.status).not.toBe("converted");
    await flushRecords();
    const goals = await env.DB.prepare("SELECT count(*) AS n FROM conversions WHERE run_id = ?").bind(run.id).first<{ n: number }>();
    expect(goals!.n).toBe(0);
  });
});
