// Stage rules: events move a contact's stage (n-th occurrence, conditions, only forward), and
// inactivity moves it to dormant through a Durable Object timer that activity resets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageRuleErrors, StageRulesSection } from "../src/stages/settings";
import { DAY, advance, api, phone, settleSends, unique } from "./helpers";

const track = (user: string, event: string, properties: Record<string, unknown> = {}) =>
  api("POST", "/v1/track", { userId: user, event, messageId: unique("m"), properties });

async function person() {
  const user = unique("u");
  const to = phone();
  await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
  return { user, to, ref: `user:${user}` };
}

async function contact(ref: string) {
  return (await api("GET", `/v1/contacts/${ref}`)).body;
}
const moves = (c: any) => c.stageHistory.map((h: any) => `${h.to}:${h.reason}`);

beforeAll(async () => {
  await api("PUT", "/v1/settings/consent", { confirmOptIn: [] });
});

describe("defaults (B2C)", () => {
  it("are readable as a settings section", async () => {
    const r = await api("GET", "/v1/settings/stageRules");
    expect(r.body.value).toEqual({
      rules: [
        { name: "first_order", event: "Order Completed", to: "customer", onlyForward: true },
        { name: "repeat_order", event: "Order Completed", occurrence: { gte: 2 }, to: "repeat_customer", onlyForward: true },
      ],
      dormant: { after: "P90D", to: "dormant", from: ["customer", "repeat_customer"] },
    });
  });

  it("the first order makes a customer, the second a repeat customer, the third changes nothing", async () => {
    const p = await person();
    await track(p.user, "Order Completed", { order_id: "1" });
    expect((await contact(p.ref)).stage).toBe("customer");
    await track(p.user, "Order Completed", { order_id: "2" });
    await track(p.user, "Order Completed", { order_id: "3" });
    const c = await contact(p.ref);
    expect(c.stage).toBe("repeat_customer");
    expect(moves(c)).toEqual(["subscriber:created", "customer:rule:first_order", "repeat_customer:rule:repeat_order"]);
  });

  it("only moves forward: a repeat customer's first recorded order does not make them a customer again", async () => {
    const p = await person();
    await api("PUT", `/v1/contacts/${p.ref}/stage`, { stage: "repeat_customer" });
    await track(p.user, "Order Completed");
    expect((await contact(p.ref)).stage).toBe("repeat_customer");
  });

  it("a duplicate event (same messageId) does not count as another occurrence", async () => {
    const p = await person();
    const call = { userId: p.user, event: "Order Completed", messageId: unique("m") };
    await api("POST", "/v1/track", call);
    await api("POST", "/v1/track", call);
    expect((await contact(p.ref)).stage).toBe("customer");
  });
});

describe("dormant", () => {
  it("moves a customer to dormant after 90 quiet days; activity resets the timer; an order wakes them", async () => {
    const p = await person();
    expect((await contact(p.ref)).timers.filter((t: any) => t.kind === "dormant")).toEqual([]); // a subscriber never goes dormant
    await track(p.user, "Order Completed");
    const first = (await contact(p.ref)).timers.find((t: any) => t.kind === "dormant");
    // Due 90 days after the order (its stage change may be a millisecond later than the event).
    expect(Date.parse(first.dueAt) - Date.parse((await contact(p.ref)).recentEvents[0].at)).toBeGreaterThanOrEqual(90 * DAY);
    expect(Date.parse(first.dueAt) - Date.parse((await contact(p.ref)).recentEvents[0].at)).toBeLessThan(90 * DAY + 1000);

    await advance(p.ref, 60 * DAY);
    await track(p.user, "Product Viewed"); // any track event is activity
    // The timer is not rewritten per event (a storage write each): it fires at day 90, finds the
    // activity, and moves itself to 90 days after it.
    expect((await contact(p.ref)).timers.find((t: any) => t.kind === "dormant").dueAt).toBe(first.dueAt);
    await advance(p.ref, 30 * DAY + 1000);
    expect((await contact(p.ref)).stage).toBe("customer");
    const moved = (await contact(p.ref)).timers.find((t: any) => t.kind === "dormant");
    expect(Date.parse(moved.dueAt) - Date.parse(first.dueAt)).toBeGreaterThanOrEqual(60 * DAY);

    await advance(p.ref, 59 * DAY);
    expect((await contact(p.ref)).stage).toBe("customer");
    await advance(p.ref, 1 * DAY + 1000);
    const c = await contact(p.ref);
    expect(c.stage).toBe("dormant");
    expect(moves(c).at(-1)).toBe("dormant:rule:dormant");
    expect(c.timers.filter((t: any) => t.kind === "dormant")).toEqual([]);

    // Dormant counts as the stage it was entered from, so "only forward" lets an order wake them.
    await track(p.user, "Order Completed");
    const back = await contact(p.ref);
    expect(back.stage).toBe("repeat_customer");
    expect(moves(back).at(-1)).toBe("repeat_customer:rule:repeat_order");
    expect(back.timers.filter((t: any) => t.kind === "dormant")).toHaveLength(1);
  });

  it("a firing alarm re-checks: a stage changed meanwhile by the API means no move", async () => {
    const p = await person();
    await track(p.user, "Order Completed");
    await api("PUT", `/v1/contacts/${p.ref}/stage`, { stage: "subscriber" });
    await advance(p.ref, 91 * DAY);
    expect((await contact(p.ref)).stage).toBe("subscriber");
  });

  it("delivery receipts of Tidings' own messages are not activity", async () => {
    const p = await person();
    await api("PUT", "/v1/templates/stage-rules-receipt", { body: "Your order shipped.", job: "transactional", purpose: "transactional" });
    await track(p.user, "Order Completed");
    const before = (await contact(p.ref)).timers.find((t: any) => t.kind === "dormant");
    await advance(p.ref, 10 * DAY);
    expect((await api("POST", "/v1/messages", { contact: p.ref, template: "stage-rules-receipt" })).status).toBe(202);
    await settleSends(p.ref);
    const c = await contact(p.ref);
    expect(c.recentEvents.map((e: any) => e.event)).toContain("Message Delivered");
    expect(c.timers.find((t: any) => t.kind === "dormant").dueAt).toBe(before.dueAt);
  });

  it("dormant: null turns inactivity off", async () => {
    expect((await api("PUT", "/v1/settings/stageRules", { dormant: null })).status).toBe(200);
    const p = await person();
    await track(p.user, "Order Completed");
    await advance(p.ref, 200 * DAY);
    const c = await contact(p.ref);
    expect(c.stage).toBe("customer");
    expect(c.timers).toEqual([]);
    expect((await api("PUT", "/v1/settings/stageRules", {})).status).toBe(200); // back to the defaults
  });
});

describe("B2B rules", () => {
  beforeAll(async () => {
    expect((await api("PUT", "/v1/settings/stages", { preset: "b2b" })).status).toBe(200);
    const r = await api("PUT", "/v1/settings/stageRules", {
      rules: [
        { name: "webinar_lead", event: "Lead Created", where: { "properties.source": "webinar" }, to: "lead" },
        { name: "pricing_interest", event: "Pricing Viewed", occurrence: 3, within: "P7D", to: "mql" },
        { name: "meeting_booked", event: "Meeting Booked", to: "opportunity" },
        { name: "opportunity_won", event: "Opportunity Won", from: ["opportunity"], to: "customer" },
      ],
      dormant: null,
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await api("PUT", "/v1/settings/stages", { preset: "b2c" });
    await api("PUT", "/v1/settings/stageRules", {});
  });

  it("walks the funnel: conditions, the third occurrence within a window, from-stages", async () => {
    const p = await person();
    await track(p.user, "Lead Created", { source: "ads" });
    expect((await contact(p.ref)).stage).toBe("subscriber");
    await track(p.user, "Lead Created", { source: "webinar" });
    expect((await contact(p.ref)).stage).toBe("lead");

    await track(p.user, "Pricing Viewed");
    await advance(p.ref, 8 * DAY); // the first view falls out of the window
    await track(p.user, "Pricing Viewed");
    await track(p.user, "Pricing Viewed");
    expect((await contact(p.ref)).stage).toBe("lead");
    await track(p.user, "Pricing Viewed");
    expect((await contact(p.ref)).stage).toBe("mql");

    await track(p.user, "Meeting Booked");
    await track(p.user, "Opportunity Won");
    const c = await contact(p.ref);
    expect(c.stage).toBe("customer");
    expect(moves(c)).toEqual([
      "subscriber:created", "lead:rule:webinar_lead", "mql:rule:pricing_interest", "opportunity:rule:meeting_booked", "customer:rule:opportunity_won",
    ]);
  });

  it("a won opportunity outside the opportunity stage moves nothing", async () => {
    const p = await person();
    await track(p.user, "Opportunity Won");
    expect((await contact(p.ref)).stage).toBe("subscriber");
  });

  it("rules whose stages are not configured (the preset changed after they were saved) are inert", async () => {
    await api("PUT", "/v1/settings/stages", { preset: "b2c" });
    expect((await api("PUT", "/v1/settings/stageRules", {})).status).toBe(200); // the B2C defaults
    await api("PUT", "/v1/settings/stages", { preset: "b2b" });
    const p = await person();
    await track(p.user, "Order Completed");
    await track(p.user, "Order Completed"); // repeat_customer is not a B2B stage
    const c = await contact(p.ref);
    expect(c.stage).toBe("customer");
    expect(c.timers).toEqual([]); // nor is dormant
  });
});

describe("validation", () => {
  it("refuses, at save, a rule naming a stage that is not configured", async () => {
    await api("PUT", "/v1/settings/stages", { preset: "b2c" });
    const r = await api("PUT", "/v1/settings/stageRules", { rules: [{ name: "to_mql", event: "Pricing Viewed", to: "mql" }] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ field: "rules.0.to", message: expect.stringContaining("mql is not a configured stage") });
  });

  it("refuses malformed rules, naming the field", async () => {
    const put = (body: unknown) => api("PUT", "/v1/settings/stageRules", body);
    const fields = async (body: unknown) => {
      const r = await put(body);
      expect(r.status).toBe(400);
      return r.body.errors.map((e: any) => e.field);
    };
    const rule = { name: "r", event: "Order Completed", to: "customer" };
    expect(await fields({ rules: [rule, rule] })).toEqual(["rules"]);
    expect(await fields({ rules: [{ ...rule, occurrence: 0 }] })).toEqual(["rules.0.occurrence"]);
    expect(await fields({ rules: [{ ...rule, to: "Repeat Customer" }] })).toEqual(["rules.0.to"]);
    expect(await fields({ rules: [{ ...rule, within: "7 days" }] })).toEqual(["rules.0.within"]);
    expect(await fields({ dormant: { after: "PT1H", to: "dormant", from: ["customer"] } })).toEqual(["dormant.after"]);
    expect(await fields({ dormant: { after: "P30D", to: "dormant", from: ["dormant"] } })).toEqual(["dormant.from"]);
  });

  it("names stages that are not in the configured list (the save-time check)", () => {
    const section = StageRulesSection.parse({
      rules: [{ name: "meeting", event: "Meeting Booked", from: ["lead"], to: "opportunity" }],
      dormant: { after: "P60D", to: "dormant", from: ["customer"] },
    });
    expect(stageRuleErrors(section, ["subscriber", "customer", "repeat_customer", "dormant"]).map((e) => e.field)).toEqual(["rules.0.to", "rules.0.from.0"]);
    expect(stageRuleErrors(StageRulesSection.parse({}), ["subscriber", "customer", "repeat_customer", "dormant"])).toEqual([]);
  });
});
