// Senders: chosen per destination country and purpose, and paced at their carrier rate. A burst
// of 1,000 messages to one sender never goes above its rate in any second, and waiting for a slot
// is a delayed re-send, not a retry.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import { now } from "../src/clock";
import { chooseSender } from "../src/senders/settings";
import { api, contactStub, flushRecords, phone } from "./helpers";

const SMSAPI = (env as unknown as { SMSAPI_MOCK: string }).SMSAPI_MOCK;

beforeAll(async () => {
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: "https://tidings.example" });
  await api("PUT", "/v1/templates/code", { body: "Your code: {{properties.code}}", job: "transactional", purpose: "transactional", properties: ["code"] });
});

describe("choosing a sender", () => {
  const senders = [
    { id: "us-marketing", gateway: "twilio" as const, from: "+14155550101", countries: ["US"], purposes: ["marketing"], rate: 1 },
    { id: "us-any", gateway: "twilio" as const, from: "+14155550102", countries: ["US"], rate: 3 },
    { id: "pl-alpha", gateway: "smsapi" as const, from: "Juniper", countries: ["PL"], rate: 10 },
    { id: "fallback", gateway: "sandbox" as const, rate: 100 },
  ];
  it("prefers country and purpose, then country, then a sender with no limits", () => {
    expect(chooseSender(senders, "US", "marketing")?.id).toBe("us-marketing");
    expect(chooseSender(senders, "US", "transactional")?.id).toBe("us-any");
    expect(chooseSender(senders, "PL", "marketing")?.id).toBe("pl-alpha");
    expect(chooseSender(senders, "DE", "marketing")?.id).toBe("fallback");
    expect(chooseSender(senders.slice(0, 3), "DE", "marketing")).toBeUndefined();
  });

  it("sends through the chosen sender's gateway and records it on the message", async () => {
    await api("PUT", "/v1/settings/senders", { senders: [{ id: "pl-alpha", gateway: "smsapi", from: "Juniper", countries: ["PL"], rate: 10 }, { id: "world", gateway: "sandbox", rate: 50 }] });
    const pl = `+4850${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    const us = phone();
    const a = await api("POST", "/v1/messages", { to: pl, template: "code", properties: { code: "1" } });
    const b = await api("POST", "/v1/messages", { to: us, template: "code", properties: { code: "2" } });
    const gatewayOf = async (contactId: string, id: string) => {
      await flushRecords();
      return (await api("GET", `/v1/messages?contact=${contactId}`)).body.messages.find((m: any) => m.id === id)?.gateway;
    };
    await vi.waitFor(async () => expect(await gatewayOf(a.body.contactId, a.body.messageId)).toBe("smsapi:pl-alpha"), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect(await gatewayOf(b.body.contactId, b.body.messageId)).toBe("sandbox:world"), { timeout: 10_000, interval: 100 });
    const sent = ((await (await fetch(`${SMSAPI}/__captured`)).json()) as any[]).find((r) => r.json?.to === pl.slice(1));
    expect(sent.json.from).toBe("Juniper");
  });

  it("refuses duplicate sender ids and a bad rate, naming the field", async () => {
    const r = await api("PUT", "/v1/settings/senders", { senders: [{ id: "a", gateway: "sandbox", rate: 1 }, { id: "a", gateway: "sandbox", rate: 1 }] });
    expect(r.body.errors[0].field).toBe("senders");
    const r2 = await api("PUT", "/v1/settings/senders", { senders: [{ id: "a", gateway: "sandbox", rate: 0 }] });
    expect(r2.body.errors[0].field).toBe("senders.0.rate");
  });
});

describe("pacing", () => {
  it("never goes above the sender's rate in any second under a burst of 1,000", async () => {
    const RATE = 100;
    await api("PUT", "/v1/settings/senders", { senders: [{ id: "burst", gateway: "sandbox", rate: RATE }] });
    const to = phone();
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await api("POST", "/v1/messages", { to, template: "code", properties: { code: String(i) } });
      ids.push(r.body.messageId);
    }
    const count = async () => (await env.DB.prepare('SELECT count(*) AS n FROM sandbox_messages WHERE "to" = ?').bind(to).first<{ n: number }>())!.n;
    await vi.waitFor(async () => expect(await count()).toBe(1000), { timeout: 60_000, interval: 250 });
    // The sandbox stamps sends with the simulated clock; senders count real seconds: undo the offset.
    const offset = now() - Date.now();
    const perSecond = (await env.DB.prepare('SELECT (at - ?) / 1000 AS s, count(*) AS n FROM sandbox_messages WHERE "to" = ? GROUP BY (at - ?) / 1000').bind(offset, to, offset).all<{ s: number; n: number }>()).results;
    expect(Math.max(...perSecond.map((r) => r.n))).toBeLessThanOrEqual(RATE);
    expect(perSecond.length).toBeGreaterThanOrEqual(10);
    // The last message waited several seconds for its slot, yet was prepared and sent exactly once.
    const { stub } = await contactStub(`phone:${to}`);
    const attempts = await runInDurableObject(stub, (_i: ContactDO, state) =>
      state.storage.sql.exec("SELECT attempts, status FROM messages WHERE id = ?", ids.at(-1)).one(),
    );
    expect(attempts).toEqual({ attempts: 1, status: "delivered" });
  }, 120_000);
});
