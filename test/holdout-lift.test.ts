// Holdout lift: a stable share of a flow's entrants runs the flow without sending; lift compares the
// sent and control cohorts (conversion rate, revenue per entrant) with 95% intervals worked out by hand.
import { beforeAll, describe, expect, it } from "vitest";
import { contactIdFor } from "../src/contacts/identity";
import { inHoldout } from "../src/reports/attribution";
import { liftOf } from "../src/reports/lift";
import { api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

describe("holdout assignment", () => {
  it("is stable per contact and flow, and near its share", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `c_${i.toString(36).padStart(20, "0")}`);
    const held = ids.filter((id) => inHoldout(id, "cart-recovery", 0.1));
    // Binomial(10,000, 0.1): sd 30, so ±150 is five sd.
    expect(held.length).toBeGreaterThan(850);
    expect(held.length).toBeLessThan(1150);
    expect(ids.filter((id) => inHoldout(id, "cart-recovery", 0.1))).toEqual(held);
    // Another flow draws its own control group: overlap near 0.1 × 0.1, not 0.1.
    const both = held.filter((id) => inHoldout(id, "win-back", 0.1)).length;
    expect(both).toBeLessThan(200);
    expect(ids.some((id) => inHoldout(id, "cart-recovery", 0))).toBe(false);
  });
});

describe("lift", () => {
  it("matches a hand-computed answer", () => {
    // Sent: 200 entrants, 30 converted at 50 USD each. Control: 100 entrants, 8 converted at 50 USD.
    const lift = liftOf(
      { entrants: 200, conversions: 30, revenue: { USD: { sum: 1500, sumSq: 30 * 50 * 50 } } },
      { entrants: 100, conversions: 8, revenue: { USD: { sum: 400, sumSq: 8 * 50 * 50 } } },
    );
    // Rates 0.15 and 0.08; SE = √(0.15·0.85/200 + 0.08·0.92/100) = √0.0013735 = 0.0370608;
    // 95% interval 0.07 ± 1.959964 × 0.0370608 = [-0.0026378, 0.1426378].
    expect(lift.conversionRateDiff!.value).toBeCloseTo(0.07, 9);
    expect(lift.conversionRateDiff!.low).toBeCloseTo(-0.0026378, 6);
    expect(lift.conversionRateDiff!.high).toBeCloseTo(0.1426378, 6);
    expect(lift.relativeLift).toBeCloseTo(0.875, 9); // 0.07 / 0.08
    expect(lift.incrementalConversions!.value).toBeCloseTo(14, 9); // 0.07 × 200
    // Revenue per entrant 7.5 vs 4; variances (75000 − 1500²/200)/199 = 320.35176 and (20000 − 400²/100)/99 = 185.85859;
    // SE = √(320.35176/200 + 185.85859/100) = 1.8602002; interval 3.5 ± 3.6459254 = [-0.1459254, 7.1459254].
    const usd = lift.revenue.USD!;
    expect([usd.sentPerEntrant, usd.controlPerEntrant]).toEqual([7.5, 4]);
    expect(usd.perEntrantDiff!.low).toBeCloseTo(-0.1459254, 6);
    expect(usd.perEntrantDiff!.high).toBeCloseTo(7.1459254, 6);
    expect(usd.incremental!.value).toBeCloseTo(700, 9);
    expect(usd.incremental!.low).toBeCloseTo(-29.18507, 4);
  });

  it("gives no interval until both cohorts have two entrants", () => {
    const lift = liftOf({ entrants: 5, conversions: 1, revenue: {} }, { entrants: 1, conversions: 0, revenue: {} });
    expect(lift.conversionRateDiff).toBeNull();
    expect(lift.relativeLift).toBeNull();
  });
});

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/spring-offer", { body: "Spring offer: 20% off this week. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
  const flow = {
    name: "Spring nudge", status: "active", job: "retention", holdout: 0.5, trigger: { event: "Browsed Spring" },
    goal: { event: "Order Completed" }, steps: [{ send: { template: "spring-offer" } }, { wait: "P3D" }],
  };
  expect((await api("PUT", "/v1/flows/spring-nudge", flow)).status).toBe(200);
});

describe("a flow with a control group", () => {
  it("sends to the sent cohort only, explains the control group's skip, and reports both cohorts", async () => {
    const people = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const user = unique("u");
        const id = await contactIdFor("user", user);
        return { user, to: phone(), control: inHoldout(id, "spring-nudge", 0.5) };
      }),
    );
    for (const p of people) {
      await optedIn(p.user, p.to);
      await api("POST", "/v1/track", { userId: p.user, event: "Browsed Spring", messageId: unique("e") });
      await settleSends(`user:${p.user}`);
    }
    // Re-delivering a trigger does not start a second run.
    await api("POST", "/v1/track", { userId: people[0]!.user, event: "Browsed Spring", messageId: "dup-trigger" });
    await api("POST", "/v1/track", { userId: people[0]!.user, event: "Browsed Spring", messageId: "dup-trigger" });
    for (const p of people) expect(await inbox(p.to)).toHaveLength(p.control ? 0 : 1);

    const controlPerson = people.find((p) => p.control);
    if (controlPerson) {
      const timeline = (await api("GET", `/v1/contacts/user:${controlPerson.user}/timeline`)).body.items;
      expect(timeline.find((i: any) => i.kind === "decision")).toMatchObject({ outcome: "skipped", reason: "holdout" });
    }
    // Half of each cohort buys (at least one each), at 40 USD: the cohorts convert alike, so lift is near 0.
    const buyers = [...people.filter((p) => !p.control).slice(0, 2), ...people.filter((p) => p.control).slice(0, 1)];
    for (const b of buyers) await api("POST", "/v1/track", { userId: b.user, event: "Order Completed", messageId: unique("o"), properties: { revenue: 40, currency: "USD" } });

    await flushRecords();
    const row = (await api("GET", "/v1/reports/flows?key=spring-nudge")).body.flows[0];
    const control = people.filter((p) => p.control).length;
    const sentBuyers = buyers.filter((b) => !b.control).length;
    const controlBuyers = buyers.length - sentBuyers;
    expect(row).toMatchObject({ flow: "spring-nudge", holdout: 0.5, entered: 12, heldOut: control, sent: 12 - control, goals: sentBuyers });
    expect(row.skipped).toEqual(control ? { holdout: control } : {});
    expect(row.lift.sent).toEqual({ entrants: 12 - control, conversions: sentBuyers, conversionRate: sentBuyers / (12 - control) });
    expect(row.lift.control).toEqual({ entrants: control, conversions: controlBuyers, conversionRate: control ? controlBuyers / control : null });
    expect(row.lift.revenue.USD.sentPerEntrant).toBeCloseTo((40 * sentBuyers) / (12 - control), 9);
  });
});
