// Triggers (each event, the n-th within a window, absence), re-entry, branches, stages, and runs
// that keep the flow version they started with.
import { beforeAll, describe, expect, it } from "vitest";
import { DAY, HOUR, advance, api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const tpl = (body: string) => ({ body, job: "conversion", purpose: "marketing" });

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/stages", { preset: "b2b" });
  for (const k of ["twice", "v1", "v2", "stalled", "vip", "regular", "again"]) await api("PUT", `/v1/templates/${k}`, tpl(k));
  await api("PUT", "/v1/flows/viewed-twice", {
    name: "Viewed twice", status: "active", job: "conversion",
    trigger: { event: "Pricing Viewed", occurrences: { count: 2, within: "P7D" } },
    reentry: "never",
    steps: [{ send: { template: "twice" } }],
  });
  await api("PUT", "/v1/flows/stalled-opp", {
    name: "Stalled opportunity", status: "active", job: "conversion",
    trigger: { absence: { event: "Opportunity Updated", for: "P14D" }, stage: "opportunity" },
    steps: [{ send: { template: "stalled" } }],
  });
  await api("PUT", "/v1/flows/branchy", {
    name: "Branches", status: "active", job: "conversion",
    trigger: { event: "Demo Requested" },
    steps: [
      { branch: [{ when: { "traits.plan": "enterprise" }, steps: [{ send: { template: "vip" } }, { set_stage: "sql" }, { exit: true }] }], otherwise: [{ send: { template: "regular" } }] },
      { set_stage: "mql" },
    ],
  });
});

async function person(traits: Record<string, unknown> = {}) {
  const user = unique("u");
  const to = phone();
  await optedIn(user, to, traits);
  return { user, to, ref: `user:${user}` };
}
const track = (user: string, event: string, properties = {}) => api("POST", "/v1/track", { userId: user, event, messageId: unique("m"), properties });

describe("occurrence triggers", () => {
  it("starts on the second view within seven days, not the first, and only once", async () => {
    const p = await person();
    await track(p.user, "Pricing Viewed");
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual([]);
    await track(p.user, "Pricing Viewed");
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["twice"]);
    await track(p.user, "Pricing Viewed");
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["twice"]);
  });

  it("does not count views older than the window", async () => {
    const p = await person();
    await track(p.user, "Pricing Viewed");
    await advance(p.ref, 8 * DAY);
    await track(p.user, "Pricing Viewed");
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual([]);
  });
});

describe("absence triggers", () => {
  it("starts after 14 days in stage opportunity without an update, and the clock resets on activity", async () => {
    const p = await person();
    await api("PUT", `/v1/contacts/${p.ref}/stage`, { stage: "opportunity" });
    await advance(p.ref, 10 * DAY);
    await track(p.user, "Opportunity Updated");
    await advance(p.ref, 10 * DAY);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual([]); // 10 days since the update
    await advance(p.ref, 5 * DAY);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["stalled"]);
    await advance(p.ref, 30 * DAY);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["stalled"]); // one quiet period, one run
  });

  it("does not start outside the stage", async () => {
    const p = await person();
    await advance(p.ref, 20 * DAY);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual([]);
    expect((await api("GET", `/v1/contacts/${p.ref}`)).body.timers).toEqual([]);
  });
});

describe("branches and stages", () => {
  it("takes the branch that matches the contact's traits and records stage changes", async () => {
    const vip = await person({ plan: "enterprise" });
    const other = await person({ plan: "starter" });
    await track(vip.user, "Demo Requested");
    await track(other.user, "Demo Requested");
    await settleSends(vip.ref);
    await settleSends(other.ref);
    expect(await inbox(vip.to)).toEqual(["vip"]);
    expect(await inbox(other.to)).toEqual(["regular"]);
    const v = (await api("GET", `/v1/contacts/${vip.ref}`)).body;
    expect(v.stage).toBe("sql");
    expect(v.runs[0].status).toBe("exited");
    expect((await api("GET", `/v1/contacts/${other.ref}`)).body.stageHistory.map((h: any) => [h.to, h.reason])).toEqual([
      ["subscriber", "created"],
      ["mql", "flow:branchy"],
    ]);
    await flushRecords();
    const sqls = (await api("GET", "/v1/contacts?stage=sql")).body.contacts.map((c: any) => c.id);
    expect(sqls).toContain(v.id);
  });
});

describe("versions and re-entry", () => {
  it("lets a running run finish on the version it started with", async () => {
    const flow = (template: string) => ({
      name: "Pinned", status: "active", job: "conversion", trigger: { event: "Trial Started" }, reentry: "always",
      steps: [{ wait: "PT1H" }, { send: { template } }],
    });
    expect((await api("PUT", "/v1/flows/pinned", flow("v1"))).body.version).toBe(1);
    const p = await person();
    await track(p.user, "Trial Started");
    expect((await api("PUT", "/v1/flows/pinned", flow("v2"))).body.version).toBe(2);
    expect((await api("PUT", "/v1/flows/pinned", flow("v2"))).body).toMatchObject({ version: 2, changed: false });
    await advance(p.ref, HOUR);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["v1"]);
    // A new run takes the new version.
    await track(p.user, "Trial Started");
    await advance(p.ref, HOUR);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["v1", "v2"]);
    const runs = (await api("GET", `/v1/contacts/${p.ref}`)).body.runs.filter((r: any) => r.flow === "pinned");
    expect(runs.map((r: any) => r.version)).toEqual([2, 1]);
  });

  it("never runs one flow twice at once, and honours a minimum gap", async () => {
    await api("PUT", "/v1/flows/gap", {
      name: "Gap", status: "active", job: "conversion", trigger: { event: "Wishlist Added" }, reentry: "P7D",
      steps: [{ wait: "PT1H" }, { send: { template: "again" } }],
    });
    const p = await person();
    await track(p.user, "Wishlist Added");
    await track(p.user, "Wishlist Added"); // while the first run waits
    await advance(p.ref, 2 * HOUR);
    await track(p.user, "Wishlist Added"); // run ended, but within 7 days of entry
    await advance(p.ref, 2 * HOUR);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["again"]);
    await advance(p.ref, 7 * DAY);
    await track(p.user, "Wishlist Added");
    await advance(p.ref, 2 * HOUR);
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual(["again", "again"]);
  });

  it("starts no run from a draft or paused flow, and counts runs waiting at each step", async () => {
    const base = { name: "Status", job: "conversion", trigger: { event: "Status Test" }, steps: [{ wait: "PT1H" }, { send: { template: "again" } }] };
    await api("PUT", "/v1/flows/status-test", { ...base, status: "draft" });
    const p = await person();
    await track(p.user, "Status Test");
    expect((await api("GET", `/v1/contacts/${p.ref}`)).body.runs).toEqual([]);
    await api("PUT", "/v1/flows/status-test", { ...base, status: "active" });
    await track(p.user, "Status Test");
    await flushRecords();
    expect((await api("GET", "/v1/flows/status-test")).body.waiting).toEqual({ "steps.0": 1 });
    await advance(p.ref, HOUR);
    await flushRecords();
    expect((await api("GET", "/v1/flows/status-test")).body.waiting).toEqual({});
  });
});
