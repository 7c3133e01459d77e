// STOP means stop: it covers every purpose the number could be texted for, only the person's own
// new opt-in undoes it (START, YES, or a grant with proof), the ledger is read by when things
// happened, and a reply changes consent for the number it came from only.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import { HOUR, MIN, PUBLIC_BASE, api, phone, twilioReply, unique } from "./helpers";

const PROOF = { source: "form", text: "Yes, text me offers (up to 4/month).", proof: { url: "https://shop.example/join", ip: "203.0.113.7" } };

beforeAll(async () => {
  await api("PUT", "/v1/settings/brand", { name: "Acme", support: "help@acme.example" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC_BASE });
  await api("PUT", "/v1/settings/consent", { topics: ["appointment_reminders"], implied: ["transactional", "service"], confirmOptIn: [] });
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/promo", { body: "New arrivals. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/notice", { body: "Your appointment is confirmed.", job: "service", purpose: "service" });
  await api("PUT", "/v1/templates/receipt", { body: "Order confirmed.", job: "transactional", purpose: "transactional" });
});

/** A contact with a number and marketing granted on a signup form (with proof). */
async function subscriber() {
  const user = unique("u");
  const to = phone();
  await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
  const ref = `user:${user}`;
  expect((await grant(ref)).status).toBe(200);
  return { user, to, ref };
}
const grant = (ref: string, body: Record<string, unknown> = PROOF) => api("POST", `/v1/contacts/${ref}/consent`, { purpose: "marketing", action: "grant", ...body });
const send = async (ref: string, template: string) => (await api("POST", "/v1/messages", { contact: ref, template })).body.decision;
const view = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body;
const iso = (ms: number) => new Date(ms).toISOString();

describe("what STOP covers", () => {
  it("an implied purpose that is not a topic (service) stops too, and START brings it back", async () => {
    const c = await subscriber();
    expect((await send(c.ref, "notice")).outcome).toBe("sent");
    await twilioReply(c.to, "STOP");
    expect(await send(c.ref, "notice")).toEqual({ outcome: "skipped", reason: "stopped" });
    expect((await view(c.ref)).consent).toMatchObject({ service: "stopped", transactional: "stopped", marketing: "stopped" });
    await twilioReply(c.to, "START");
    expect((await send(c.ref, "notice")).outcome).toBe("sent");
    expect((await view(c.ref)).consent).toMatchObject({ service: "implied", transactional: "implied", marketing: "granted" });
  });
});

describe("START restores exactly what STOP revoked", () => {
  it("STOP twice, then START: marketing is granted again", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    await twilioReply(c.to, "stop");
    expect((await twilioReply(c.to, "START")).message).toMatch(/subscribed again/);
    expect((await view(c.ref)).consent.marketing).toBe("granted");
    expect((await send(c.ref, "promo")).outcome).toBe("sent");
  });

  it("a purpose the person had revoked stays revoked (not implied, not none)", async () => {
    const c = await subscriber();
    await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "revoke", source: "api" });
    await twilioReply(c.to, "STOP");
    await twilioReply(c.to, "START");
    expect((await view(c.ref)).consent).toMatchObject({ marketing: "revoked", transactional: "implied" });
  });

  it("the same START delivered twice records once; a START with nothing stopped changes nothing", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    const first = await twilioReply(c.to, "START");
    expect((await twilioReply(c.to, "START", { sid: first.sid })).message).toBeUndefined();
    expect((await twilioReply(c.to, "UNSTOP")).message).toBeUndefined();
    const history = (await view(c.ref)).consentHistory;
    expect(history.filter((h: any) => h.action === "restore").map((h: any) => h.purpose).sort()).toEqual(["appointment_reminders", "marketing", "service", "transactional"]);
  });
});

describe("only the person's own new opt-in undoes a STOP", () => {
  it("a grant without proof is recorded but not applied: 409 from the API, the reason in the history and the timeline", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    const r = await grant(c.ref, { source: "api" });
    expect([r.status, r.type]).toEqual([409, "application/problem+json"]);
    expect(r.body).toMatchObject({ status: 409, purpose: "marketing", state: "stopped", applied: false, reason: "stopped:no_proof", recorded: true });
    expect(r.body.detail).toMatch(/START, UNSTOP or YES/);
    expect(await send(c.ref, "promo")).toEqual({ outcome: "skipped", reason: "stopped" });
    const last = (await view(c.ref)).consentHistory.at(-1);
    expect(last).toMatchObject({ action: "grant", source: "api", applied: false, reason: "stopped:no_proof" });
    const items = (await api("GET", `/v1/contacts/${c.ref}/timeline`)).body.items;
    expect(items.find((i: any) => i.kind === "consent" && i.action === "grant" && i.source === "api")).toMatchObject({ applied: false, reason: "stopped:no_proof" });
  });

  it("neither does a Segment Subscribed without proof, nor an import, even when newer", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    advanceClock(MIN);
    await api("POST", "/v1/track", { userId: c.user, event: "Subscribed", properties: { purpose: "marketing", text: "Join" } });
    const row = { userId: c.user, consent: { purpose: "marketing", source: "form", at: iso(now()), text: "Join", proof: { url: "https://shop.example/join" } } };
    const imp = await api("POST", "/v1/contacts/import", undefined, { raw: JSON.stringify(row), headers: { "content-type": "application/x-ndjson" } });
    expect(imp.status).toBe(202);
    await vi.waitFor(async () => expect((await api("GET", `/v1/imports/${imp.body.importId}`)).body.status).toBe("done"), { timeout: 10_000, interval: 50 });
    const v = await view(c.ref);
    expect(v.consent.marketing).toBe("stopped");
    expect(v.consentHistory.filter((h: any) => h.action === "grant" && h.applied === false).map((h: any) => h.reason)).toEqual(["stopped:no_proof", "stopped:import"]);
    expect(await send(c.ref, "promo")).toEqual({ outcome: "skipped", reason: "stopped" });
  });

  it("a grant with the text agreed to and the page or IP does, for its purpose only", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    advanceClock(MIN);
    const r = await grant(c.ref);
    expect([r.status, r.body.state, r.body.applied]).toEqual([200, "granted", true]);
    expect((await send(c.ref, "promo")).outcome).toBe("sent");
    expect(await send(c.ref, "receipt")).toEqual({ outcome: "skipped", reason: "stopped" });
  });
});

describe("the ledger is read by when things happened, not when they arrived", () => {
  it("a late-arriving grant older than the STOP does not undo it", async () => {
    const c = await subscriber();
    await twilioReply(c.to, "STOP");
    const late = await grant(c.ref, { ...PROOF, at: iso(now() - HOUR) });
    expect([late.status, late.body.state, late.body.reason]).toEqual([409, "stopped", "superseded"]);
    expect(await send(c.ref, "promo")).toEqual({ outcome: "skipped", reason: "stopped" });
  });

  it("a late-arriving revocation older than a newer re-consent does not undo it", async () => {
    const c = await subscriber();
    const late = await api("POST", `/v1/contacts/${c.ref}/consent`, { purpose: "marketing", action: "revoke", source: "api", at: iso(now() - HOUR) });
    expect([late.status, late.body.state, late.body.reason]).toEqual([409, "granted", "superseded"]);
    expect((await send(c.ref, "promo")).outcome).toBe("sent");
  });

  it("a grant dated in the future counts as now: a later STOP wins", async () => {
    const c = await subscriber();
    expect((await grant(c.ref, { ...PROOF, at: iso(now() + 30 * 24 * HOUR) })).status).toBe(200);
    advanceClock(MIN);
    await twilioReply(c.to, "STOP");
    expect(await send(c.ref, "promo")).toEqual({ outcome: "skipped", reason: "stopped" });
  });
});

describe("a consent reply changes consent for its own number only", () => {
  it("STOP and START from a former number leave the current number's consent alone", async () => {
    const c = await subscriber();
    const former = c.to;
    const current = phone();
    await api("POST", "/v1/identify", { userId: c.user, traits: { phone: current } });
    expect((await grant(c.ref)).status).toBe(200);
    await twilioReply(former, "STOP");
    expect((await view(c.ref)).consent.marketing).toBe("granted");
    expect((await send(c.ref, "promo")).outcome).toBe("sent");
    // The other way round: the current number stops, and START from the former one does not undo it.
    await twilioReply(current, "STOP");
    await twilioReply(former, "START");
    expect(await send(c.ref, "promo")).toEqual({ outcome: "skipped", reason: "stopped" });
  });
});
