// Frequency caps on their own (src/caps/caps.ts): pure, no bindings. Which rules apply to a message,
// and properties of the rolling window: sending whenever capAt allows never puts more than `max`
// messages in any window, and the instant a cap frees up is the earliest one it does.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ActiveCap, type CapSubject, type SentRecord, capAt, capsFor, inScope } from "../src/caps/caps";
import type { CapRule } from "../src/caps/settings";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const marketing: CapSubject = { purpose: "marketing", job: "retention", stage: "customer", flow: "cart", tags: ["sale"] };
const rule = (over: Partial<CapRule>): CapRule => ({ name: "r", scope: {}, window: "P1D", max: 2, includeTransactional: false, ...over });
const sent = (at: number, over: Partial<CapSubject> = {}): SentRecord => ({ ...marketing, ...over, at });

describe("which caps apply", () => {
  it("a scope matches when every field it gives matches", () => {
    expect(inScope(rule({ scope: { purpose: "marketing", stage: "customer", job: "retention", flow: "cart", tag: "sale" } }), marketing)).toBe(true);
    expect(inScope(rule({ scope: { purpose: "marketing", stage: "dormant" } }), marketing)).toBe(false);
    expect(inScope(rule({ scope: { tag: "vip" } }), marketing)).toBe(false);
    expect(inScope(rule({}), marketing)).toBe(true);
  });

  it("transactional messages are exempt unless the cap includes them", () => {
    const receipt = { ...marketing, purpose: "transactional" };
    expect(inScope(rule({}), receipt)).toBe(false);
    expect(inScope(rule({ includeTransactional: true }), receipt)).toBe(true);
  });

  it("a flow's own cap counts only that flow's messages, and applies only to them", () => {
    const caps = capsFor([rule({ name: "daily", scope: { purpose: "marketing" } })], marketing, { max: 1, window: "P7D" });
    expect(caps.map((c) => [c.name, c.windowMs, c.max])).toEqual([["daily", DAY, 2], ["flow:cart", 7 * DAY, 1]]);
    const flowCap = caps[1]!;
    expect([flowCap.counts(marketing), flowCap.counts({ ...marketing, flow: "welcome" })]).toEqual([true, false]);
    expect(capsFor([], { ...marketing, flow: null }, { max: 1, window: "P7D" })).toEqual([]);
  });
});

describe("capAt", () => {
  const daily: ActiveCap = { name: "daily", windowMs: DAY, max: 2, counts: () => true };

  it("blocks at the max and frees when the oldest counted message leaves the window", () => {
    const t = 100 * DAY;
    expect(capAt([daily], [sent(t - 5 * HOUR)], t)).toBeUndefined();
    expect(capAt([daily], [sent(t - 5 * HOUR), sent(t - HOUR)], t)).toEqual({ name: "daily", freeAt: t - 5 * HOUR + DAY });
    // A message exactly one window old has left it.
    expect(capAt([daily], [sent(t - DAY), sent(t - HOUR)], t)).toBeUndefined();
  });

  it("counts only what the cap counts, and reports the first cap that objects", () => {
    const onlySale: ActiveCap = { ...daily, name: "sale", max: 1, counts: (m) => m.tags.includes("sale") };
    const t = 100 * DAY;
    expect(capAt([onlySale], [sent(t - HOUR, { tags: [] })], t)).toBeUndefined();
    expect(capAt([daily, onlySale], [sent(t - HOUR), sent(t - 2 * HOUR)], t)?.name).toBe("daily");
  });
});

const caps = fc.array(
  fc.record({ windowMs: fc.constantFrom(HOUR, 6 * HOUR, DAY, 7 * DAY), max: fc.integer({ min: 1, max: 4 }), tag: fc.option(fc.constant("sale"), { nil: undefined }) }),
  { minLength: 1, maxLength: 3 },
).map((cs) => cs.map((c, i): ActiveCap => ({ name: `c${i}`, windowMs: c.windowMs, max: c.max, counts: (m) => !c.tag || m.tags.includes(c.tag) })));
const attempts = fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 * DAY }), sale: fc.boolean() }), { maxLength: 60 });

describe("properties", () => {
  it("sending whenever capAt allows never puts more than max counted messages in any window", () => {
    fc.assert(
      fc.property(caps, attempts, (cs, tries) => {
        const accepted: SentRecord[] = [];
        for (const a of [...tries].sort((x, y) => x.at - y.at)) {
          const m = sent(a.at, { tags: a.sale ? ["sale"] : [] });
          if (!capAt(cs, accepted, a.at)) accepted.push(m);
        }
        for (const c of cs) {
          for (const s of accepted) {
            const inWindow = accepted.filter((h) => h.at > s.at - c.windowMs && h.at <= s.at && c.counts(h));
            expect(inWindow.length).toBeLessThanOrEqual(c.max);
          }
        }
      }),
    );
  });

  it("a blocked message may go exactly at freeAt for that cap, and not a millisecond before", () => {
    fc.assert(
      fc.property(
        fc.record({ windowMs: fc.constantFrom(HOUR, DAY, 7 * DAY), max: fc.integer({ min: 1, max: 3 }) }),
        fc.array(fc.integer({ min: 0, max: 10 * DAY }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 12 * DAY }),
        ({ windowMs, max }, times, at) => {
          const cap: ActiveCap = { name: "c", windowMs, max, counts: () => true };
          const history = times.filter((x) => x <= at).map((x) => sent(x));
          const blocked = capAt([cap], history, at);
          if (!blocked) return;
          expect(blocked.freeAt).toBeGreaterThan(at);
          expect(capAt([cap], history, blocked.freeAt)).toBeUndefined();
          if (blocked.freeAt - 1 > at) expect(capAt([cap], history, blocked.freeAt - 1)).toBeDefined();
        },
      ),
    );
  });
});
