// The flow builder through the Worker: a flow built card by card from an empty page, the API's
// errors back at the field they name, a save that is the API's own new version, edits inside
// branches, a complex flow read back from its own form unchanged, and roles as the API applies them.
import { beforeAll, describe, expect, it } from "vitest";
import { Browser } from "./console-browser";
import { now } from "../src/clock";
import { OWNER, api, flushRecords, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : undefined;
};

/** What a browser would submit from the builder's form: inputs and the selected option of each select. */
function formOf(html: string): Record<string, string> {
  const form = html.slice(html.indexOf('<form method="post" action="/console/flows/'), html.indexOf('<details id="advanced"'));
  const out: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input[^>]*>/g)) {
    const name = attr(tag, "name");
    if (name) out[name] = attr(tag, "value") ?? "";
  }
  for (const [, tag, body] of form.matchAll(/<select([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(tag!, "name");
    const options = [...body!.matchAll(/<option([^>]*)>/g)].map((m) => m[1]!);
    const chosen = options.find((o) => /\sselected=""/.test(o)) ?? options[0];
    if (name && chosen !== undefined) out[name] = attr(chosen, "value") ?? "";
  }
  return out;
}

let b: Browser;
beforeAll(async () => {
  await withoutOptInConfirmation();
  const tpl = await api("PUT", "/v1/templates/builder-reminder", { body: "{{firstName}}, your cart is waiting: {{properties.checkout_url}} Reply STOP to opt out.", job: "conversion", purpose: "marketing", properties: ["checkout_url"] });
  expect(tpl.status).toBe(200);
  b = new Browser();
  await b.signIn(OWNER);
});

/** Post the form as it stands with a button's action, edited by `change`. */
async function press(key: string, html: string, action: string, change: Record<string, string> = {}) {
  return b.fetch(`/console/flows/${key}/build`, { form: { ...formOf(html), ...change, action } });
}

describe("the flow builder", () => {
  it("builds the cart-recovery flow from an empty page; an error lands at its field; saving is the API's new version", async () => {
    const key = unique("cart");
    let page = await b.fetch(`/console/flows/${key}/build`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`New flow ${key}`);
    expect(page.html).toContain('<option value="Checkout Started">'); // the event vocabulary
    page = await press(key, page.html, "add:steps", { "add.steps.kind": "wait" });
    page = await press(key, page.html, "add:steps", { "add.steps.kind": "send" });
    page = await press(key, page.html, "add:steps", { "add.steps.kind": "wait_for" });
    page = await press(key, page.html, "add:steps.2.on_timeout", { "add.steps.2.on_timeout.kind": "send" });
    expect(page.html).toContain('data-step="steps.2.on_timeout.0"');
    const filled = {
      name: "Cart recovery", status: "active", "trigger.event": "Checkout Started",
      "trigger.where.0.path": "properties.value", "trigger.where.0.op": "gte", "trigger.where.0.value": "20",
      "reentry.kind": "gap", "reentry.n": "7", "reentry.unit": "d", "goal.event": "Order Completed", holdout: "10",
      "steps.0.wait.n": "one", "steps.0.wait.unit": "h",
      "steps.1.send.template": "no-such-template",
      "steps.2.wait_for.event": "Order Completed", "steps.2.wait_for.timeout.n": "1", "steps.2.wait_for.timeout.unit": "d",
      "steps.2.on_timeout.0.send.template": "builder-reminder",
    };
    // zod first: a wait that is not a number and a trigger with no event, each at its field.
    const bad = await press(key, page.html, "save", { ...filled, "trigger.event": "" });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/data-field-error="steps.0.wait">an ISO 8601 duration/);
    expect(bad.html).toMatch(/data-field-error="trigger.event">Too small/);
    expect(bad.html).toMatch(/id="f-steps-0-wait-n"[^>]*aria-invalid="true"/);
    expect(bad.html).not.toContain('id="builder-errors"'); // every error found its field
    // Then the API's own checks of an active flow: the template it names does not exist.
    const missing = await press(key, bad.html, "save", { "trigger.event": "Checkout Started", "steps.0.wait.n": "1" });
    expect(missing.status).toBe(400);
    expect(missing.html).toMatch(/data-field-error="steps.1.send.template">template no-such-template does not exist/);
    expect(missing.html).not.toContain('id="builder-errors"');
    expect((await api("GET", `/v1/flows/${key}`)).status).toBe(404);

    const ok = await press(key, missing.html, "save", { "steps.1.send.template": "builder-reminder" });
    expect(ok.status).toBe(303);
    expect(decodeURIComponent(ok.location!)).toContain("Saved version 1.");
    const saved = (await api("GET", `/v1/flows/${key}`)).body;
    expect(saved).toMatchObject({
      version: 1, name: "Cart recovery", status: "active", job: "conversion", reentry: "P7D", holdout: 0.1, goal: { event: "Order Completed" },
      trigger: { event: "Checkout Started", where: { "properties.value": { gte: 20 } } },
      steps: [{ wait: "PT1H" }, { send: { template: "builder-reminder" } }, { wait_for: { event: "Order Completed", timeout: "P1D" }, on_timeout: [{ send: { template: "builder-reminder" } }] }],
    });
    // Try it: a contact at night in Los Angeles who buys two hours later.
    const tried = await press(key, (await b.fetch(`/console/flows/${key}/build`)).html, "simulate", { "sim.phone": "+14155550123", "sim.timezone": "America/Los_Angeles", "sim.consent": "on", "sim.event": "Order Completed", "sim.event.after.n": "2", "sim.event.after.unit": "h" });
    expect(tried.status).toBe(200);
    expect(tried.html).toMatch(/<tr data-step="steps.1" data-outcome="(sent|deferred)">/);
    expect(tried.html).toMatch(/id="walk-outcome">The run <strong>converted<\/strong>/);
    const badTry = await press(key, tried.html, "simulate", { "sim.phone": "555", "steps.0.wait.n": "x" });
    expect(badTry.status).toBe(400);
    expect(badTry.html).toMatch(/data-field-error="sim.phone">an E.164 number/);
    expect(badTry.html).toMatch(/data-field-error="steps.0.wait">an ISO 8601 duration/);
    // Opening it again and saving unchanged makes no new version (the API's own comparison).
    const again = await b.fetch(`/console/flows/${key}/build`);
    expect(again.html).toContain("editing version 1");
    const same = await press(key, again.html, "save");
    expect(decodeURIComponent(same.location!)).toContain("Nothing changed.");
  });

  it("reads a flow with every kind of step back from its own form unchanged", async () => {
    const key = unique("every");
    const flow = {
      name: "Every step", status: "draft", job: "activation", purpose: "marketing",
      trigger: { event: "Appointment Booked", stage: "customer", where: { "properties.kind": "visit", "properties.value": { gte: 5, lt: 100 } }, occurrences: { count: 2, within: "P7D" } },
      reentry: "never", goal: { event: "Order Completed", where: { "properties.revenue": { gt: 0 } } }, cap: { max: 2, window: "P1W" }, on_cap: "skip", holdout: 0.25,
      steps: [
        { wait_until: { date: "properties.appointment_at", offset: "-P1D", time: "18:00", updated_by: ["Appointment Moved"], cancelled_by: ["Appointment Cancelled"] }, on_cancel: [{ exit: true }] },
        { send: { template: "builder-reminder", purpose: "marketing", job: "conversion", expires_in: "PT6H" } },
        { wait_for: { event: "Order Completed", where: { "properties.revenue": { gte: 1 } }, timeout: "PT90M" }, on_event: [{ set_stage: "repeat_customer" }], on_timeout: [{ route: { intent: "call_back" } }] },
        { branch: [{ when: { "traits.plan": "pro", stage: { in: ["customer", "repeat_customer"] } }, steps: [{ wait: "PT30S" }] }, { event: { name: "Product Viewed", where: { "properties.sku": { exists: true } } }, steps: [] }], otherwise: [{ exit: true }] },
      ],
    };
    expect((await api("PUT", `/v1/flows/${key}`, flow)).status).toBe(200);
    const page = await b.fetch(`/console/flows/${key}/build`);
    const same = await press(key, page.html, "save");
    const now = (await api("GET", `/v1/flows/${key}`)).body;
    expect({ ...now, version: 1, waiting: undefined, key: undefined }).toEqual({ ...flow, version: 1, waiting: undefined, key: undefined });
    expect(decodeURIComponent(same.location!)).toContain("Nothing changed.");
  });

  it("inserts, moves and deletes steps inside a branch, and adds and removes cases", async () => {
    const key = unique("branchy");
    await api("PUT", `/v1/flows/${key}`, { name: "B", job: "conversion", trigger: { event: "A" }, steps: [{ branch: [{ when: { "traits.plan": "pro" }, steps: [{ wait: "PT1H" }, { exit: true }] }] }] });
    let page = await b.fetch(`/console/flows/${key}/build`);
    page = await press(key, page.html, "add:steps.0.branch.0.steps", { "add.steps.0.branch.0.steps.kind": "set_stage", "add.steps.0.branch.0.steps.at": "1" });
    page = await press(key, page.html, "down:steps.0.branch.0.steps.0");
    page = await press(key, page.html, "delete:steps.0.branch.0.steps.2");
    page = await press(key, page.html, "addcase:steps.0");
    page = await press(key, page.html, "add:steps.0.otherwise", { "add.steps.0.otherwise.kind": "exit" });
    const saved = await press(key, page.html, "save", { "steps.0.branch.0.steps.0.set_stage": "customer", "steps.0.branch.1.when.0.path": "stage", "steps.0.branch.1.when.0.value": "dormant" });
    expect(saved.status).toBe(303);
    expect((await api("GET", `/v1/flows/${key}`)).body.steps).toEqual([
      { branch: [{ when: { "traits.plan": "pro" }, steps: [{ set_stage: "customer" }, { wait: "PT1H" }] }, { when: { stage: "dormant" }, steps: [] }], otherwise: [{ exit: true }] },
    ]);
    page = await b.fetch(`/console/flows/${key}/build`);
    page = await press(key, page.html, "delcase:steps.0.branch.0");
    await press(key, page.html, "save");
    expect((await api("GET", `/v1/flows/${key}`)).body.steps[0].branch).toEqual([{ when: { stage: "dormant" }, steps: [] }]);
  });

  it("offers an analyst no builder controls, and the API refuses an analyst's save", async () => {
    const key = unique("ro");
    await api("PUT", `/v1/flows/${key}`, { name: "R", job: "conversion", trigger: { event: "A" }, steps: [{ wait: "PT1H" }] });
    const analyst = (await api("POST", "/v1/keys", { name: unique("an"), role: "analyst" })).body.key as string;
    const a = new Browser();
    await a.signIn(analyst);
    const page = await a.fetch(`/console/flows/${key}/build`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Your role can read flows, not change them.");
    expect(page.html).not.toContain("Save as a new version");
    expect(page.html).not.toMatch(/value="(add|up|down|delete|addcase):/);
    // Trying is a read: an analyst may simulate.
    const tried = await a.fetch(`/console/flows/${key}/build`, { form: { ...formOf(page.html), action: "simulate" } });
    expect(tried.html).toContain('id="walk-outcome"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const post = await a.fetch(`/console/flows/${key}/build`, { form: { ...formOf(page.html), _csrf: csrf, name: "Changed", action: "save" } });
    expect(post.status).toBe(403);
    expect(post.html).toContain("analyst role lacks the flows:write permission");
    expect((await api("GET", `/v1/flows/${key}`)).body.name).toBe("R");
  });

  it("answers bad builder input with the page, never a 500", async () => {
    for (const form of [{ action: "add:steps.9.on_timeout" }, { action: "up:steps.0" }, { action: "bogus" }, { "steps.0.type": "wait", "steps.0.wait.n": "1e9999" }, { action: "delcase:x.branch.0" }] as Record<string, string>[]) {
      const r = await b.fetch("/console/flows/weird-input/build", { form: { _csrf: await b.token(), ...form } });
      expect([200, 400]).toContain(r.status);
    }
  });
});

/** An IANA zone (Etc/GMT±N) where the local hour is `hour` at the pinned clock; Etc signs are inverted. */
function zoneAtHour(hour: number): string {
  const offset = ((hour - new Date(now()).getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? "Etc/UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

describe("the flow drawing", () => {
  it("counts each step's results: sent, deferred and skipped by reason, and runs waiting", async () => {
    const key = unique("drawn");
    const event = unique("Drawn Checkout");
    const put = await api("PUT", `/v1/flows/${key}`, { name: "Drawn", status: "active", job: "conversion", trigger: { event }, steps: [{ send: { template: "builder-reminder" } }, { wait: "P1D" }] });
    expect(put.status).toBe(200);
    const day = unique("day");
    const night = unique("night");
    const never = unique("never");
    await optedIn(day, phone(), { timezone: zoneAtHour(13) });
    await optedIn(night, phone(), { timezone: zoneAtHour(3) });
    await api("POST", "/v1/identify", { userId: never, traits: { phone: phone(), timezone: zoneAtHour(13) } });
    for (const u of [day, night, never]) await api("POST", "/v1/track", { userId: u, event, messageId: unique("e"), properties: { checkout_url: "https://shop.example/c/1" } });
    await settleSends(`user:${day}`);
    await flushRecords();
    const r = await api("GET", `/v1/flows/${key}/steps`);
    expect(r.status).toBe(200);
    const send = r.body.steps["steps.0"];
    expect(send.sent).toBe(1);
    expect(Object.entries(send.deferred)).toEqual([[expect.stringMatching(/^quiet_hours:/), 1]]);
    expect(send.skipped).toEqual({ "no_consent:marketing": 1 });
    expect(r.body.steps["steps.1"].waiting).toBe(3); // a send never parks the run: all three wait a day after it
    const page = await b.fetch(`/console/flows/${key}`);
    expect(page.html).toMatch(/<g data-step="steps.0" data-kind="send">[\s\S]*?data-counts="1">1 sent<\/text>[\s\S]*?deferred: quiet_hours:\w+ 1<\/text>[\s\S]*?skipped: no_consent:marketing 1<\/text>/);
    expect((await api("GET", "/v1/flows/no-such-flow/steps")).status).toBe(404);

    // The builder's event list: the vocabulary, the flows' own events, and those the reports hold.
    await api("POST", "/v1/track", { userId: day, event: "Order Completed", messageId: unique("o"), properties: { revenue: 30, currency: "USD" } });
    await flushRecords();
    const names = (await api("GET", "/v1/flow-events")).body.events as Array<{ name: string; source: string; count?: number }>;
    expect(names.find((e) => e.name === event)).toEqual({ name: event, source: "flows" });
    expect(names.find((e) => e.name === "Order Completed")).toMatchObject({ source: "vocabulary", count: expect.any(Number) });
    expect((await b.fetch(`/console/flows/${key}/build`)).html).toContain(`<option value="${event}">`);
  });
});
