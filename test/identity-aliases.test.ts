// Aliases resolve to one ContactDO; identify merges an anonymous contact into the known one;
// a phone belongs to one contact at a time; a repeated messageId changes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { HOUR, advance, api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/templates/browse-nudge", { body: "Still looking, {{firstName | default: \"friend\"}}?", job: "conversion", purpose: "marketing" });
  await api("PUT", "/v1/flows/browse", {
    name: "Browse nudge", status: "active", job: "conversion",
    trigger: { event: "Collection Viewed" },
    steps: [{ wait: "PT2H" }, { send: { template: "browse-nudge" } }],
  });
});

describe("aliases", () => {
  it("resolves user:, anon:, phone: and the internal id to the same contact", async () => {
    const user = unique("u");
    const anon = unique("a");
    const to = phone();
    const r = await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: { phone: to.replace("+1", "+1 ") } });
    expect(r.status).toBe(200);
    const id = r.body.contactId;
    expect(id).toMatch(/^c_[0-9a-z]{20}$/);
    for (const ref of [id, `user:${user}`, `anon:${anon}`, `phone:${to}`, `phone:${encodeURIComponent(to.replace("+1", "+1 "))}`]) {
      const c = await api("GET", `/v1/contacts/${ref}`);
      expect([ref, c.body.id]).toEqual([ref, id]);
    }
    expect((await api("GET", `/v1/contacts/${id}`)).body.phone).toBe(to);
  });

  it("keeps a repeated messageId from changing anything", async () => {
    const user = unique("u");
    const call = { userId: user, event: "Product Viewed", messageId: "same-1", properties: { sku: "A" } };
    expect((await api("POST", "/v1/track", call)).body.duplicate).toBe(false);
    expect((await api("POST", "/v1/track", { ...call, properties: { sku: "B" } })).body.duplicate).toBe(true);
    const c = await api("GET", `/v1/contacts/user:${user}`);
    expect(c.body.recentEvents.filter((e: any) => e.event === "Product Viewed")).toEqual([expect.objectContaining({ properties: { sku: "A" } })]);
  });
});

describe("merging on identify", () => {
  it("folds the anonymous contact's events, traits and waiting run into the known contact", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    // Anonymous browsing starts a run that waits two hours.
    await api("POST", "/v1/identify", { anonymousId: anon, traits: { favoriteColor: "teal", phone: to } });
    await api("POST", "/v1/track", { anonymousId: anon, event: "Subscribed", properties: { purpose: "marketing", text: "Text me" } });
    await api("POST", "/v1/track", { anonymousId: anon, event: "Collection Viewed", messageId: unique("m") });
    // The person is already known under a userId (a different contact).
    const known = (await api("POST", "/v1/identify", { userId: user, traits: { firstName: "Kai" } })).body.contactId;
    const anonId = (await api("GET", `/v1/contacts/anon:${anon}`)).body.id;
    expect(anonId).not.toBe(known);

    const merged = await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    expect(merged.body.contactId).toBe(known);

    const c = (await api("GET", `/v1/contacts/user:${user}`)).body;
    expect(c.id).toBe(known);
    expect(c.traits).toMatchObject({ firstName: "Kai", favoriteColor: "teal" });
    expect(c.phone).toBe(to);
    expect(c.recentEvents.map((e: any) => e.event)).toContain("Collection Viewed");
    expect(c.runs).toEqual([expect.objectContaining({ flow: "browse", status: "active" })]);
    expect(c.consent).toEqual({ marketing: "granted" });
    expect((await api("GET", `/v1/contacts/anon:${anon}`)).body.id).toBe(known);
    expect((await api("GET", `/v1/contacts/${anonId}`)).body.mergedInto).toBe(known);

    // The moved run finishes on the known contact and texts the phone once.
    await advance(`user:${user}`, 2 * HOUR);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["Still looking, Kai?"]);

    // Later events sent with the old anonymous id reach the known contact.
    await api("POST", "/v1/track", { anonymousId: anon, event: "Product Viewed", messageId: unique("m") });
    expect((await api("GET", `/v1/contacts/${known}`)).body.recentEvents[0].event).toBe("Product Viewed");

    // The D1 projection keeps one row for the person.
    await flushRecords();
    const list = (await api("GET", "/v1/contacts?limit=500")).body.contacts.map((x: any) => x.id);
    expect(list).toContain(known);
    expect(list).not.toContain(anonId);
  });

  it("is idempotent: the same identify twice merges once", async () => {
    const anon = unique("a");
    const user = unique("u");
    await api("POST", "/v1/track", { anonymousId: anon, event: "Product Viewed", messageId: "pv-1" });
    await api("POST", "/v1/identify", { userId: user, traits: {} });
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {}, messageId: "id-1" });
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {}, messageId: "id-2" });
    const events = (await api("GET", `/v1/contacts/user:${user}`)).body.recentEvents.filter((e: any) => e.event === "Product Viewed");
    expect(events).toHaveLength(1);
  });

  it("carries anonymous history into a userId seen for the first time", async () => {
    const anon = unique("a");
    const user = unique("u");
    const first = (await api("POST", "/v1/track", { anonymousId: anon, event: "Product Viewed" })).body.contactId;
    const r = await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    expect((await api("GET", `/v1/contacts/${first}`)).body.mergedInto).toBe(r.body.contactId);
    expect((await api("GET", `/v1/contacts/user:${user}`)).body.recentEvents.map((e: any) => e.event)).toContain("Product Viewed");
  });

  it("sends later anonymous calls to the known contact, even when the anonymous id had no history", async () => {
    const anon = unique("a");
    const user = unique("u");
    const known = (await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} })).body.contactId;
    const r = await api("POST", "/v1/track", { anonymousId: anon, event: "Product Viewed" });
    expect(r.status).toBe(200);
    expect((await api("GET", `/v1/contacts/${known}`)).body.recentEvents[0].event).toBe("Product Viewed");
  });
});

describe("phone ownership", () => {
  it("moves a phone to the latest contact that identifies with it", async () => {
    const to = phone();
    const a = unique("u");
    const b = unique("u");
    await optedIn(a, to);
    await api("POST", "/v1/identify", { userId: b, traits: { phone: to } });
    expect((await api("GET", `/v1/contacts/phone:${to}`)).body.id).toBe((await api("GET", `/v1/contacts/user:${b}`)).body.id);
    expect((await api("GET", `/v1/contacts/user:${a}`)).body.phone).toBeNull();
    expect((await api("GET", `/v1/contacts/user:${b}`)).body.phone).toBe(to);
    // The contact that lost the number is never texted at it again.
    await api("POST", "/v1/track", { userId: a, event: "Collection Viewed", messageId: unique("m") });
    await advance(`user:${a}`, 3 * HOUR);
    await settleSends(`user:${a}`);
    expect(await inbox(to)).toEqual([]);
    const decisions = (await api("GET", `/v1/contacts/user:${a}`)).body.recentDecisions;
    expect(decisions[0]).toMatchObject({ outcome: "skipped", reason: "invalid_phone" });
  });
});
