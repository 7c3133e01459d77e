// A made-up contact walked through a flow on a clock with the gate's own pure checks and no sends:
// a send deferred by quiet hours says until when, one without consent is skipped and says why, an
// order during the wait converts the run; and the API route walks a saved flow or an unsaved draft.
import { describe, expect, it } from "vitest";
import { simulate } from "../src/flows/simulate";
import type { FlowBody } from "../src/flows/schema";
import { defaultSettings } from "../src/settings/schema";
import { api, unique } from "./helpers";

const cart: FlowBody & { key: string } = {
  key: "cart-sim",
  name: "Cart recovery",
  status: "active",
  job: "conversion",
  trigger: { event: "Checkout Started" },
  reentry: "always",
  on_cap: "defer",
  holdout: 0,
  goal: { event: "Order Completed" },
  steps: [
    { wait: "PT1H" },
    { send: { template: "cart-reminder" } },
    { wait_for: { event: "Order Completed", timeout: "P1D" }, on_timeout: [{ send: { template: "cart-last-call" } }] },
  ],
};
const templates = new Map([
  ["cart-reminder", { status: "active", purpose: "marketing", job: "conversion" }],
  ["cart-last-call", { status: "active", purpose: "marketing", job: "conversion" }],
]);
// 10:00 UTC on a winter Monday is 02:00 in Los Angeles: an hour later is still night there.
const start = Date.parse("2030-03-04T10:00:00Z");
const walk = (contact: Partial<Parameters<typeof simulate>[0]["contact"]>, events: Parameters<typeof simulate>[0]["events"] = []) =>
  simulate({ flow: cart, settings: defaultSettings(), templates, contact: { phone: "+14155550123", timezone: "America/Los_Angeles", traits: {}, consent: ["marketing"], ...contact }, trigger: { name: "Checkout Started", properties: {} }, events, start });

describe("simulating a contact through a flow", () => {
  it("defers a send at night until the quiet hours end, then times out to the last call", () => {
    const w = walk({});
    expect(w.steps.map((s) => s.label)).toEqual(["steps.0", "steps.1", "steps.2", "steps.2.on_timeout.0"]);
    const first = w.steps[1]!.decision!;
    expect(first.outcome).toBe("deferred");
    expect(first.reason).toMatch(/^quiet_hours:/);
    expect(new Date(first.until!).toISOString()).toBe("2030-03-04T16:00:00.000Z"); // 08:00 in Los Angeles
    expect(first.sendsAt).toBe(first.until);
    // The timeout ends at 03:00 the next night in Los Angeles: the last call waits for 08:00 too.
    expect(w.steps[3]!.decision).toMatchObject({ outcome: "deferred", until: Date.parse("2030-03-05T16:00:00Z") });
    expect(w.outcome).toBe("completed");
  });

  it("skips a send without consent and says why", () => {
    const w = walk({ consent: [] });
    expect(w.steps[1]!.decision).toMatchObject({ outcome: "skipped", reason: "no_consent:marketing" });
    // At noon where the contact lives (Berlin, by their time-zone trait), it goes at once.
    expect(walk({ timezone: "Europe/Berlin" }).steps[1]!.decision).toMatchObject({ outcome: "sent", reason: "ok" });
  });

  it("converts when the order arrives during the wait, and holds back the control group", () => {
    const w = walk({}, [{ name: "Order Completed", at: 3 * 3_600_000, properties: {} }]);
    expect(w.steps.at(-1)).toMatchObject({ label: "goal", at: start + 3 * 3_600_000 });
    expect(w.outcome).toBe("converted");
    expect(walk({ holdout: true }).steps[1]!.decision).toMatchObject({ outcome: "skipped", reason: "holdout" });
  });

  it("walks a saved flow or an unsaved draft through the API, naming bad fields", async () => {
    const key = unique("sim");
    await api("PUT", `/v1/flows/${key}`, { name: "S", job: "conversion", trigger: { event: "A" }, steps: [{ wait: "PT1H" }, { exit: true }] });
    const saved = await api("POST", `/v1/flows/${key}/simulate`, { contact: { phone: "+14155550123" } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ version: 1, outcome: "exited", steps: [{ label: "steps.0" }, { label: "steps.1", what: "exits" }] });
    const draft = await api("POST", `/v1/flows/${key}/simulate`, { flow: { name: "D", job: "conversion", trigger: { event: "A" }, steps: [{ set_stage: "customer" }] }, contact: { phone: "+14155550123" } });
    expect(draft.body).toMatchObject({ version: null, outcome: "completed", steps: [{ what: "moves to stage customer" }] });
    const bad = await api("POST", `/v1/flows/${key}/simulate`, { contact: { phone: "555", timezone: "Mars/Base" }, events: [{ name: "X", after: "soon" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["contact.phone", "contact.timezone", "events.0.after"]);
    expect((await api("POST", "/v1/flows/no-such-flow/simulate", { contact: { phone: "+14155550123" } })).status).toBe(404);
  });
});
