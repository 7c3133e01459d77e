// The console's words for codes, pure: gate decisions ("deferred: quiet hours in Florida until 08:00"),
// durations, and a broadcast's dry-run counts.
import { describe, expect, it } from "vitest";
import { countInWords } from "../src/console/broadcasts";
import { explainDecision, placeName, reasonInWords } from "../src/console/explain";
import { describeStep, durationInWords } from "../src/console/flows";
import { slaCountdown } from "../src/console/tasks";

describe("decisions in plain words", () => {
  // 13:00 UTC on Wed 25 Nov 2026 is 08:00 in New York (EST, UTC−5).
  const until = Date.UTC(2026, 10, 25, 13, 0);
  const night = Date.UTC(2026, 10, 25, 3, 30); // 22:30 on Tue 24 Nov in New York

  it("says where quiet hours held a message and until when, in the contact's local time", () => {
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:US-FL", until }, { timeZone: "America/New_York" })).toBe(
      "deferred: quiet hours in Florida until 08:00 (Wed 25 Nov)",
    );
    // Same local day: no date needed. ISO `until` (recentDecisions) reads the same as epoch ms (timeline).
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:US-TX", until: "2026-11-25T15:00:00.000Z" }, { timeZone: "America/Chicago", now: until })).toBe(
      "deferred: quiet hours in Texas until 09:00",
    );
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:FR", until }, { timeZone: "Europe/Paris", now: night })).toContain("quiet hours in France until 14:00");
  });

  it("names caps, consent, rules and the rest", () => {
    const cases: Array<[string, string, string]> = [
      ["deferred", "cap:marketing-daily", "deferred: the frequency cap “marketing-daily” until"],
      ["skipped", "no_consent:marketing", "not sent: no marketing consent on record for this number"],
      ["skipped", "pending_consent:marketing", "not sent: marketing consent is waiting for the person to confirm (double opt-in)"],
      ["skipped", "rule:no-marketing-during-support", "not sent: the eligibility rule “no-marketing-during-support”"],
      ["skipped", "suppressed", "not sent: the number is on the suppression list"],
      ["skipped", "stopped", "not sent: the person replied STOP"],
      ["skipped", "expired", "not sent: the message expired before it could go"],
      ["skipped", "invalid_phone", "not sent: no valid phone number"],
      ["skipped", "template_retired", "not sent: its template is retired"],
      ["skipped", "holdout", "held out: the contact is in the flow's holdout group"],
      ["sent", "ok", "sent: cleared every check"],
      ["skipped", "something_new", "not sent: something_new"],
    ];
    for (const [outcome, reason, words] of cases) expect(explainDecision({ outcome, reason, until }, { timeZone: "America/New_York" })).toContain(words);
  });

  it("keeps the gate's detail", () => {
    const d = { outcome: "skipped", reason: "expired", detail: "quiet_hours:US-FL until 2026-11-25T13:00:00.000Z, after the message expires" };
    expect(explainDecision(d)).toBe(`not sent: the message expired before it could go (${d.detail})`);
  });

  it("reads jurisdictions as places", () => {
    expect(placeName("US-FL")).toBe("Florida");
    expect(placeName("US")).toBe("the United States");
    expect(placeName("PL")).toBe("Poland");
    expect(placeName("ZZ-Q")).toBe("ZZ-Q");
    expect(reasonInWords("quiet_hours:US-MA")).toBe("quiet hours in Massachusetts");
  });
});

describe("durations, steps, counts and countdowns in words", () => {
  it("reads ISO 8601 durations", () => {
    expect(durationInWords("PT1H")).toBe("1 hour");
    expect(durationInWords("PT1H30M")).toBe("1 hour 30 minutes");
    expect(durationInWords("P1D")).toBe("1 day");
    expect(durationInWords("P2W")).toBe("2 weeks");
    expect(durationInWords("P1DT12H")).toBe("1 day 12 hours");
    expect(durationInWords("PT5S")).toBe("5 seconds");
    expect(durationInWords("soon")).toBe("soon");
    expect(durationInWords("P")).toBe("P");
  });

  it("reads flow steps", () => {
    expect(describeStep({ wait: "PT1H" })).toBe("wait 1 hour");
    expect(describeStep({ send: { template: "cart-reminder" } })).toBe("send template cart-reminder");
    expect(describeStep({ wait_for: { event: "Order Completed", timeout: "P1D" } })).toBe("wait up to 1 day for Order Completed");
    expect(describeStep({ route: { intent: "pricing_interest" } })).toBe("create a task for the owner (pricing_interest)");
  });

  it("reads a broadcast's dry-run counts", () => {
    expect(countInWords("scheduled:ok")).toBe("will be sent at its time");
    expect(countInWords("excluded:segment")).toBe("not in the segment (traits, flags or recent events)");
    expect(countInWords("skipped:no_consent:marketing")).toBe("not sent: no marketing consent on record for this number");
    expect(countInWords("deferred:quiet_hours:US-FL")).toBe("deferred: quiet hours in Florida");
  });

  it("counts SLAs down and up", () => {
    const t = Date.UTC(2026, 10, 24, 18, 0);
    expect(slaCountdown(t + 4 * 3600_000, t)).toBe("due in 4 h 0 min");
    expect(slaCountdown(t + 15 * 60_000, t)).toBe("due in 15 min");
    expect(slaCountdown(t - 65 * 60_000, t)).toBe("overdue by 1 h 5 min");
    expect(slaCountdown(t + 26 * 3600_000, t)).toBe("due in 1 d 2 h");
  });
});
