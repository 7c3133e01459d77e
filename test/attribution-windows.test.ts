// Last-touch attribution: a conversion is credited to the latest click (5 days) or delivery (1 day)
// before it, at the windows' edges exactly; with nothing in window it credits nothing.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceClock } from "../src/clock";
import { twilioSignature } from "../src/gateway/twilio-signature";
import { lastTouch } from "../src/reports/attribution";
import { DAY, HOUR, api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const W = { click: 5 * DAY, delivery: DAY };
const PUBLIC = "https://tidings.example";

describe("lastTouch", () => {
  const at = Date.UTC(2026, 10, 24, 12);
  it("credits a click up to exactly 5 days before, and not a millisecond more", () => {
    expect(lastTouch(at, [{ messageId: "m1", kind: "click", at: at - 5 * DAY }], W)?.messageId).toBe("m1");
    expect(lastTouch(at, [{ messageId: "m1", kind: "click", at: at - 5 * DAY - 1 }], W)).toBeUndefined();
  });
  it("credits a delivery up to exactly 1 day before, and not a millisecond more", () => {
    expect(lastTouch(at, [{ messageId: "m2", kind: "delivery", at: at - DAY }], W)?.messageId).toBe("m2");
    expect(lastTouch(at, [{ messageId: "m2", kind: "delivery", at: at - DAY - 1 }], W)).toBeUndefined();
  });
  it("takes the latest touch in window; a touch after the conversion never counts", () => {
    const touches = [
      { messageId: "clicked", kind: "click" as const, at: at - 2 * DAY },
      { messageId: "delivered", kind: "delivery" as const, at: at - HOUR },
      { messageId: "later", kind: "click" as const, at: at + 1 },
    ];
    expect(lastTouch(at, touches, W)?.messageId).toBe("delivered");
    // The delivery falls out of its window: the older click still holds.
    expect(lastTouch(at + DAY, touches.slice(0, 2), W)?.messageId).toBe("clicked");
  });
  it("prefers a click over a delivery at the same instant", () => {
    const t = at - HOUR;
    expect(lastTouch(at, [{ messageId: "d", kind: "delivery", at: t }, { messageId: "c", kind: "click", at: t }], W)?.kind).toBe("click");
  });
  it("credits nothing without touches", () => {
    expect(lastTouch(at, [], W)).toBeUndefined();
  });
});

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/links", { base: "https://t.example/l", ttl: "P30D" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC });
  await api("PUT", "/v1/settings/caps", { rules: [] });
});

/** A template of its own per test, so its report row holds only that test's messages. */
async function sendOneOff(withLink = false) {
  const template = unique("tpl").toLowerCase();
  const body = withLink ? "Spring offer: [link https://shop.example/spring] Reply STOP to opt out." : "Spring offer inside. Reply STOP to opt out.";
  expect((await api("PUT", `/v1/templates/${template}`, { body, job: "conversion", purpose: "marketing" })).status).toBe(200);
  const user = unique("u");
  const to = phone();
  await optedIn(user, to);
  const r = await api("POST", "/v1/messages", { contact: `user:${user}`, template });
  expect(r.status).toBe(202);
  await settleSends(`user:${user}`);
  return { user, to, template, messageId: r.body.messageId as string };
}

/** An order at an exact instant (the event's own timestamp), so window edges are hit to the millisecond. */
const order = (user: string, revenue: number, currency: string, at: number) =>
  api("POST", "/v1/track", { userId: user, event: "Order Completed", messageId: unique("order"), timestamp: new Date(at).toISOString(), properties: { revenue, currency } });

async function deliveredAt(messageId: string): Promise<number> {
  await flushRecords();
  return (await env.DB.prepare("SELECT delivered_at FROM messages WHERE id = ?").bind(messageId).first<{ delivered_at: number }>())!.delivered_at;
}

async function templateRow(template: string) {
  await flushRecords();
  const r = await api("GET", `/v1/reports/templates?key=${template}`);
  expect(r.status).toBe(200);
  return r.body.templates[0];
}

describe("conversions credited to messages", () => {
  it("credits an order exactly one day after delivery to that message, with its revenue and currency", async () => {
    const s = await sendOneOff();
    advanceClock(DAY + HOUR);
    await order(s.user, 30, "EUR", (await deliveredAt(s.messageId)) + DAY);
    const row = await templateRow(s.template);
    expect(row).toMatchObject({ sent: 1, delivered: 1, conversions: 1, revenue: { EUR: 30 } });
    const credit = await env.DB.prepare("SELECT message_id, touch, template_key, job FROM outcomes WHERE type = 'conversion' AND message_id = ?").bind(s.messageId).first();
    expect(credit).toEqual({ message_id: s.messageId, touch: "delivery", template_key: s.template, job: "conversion" });
  });

  it("credits nothing a day and a millisecond after delivery: the order is unattributed", async () => {
    const s = await sendOneOff();
    const before = (await api("GET", "/v1/reports/overview")).body.unattributed.conversions;
    advanceClock(DAY + HOUR);
    await order(s.user, 12.5, "USD", (await deliveredAt(s.messageId)) + DAY + 1);
    const row = await templateRow(s.template);
    expect(row).toMatchObject({ sent: 1, conversions: 0, revenue: {} });
    expect((await api("GET", "/v1/reports/overview")).body.unattributed.conversions).toBe(before + 1);
  });

  it("credits an order five days after a click to the clicked message", async () => {
    const s = await sendOneOff(true);
    const code = /https:\/\/t\.example\/l\/([0-9A-Za-z]+)/.exec((await inbox(s.to))[0]!)![1]!;
    advanceClock(HOUR);
    const res = await exports.default.fetch(`https://t.example/l/${code}`, { headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" }, redirect: "manual" });
    expect(res.status).toBe(302);
    advanceClock(5 * DAY + HOUR);
    await flushRecords();
    const clickedAt = (await env.DB.prepare("SELECT at FROM clicks WHERE message_id = ? AND kind = 'click'").bind(s.messageId).first<{ at: number }>())!.at;
    await order(s.user, 80, "EUR", clickedAt + 5 * DAY);
    const row = await templateRow(s.template);
    expect(row).toMatchObject({ clicks: 1, conversions: 1, revenue: { EUR: 80 } });
    const credit = await env.DB.prepare("SELECT touch FROM outcomes WHERE type = 'conversion' AND message_id = ?").bind(s.messageId).first();
    expect(credit).toEqual({ touch: "click" });
  });

  it("counts a redelivered order event once", async () => {
    const s = await sendOneOff();
    const event = { userId: s.user, event: "Order Completed", messageId: unique("order"), properties: { revenue: 10, currency: "EUR" } };
    await api("POST", "/v1/track", event);
    await api("POST", "/v1/track", event);
    expect(await templateRow(s.template)).toMatchObject({ conversions: 1, revenue: { EUR: 10 } });
  });

  it("charges a STOP (delivered twice by the provider) to the last message sent, once, per 1,000 sent", async () => {
    const s = await sendOneOff();
    advanceClock(HOUR);
    const sid = `SM${crypto.randomUUID().replace(/-/g, "")}`;
    expect((await reply(s.to, "STOP", sid)).status).toBe(200);
    expect((await reply(s.to, "STOP", sid)).status).toBe(200);
    expect(await templateRow(s.template)).toMatchObject({ sent: 1, optOuts: 1, optOutsPer1000: 1000 });
  });

  it("counts an ordinary reply for the last message sent within a day", async () => {
    const s = await sendOneOff();
    advanceClock(2 * HOUR);
    await reply(s.to, "Do you have it in blue?");
    expect(await templateRow(s.template)).toMatchObject({ replies: 1 });
  });
});

/** A reply as Twilio posts it, signed. */
async function reply(from: string, body: string, sid = `SM${crypto.randomUUID().replace(/-/g, "")}`) {
  const params = { MessageSid: sid, From: from, To: "+14155550100", Body: body, AccountSid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
  const signature = await twilioSignature("test_twilio_auth_token", `${PUBLIC}/webhooks/twilio/inbound`, params);
  return exports.default.fetch("http://internal.test/webhooks/twilio/inbound", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body: new URLSearchParams(params),
  });
}
