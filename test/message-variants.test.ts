// Message variants: a send step names 2–4 templates with weights; each contact gets one, stably and
// independently of the holdout; the message records it; the report compares variants with 95%
// intervals and says in words when the data is not enough; one action keeps a single variant.
import { describe, expect, it } from "vitest";
import { pickVariant } from "../src/flows/variants";
import { inHoldout } from "../src/reports/attribution";
import { MIN_RECIPIENTS, type VariantTotals, compareVariants } from "../src/reports/variants";
import { Z95 } from "../src/reports/lift";
import { api, flushRecords, phone, unique, withoutOptInConfirmation } from "./helpers";

const AB = [{ template: "promo-a", weight: 3 }, { template: "promo-b", weight: 1 }];

describe("assignment", () => {
  const ids = Array.from({ length: 8000 }, (_, i) => `c_${i.toString(36).padStart(20, "0")}`);

  it("is stable per contact, flow and step, and follows the weights", () => {
    expect(pickVariant(ids[7]!, "spring", "steps.1", AB)).toEqual(pickVariant(ids[7]!, "spring", "steps.1", AB));
    const shareA = ids.filter((id) => pickVariant(id, "spring", "steps.1", AB).label === "A").length / ids.length;
    expect(shareA).toBeGreaterThan(0.73);
    expect(shareA).toBeLessThan(0.77);
  });

  it("is independent of the holdout", () => {
    const held = ids.filter((id) => inHoldout(id, "spring", 0.5));
    const kept = ids.filter((id) => !inHoldout(id, "spring", 0.5));
    const share = (list: string[]) => list.filter((id) => pickVariant(id, "spring", "steps.1", AB).label === "A").length / list.length;
    expect(Math.abs(share(held) - share(kept))).toBeLessThan(0.03);
  });
});

describe("comparison", () => {
  const v = (label: string, sent: number, conversions: number, revenue?: { sum: number; sumSq: number }): VariantTotals => ({
    label, template: `t-${label}`, weight: 1, sent, clicks: 0, replies: 0, optOuts: 0, conversions, revenue: revenue ? { USD: revenue } : ({} as VariantTotals["revenue"]),
  });

  it("says in words when there is not enough data", () => {
    expect(compareVariants([v("A", 0, 0), v("B", 0, 0)]).verdict).toBe("Nothing sent yet: there is nothing to compare.");
    const few = compareVariants([v("A", 40, 4), v("B", 12, 1)]);
    expect([few.decided, few.verdict]).toEqual([false, `Not enough data yet: each variant needs at least ${MIN_RECIPIENTS} recipients to compare (B has 12).`]);
    const close = compareVariants([v("A", 100, 10), v("B", 100, 8)]);
    expect(close.decided).toBe(false);
    expect(close.verdict).toMatch(/^Not enough data yet to pick a winner: A converts best so far \(10%\), but B could be as good/);
  });

  it("gives each variant's difference to the best with 95% intervals, and names a clear winner", () => {
    // A: 60 of 300 bought for $50 each; B: 15 of 300 bought for $40 each.
    const r = compareVariants([v("A", 300, 60, { sum: 3000, sumSq: 60 * 2500 }), v("B", 300, 15, { sum: 600, sumSq: 15 * 1600 })]);
    expect(r.best).toBe("A");
    expect(r.decided).toBe(true);
    expect(r.verdict).toBe("A (t-A) wins: it converts 20% of recipients, more than every other variant with 95% confidence.");
    const b = r.variants[1]!;
    const se = Math.sqrt((0.05 * 0.95) / 300 + (0.2 * 0.8) / 300);
    expect(b.vsBest!.conversionRate!.value).toBeCloseTo(-0.15, 10);
    expect(b.vsBest!.conversionRate!.low).toBeCloseTo(-0.15 - Z95 * se, 10);
    // Revenue per recipient: $2 against $10; Welch's standard error over recipients (non-buyers count as 0).
    const variance = (sum: number, sq: number, n: number) => (sq - (sum * sum) / n) / (n - 1);
    const seRev = Math.sqrt(variance(600, 15 * 1600, 300) / 300 + variance(3000, 60 * 2500, 300) / 300);
    expect(b.revenuePerRecipient.USD).toBe(2);
    expect(b.vsBest!.revenuePerRecipient.USD!.value).toBeCloseTo(-8, 10);
    expect(b.vsBest!.revenuePerRecipient.USD!.high).toBeCloseTo(-8 + Z95 * seRev, 10);
    expect(r.variants[0]!.vsBest).toBeNull();
  });
});

describe("variant tests in flows", () => {
  const flow = (variants: unknown, template = "promo-a") => ({
    name: "Spring", status: "active", job: "retention", trigger: { event: "Spring Opened" }, goal: { event: "Order Completed" },
    steps: [{ send: { template, variants } }],
  });

  it("refuse bad variants, naming the field", async () => {
    const fields = async (body: unknown) => (await api("PUT", "/v1/flows/bad-variants", body)).body.errors.map((e: any) => e.field);
    expect(await fields(flow([AB[0]]))).toContain("steps.0.send.variants");
    expect(await fields(flow([AB[0], { template: "promo-a", weight: 2 }]))).toContain("steps.0.send.variants.1.template");
    expect(await fields(flow([{ template: "promo-a", weight: 0 }, AB[1]]))).toContain("steps.0.send.variants.0.weight");
    expect(await fields(flow(AB, "promo-c"))).toContain("steps.0.send.template");
    const broadcast = await api("POST", "/v1/broadcasts", {
      name: "x", template: "promo-c", variants: AB, segment: { stages: ["subscriber"] }, sendAt: { localTime: "10:00" },
    });
    expect(broadcast.body.errors.map((e: any) => e.field)).toContain("template");
  });

  it("record each contact's variant, report it, and end with one action", async () => {
    await withoutOptInConfirmation();
    await api("PUT", "/v1/settings/caps", { rules: [] });
    for (const t of ["promo-a", "promo-b"]) {
      expect((await api("PUT", `/v1/templates/${t}`, { body: `Spring sale (${t}). Reply STOP to opt out.`, job: "retention", purpose: "marketing" })).status).toBe(200);
    }
    const key = unique("spring");
    expect((await api("PUT", `/v1/flows/${key}`, flow(AB))).status).toBe(200);
    const people: Array<{ user: string; contactId: string }> = [];
    for (let i = 0; i < 6; i++) {
      const user = unique("u");
      const r = await api("POST", "/v1/identify", { userId: user, traits: { phone: phone() }, context: { timezone: "America/Los_Angeles" } });
      await api("POST", "/v1/track", { userId: user, event: "Subscribed", messageId: unique("s"), properties: { purpose: "marketing", text: "Yes", url: "https://shop.example/join" } });
      await api("POST", "/v1/track", { userId: user, event: "Spring Opened", messageId: unique("e") });
      people.push({ user, contactId: r.body.contactId });
    }
    await flushRecords();
    const expected = people.map((p) => pickVariant(p.contactId, key, "steps.0", AB));
    const messages = await Promise.all(people.map(async (p) => (await api("GET", `/v1/messages?contact=${p.contactId}`)).body.messages[0]));
    expect(messages.map((m: any) => [m.variant, m.templateKey])).toEqual(expected.map((e) => [e.label, e.template]));

    // One recipient of B buys: credited to B by last touch (delivery).
    const buyer = people[expected.findIndex((e) => e.label === "B")] ?? people[0]!;
    await api("POST", "/v1/track", { userId: buyer.user, event: "Order Completed", messageId: unique("o"), properties: { revenue: 42, currency: "USD" } });
    await flushRecords();
    const report = (await api("GET", `/v1/reports/variants/${key}`)).body;
    const step = report.steps[0];
    expect(step.step).toBe("steps.0");
    expect(step.variants.map((x: any) => x.sent)).toEqual(["A", "B"].map((l) => expected.filter((e) => e.label === l).length));
    const credited = step.variants.find((x: any) => x.template === messages[people.indexOf(buyer)].templateKey);
    expect([credited.conversions, credited.revenue.USD]).toEqual([1, 42]);
    expect(step.decided).toBe(false);
    expect(step.verdict).toMatch(/^Not enough data yet/);

    const bad = await api("POST", `/v1/flows/${key}/variants/only`, { step: "steps.3", template: "promo-b" });
    expect([bad.status, bad.body.errors[0].field]).toEqual([400, "step"]);
    const only = await api("POST", `/v1/flows/${key}/variants/only`, { step: "steps.0", template: "promo-b" });
    expect(only.status).toBe(200);
    expect(only.body.version).toBe(2);
    const saved = (await api("GET", `/v1/flows/${key}`)).body;
    expect(saved.steps[0].send).toEqual({ template: "promo-b" });
  });
});
