// Identity changes (merges, number changes, a number taken by another contact or coming back):
// what follows the person and what stays with the number. A number belongs to one live contact and
// its alias points there; its STOP, suppression and provider opt-outs stay with the number whoever
// claims it; a grant authorises only the contact it was given to, while it keeps the number;
// messages not yet at the gateway are decided again for the person's current number.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { now, setClock } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import { PUBLIC_BASE, api, deliverSend, importRows, inbox, optedIn, phone, settleSends, twilioReply, unique, withoutOptInConfirmation } from "./helpers";

const OFFER = "Weekend offer: 20% off. Reply STOP to opt out.";
const RECEIPT = "Order confirmed.";
const PINNED = Date.UTC(2026, 10, 24, 18, 0);
/** Tue 2026-11-24 20:30 in Miami: marketing to a Florida number waits for 08:00 (13:00 UTC). */
const MIAMI_EVENING = Date.parse("2026-11-25T01:30:00Z");
const MIAMI_MORNING = Date.parse("2026-11-25T13:00:00Z");

beforeAll(async () => {
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC_BASE });
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] });
  await api("PUT", "/v1/templates/offer", { body: OFFER, job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/receipt", { body: RECEIPT, job: "transactional", purpose: "transactional" });
});

beforeEach(() => setClock(PINNED));

/** A Miami number (+1 305, jurisdiction US-FL). */
const florida = () => `+1305${2_000_000 + Math.floor(Math.random() * 7_000_000)}`;
const view = async (ref: string) => (await api("GET", `/v1/contacts/${encodeURIComponent(ref)}`)).body;
const send = (ref: string, template: string) => api("POST", "/v1/messages", { contact: ref, template });
const sendTo = (to: string, template: string) => api("POST", "/v1/messages", { to, template });
const grant = (ref: string) => api("POST", `/v1/contacts/${encodeURIComponent(ref)}/consent`, { purpose: "marketing", action: "grant", source: "form", text: "Text me offers" });
/** Run a contact's due timers now (its alarm), then let the send queue settle. */
async function runTimers(ref: string): Promise<void> {
  const id = (await view(ref)).id;
  await runDurableObjectAlarm(env.CONTACT.getByName(id));
  await settleSends(id);
}

describe("a merge (anonymous into known)", () => {
  it("points the number's alias at the surviving contact, and the number's STOP still holds there", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    const anonId = (await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } })).body.contactId;
    await twilioReply(to, "STOP");
    const known = (await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} })).body.contactId;
    expect(known).not.toBe(anonId);
    expect((await view(`phone:${to}`)).id).toBe(known);
    expect((await send(`user:${user}`, "receipt")).body.decision).toEqual({ outcome: "skipped", reason: "stopped" });
    await settleSends(known);
    expect(await inbox(to)).toEqual([]);
  });

  it("sends a later STOP, suppression and consent change for the merged contact to the survivor", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    const anonId = (await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } })).body.contactId;
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    // Consent given through the merged contact's own id reaches the person.
    expect((await grant(anonId)).status).toBe(200);
    expect((await view(`user:${user}`)).consent).toMatchObject({ marketing: "granted" });
    expect((await send(`user:${user}`, "offer")).body.decision.outcome).toBe("sent");

    await api("POST", "/v1/suppressions", { phone: to });
    expect((await view(`user:${user}`)).suppressed).toBe(true);
    await api("DELETE", `/v1/suppressions/${encodeURIComponent(to)}`);
    expect((await view(`user:${user}`)).suppressed).toBe(false);

    await twilioReply(to, "STOP");
    expect((await view(`user:${user}`)).consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });
    expect((await view(anonId)).consent).toEqual({});
  });

  it("sends a provider opt-out (21610) for a message of the merged contact to the survivor that has the number", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    const anonId = (await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } })).body.contactId;
    await api("POST", "/v1/track", { anonymousId: anon, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Text me" } });
    const m = (await send(`anon:${anon}`, "offer")).body.messageId;
    await settleSends(anonId);
    // The attempt was in flight during the merge; Twilio's answer comes back to the merged contact.
    await runInDurableObject(env.CONTACT.getByName(anonId), (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'dispatching', updated_at = ? WHERE id = ?", now(), m);
    });
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    await env.CONTACT.getByName(anonId).recordDispatch(m, { ok: false, transient: false, gateway: "twilio", errorCode: "21610", errorMessage: "Attempt to send to unsubscribed recipient", effect: "stopped" });
    expect((await view(`user:${user}`)).consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });
    expect((await send(`user:${user}`, "offer")).body.decision).toEqual({ outcome: "skipped", reason: "stopped" });
  });

  it("carries the number's suppression to the survivor that takes the number", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } });
    await api("POST", "/v1/suppressions", { phone: to, reason: "complaint" });
    await api("POST", "/v1/identify", { userId: user, traits: { firstName: "Kai" } });
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    const k = await view(`user:${user}`);
    expect([k.phone, k.suppressed]).toEqual([to, true]);
    expect((await send(`user:${user}`, "receipt")).body.decision).toEqual({ outcome: "skipped", reason: "suppressed" });
  });

  it("lets no older grant of the merged contact undo the survivor's newer STOP", async () => {
    const anon = unique("a");
    const user = unique("u");
    const to = phone();
    // The anonymous visitor signed up with the number first; later the known contact took it and said STOP.
    await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } });
    await api("POST", "/v1/track", { anonymousId: anon, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Text me" } });
    setClock(PINNED + 60_000);
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to } });
    setClock(PINNED + 120_000);
    await twilioReply(to, "STOP");
    setClock(PINNED + 180_000);
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    const k = await view(`user:${user}`);
    expect(k.consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });
    // The ledger reads in the order things happened: the grant, then the STOP.
    expect(k.consentHistory.map((e: any) => `${e.purpose}:${e.state}`).slice(0, 1)).toEqual(["marketing:granted"]);
    expect((await send(`user:${user}`, "offer")).body.decision).toEqual({ outcome: "skipped", reason: "stopped" });
  });

  it("moves a deferred message to the survivor, decided again there and sent once; the merged contact never sends it", async () => {
    setClock(MIAMI_EVENING);
    const anon = unique("a");
    const user = unique("u");
    const to = florida();
    const anonId = (await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: to } })).body.contactId;
    await api("POST", "/v1/track", { anonymousId: anon, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Text me" } });
    const deferred = await send(`anon:${anon}`, "offer");
    expect(deferred.body.decision).toMatchObject({ outcome: "deferred", reason: "quiet_hours:US-FL" });
    const known = (await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} })).body.contactId;
    // A redelivered identify merges nothing twice.
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });

    const x = await view(anonId);
    expect(x.timers).toEqual([]);
    expect(x.recentDecisions[0]).toMatchObject({ messageId: deferred.body.messageId, outcome: "skipped", reason: "merged" });
    const k = await view(known);
    expect(k.timers.filter((t: any) => t.kind === "send")).toEqual([expect.objectContaining({ dueAt: new Date(MIAMI_MORNING).toISOString() })]);

    // The old send job reaching the merged contact sends nothing.
    await deliverSend({ contactId: anonId, messageId: deferred.body.messageId });
    setClock(MIAMI_MORNING);
    await runTimers(known);
    await runTimers(known);
    expect(await inbox(to)).toEqual([OFFER]);
  });

  it("leaves the merged contact's number unowned when the survivor keeps its own: nothing is sent to it under the merged contact's consent", async () => {
    const anon = unique("a");
    const user = unique("u");
    const theirs = phone();
    const mine = phone();
    const anonId = (await api("POST", "/v1/identify", { anonymousId: anon, traits: { phone: theirs } })).body.contactId;
    await api("POST", "/v1/track", { anonymousId: anon, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Text me" } });
    await optedIn(user, mine);
    await api("POST", "/v1/identify", { userId: user, anonymousId: anon, traits: {} });
    expect((await view(`user:${user}`)).phone).toBe(mine);
    const r = await sendTo(theirs, "offer");
    expect(r.body.contactId).not.toBe(anonId);
    expect(r.body.decision).toEqual({ outcome: "skipped", reason: "no_consent:marketing" });
    await settleSends(r.body.contactId);
    expect(await inbox(theirs)).toEqual([]);
  });
});

describe("a number change", () => {
  it("decides a deferred message again for the new number, whose consent is its own", async () => {
    setClock(MIAMI_EVENING);
    const user = unique("u");
    const before = florida();
    const after = florida();
    await optedIn(user, before);
    const m = await send(`user:${user}`, "offer");
    expect(m.body.decision.outcome).toBe("deferred");
    await api("POST", "/v1/identify", { userId: user, traits: { phone: after } });
    setClock(MIAMI_MORNING);
    await runTimers(`user:${user}`);
    expect((await view(`user:${user}`)).recentDecisions[0]).toMatchObject({ messageId: m.body.messageId, outcome: "skipped", reason: "no_consent:marketing" });
    expect([...(await inbox(before)), ...(await inbox(after))]).toEqual([]);
  });

  it("sends replies from the old number to whoever owns it now, never to the contact's new number", async () => {
    const user = unique("u");
    const before = phone();
    const after = phone();
    await optedIn(user, before);
    const id = (await api("POST", "/v1/identify", { userId: user, traits: { phone: after } })).body.contactId;
    await grant(`user:${user}`);
    expect((await view(`phone:${before}`)).id).not.toBe(id);
    await twilioReply(before, "STOP");
    expect((await view(`user:${user}`)).consent).toMatchObject({ marketing: "granted" });
    expect((await send(`user:${user}`, "offer")).body.decision.outcome).toBe("sent");
    expect((await view(`phone:${before}`)).consent).toMatchObject({ transactional: "stopped" });
    // A reply that was routed before the change and reaches the contact itself is passed on too.
    const late = await env.CONTACT.getByName(id).receive(id, { provider: "twilio", providerId: unique("SM"), from: before, to: "+14155550100", body: "STOP" });
    expect(late.kind).toBe("stop");
    expect((await view(`user:${user}`)).consent).toEqual({ marketing: "granted" });
  });

  it("keeps the old number's STOP for the next contact that claims it", async () => {
    const a = unique("u");
    const b = unique("u");
    const before = phone();
    await optedIn(a, before);
    await twilioReply(before, "STOP");
    await api("POST", "/v1/identify", { userId: a, traits: { phone: phone() } });
    await api("POST", "/v1/identify", { userId: b, traits: { phone: before } });
    expect((await send(`user:${b}`, "receipt")).body.decision).toEqual({ outcome: "skipped", reason: "stopped" });
  });
});

describe("a number taken by another contact", () => {
  it("takes the number's STOP along, and none of the previous owner's grants", async () => {
    const a = unique("u");
    const b = unique("u");
    const stopped = phone();
    const granted = phone();
    await optedIn(a, stopped);
    await twilioReply(stopped, "STOP");
    await api("POST", "/v1/identify", { userId: b, traits: { phone: stopped } });
    expect((await view(`user:${b}`)).consent).toMatchObject({ transactional: "stopped", marketing: "stopped" });
    expect((await send(`user:${b}`, "receipt")).body.decision.reason).toBe("stopped");

    const c = unique("u");
    const d = unique("u");
    await optedIn(c, granted);
    await api("POST", "/v1/identify", { userId: d, traits: { phone: granted } });
    expect((await send(`user:${d}`, "offer")).body.decision).toEqual({ outcome: "skipped", reason: "no_consent:marketing" });
    expect((await send(`user:${d}`, "receipt")).body.decision.outcome).toBe("sent");
  });

  it("skips the previous owner's deferred message: it never reaches the new owner's person", async () => {
    setClock(MIAMI_EVENING);
    const a = unique("u");
    const b = unique("u");
    const to = florida();
    await optedIn(a, to);
    const m = await send(`user:${a}`, "offer");
    expect(m.body.decision.outcome).toBe("deferred");
    await optedIn(b, to); // B's person opts in too: A's message still must not go
    setClock(MIAMI_MORNING);
    await runTimers(`user:${a}`);
    expect((await view(`user:${a}`)).recentDecisions[0]).toMatchObject({ messageId: m.body.messageId, outcome: "skipped", reason: "invalid_phone" });
    expect(await inbox(to)).toEqual([]);
  });

  it("sends a provider opt-out (21610) for a message to the number to its new owner", async () => {
    const a = unique("u");
    const b = unique("u");
    const to = phone();
    const aId = await optedIn(a, to);
    const m = (await send(`user:${a}`, "offer")).body.messageId;
    await settleSends(aId);
    // The attempt was in flight when B took the number; Twilio's answer comes back to A.
    await runInDurableObject(env.CONTACT.getByName(aId), (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE messages SET status = 'dispatching', updated_at = ? WHERE id = ?", now(), m);
    });
    await optedIn(b, to);
    await env.CONTACT.getByName(aId).recordDispatch(m, { ok: false, transient: false, gateway: "twilio", errorCode: "21610", errorMessage: "Attempt to send to unsubscribed recipient", effect: "stopped" });
    expect((await view(`user:${b}`)).consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });
    expect((await send(`user:${b}`, "receipt")).body.decision.reason).toBe("stopped");
  });
});

describe("a number coming back to a former owner", () => {
  it("brings back neither the former owner's grant nor anything the number lost since, and keeps the STOP said in between", async () => {
    const a = unique("u");
    const b = unique("u");
    const to = phone();
    await optedIn(a, to);
    await api("POST", "/v1/identify", { userId: b, traits: { phone: to } });
    await api("POST", "/v1/identify", { userId: a, traits: { phone: to } });
    expect((await view(`phone:${to}`)).id).toBe((await view(`user:${a}`)).id);
    expect((await view(`user:${b}`)).phone).toBeNull();
    // The grant was given before the number was someone else's: it must be given again.
    expect((await send(`user:${a}`, "offer")).body.decision).toEqual({ outcome: "skipped", reason: "no_consent:marketing" });

    const c = unique("u");
    const d = unique("u");
    const other = phone();
    await optedIn(c, other);
    await api("POST", "/v1/identify", { userId: d, traits: { phone: other } });
    await twilioReply(other, "STOP");
    await api("POST", "/v1/identify", { userId: c, traits: { phone: other } });
    expect((await send(`user:${c}`, "receipt")).body.decision).toEqual({ outcome: "skipped", reason: "stopped" });
  });
});

describe("racing and redelivered identifies", () => {
  it("leaves one live owner when several contacts claim a number at once", async () => {
    const to = phone();
    const users = Array.from({ length: 6 }, () => unique("u"));
    await Promise.all(users.map((u) => api("POST", "/v1/identify", { userId: u, traits: { phone: to } })));
    const owners = [];
    for (const u of users) if ((await view(`user:${u}`)).phone === to) owners.push((await view(`user:${u}`)).id);
    expect(owners).toHaveLength(1);
    expect((await view(`phone:${to}`)).id).toBe(owners[0]);
  });

  it("changes nothing when an old identify is delivered again after another contact took the number", async () => {
    const a = unique("u");
    const b = unique("u");
    const to = phone();
    const first = { userId: a, traits: { phone: to }, messageId: unique("id") };
    await api("POST", "/v1/identify", first);
    const bId = (await api("POST", "/v1/identify", { userId: b, traits: { phone: to } })).body.contactId;
    expect((await api("POST", "/v1/identify", first)).body.duplicate).toBe(true);
    expect((await view(`phone:${to}`)).id).toBe(bId);
    expect((await view(`user:${b}`)).phone).toBe(to);
    expect((await view(`user:${a}`)).phone).toBeNull();
  });

  it("changes nothing when an import is run again after another contact took the row's number, and an imported number takes its STOP along", async () => {
    const a = unique("u");
    const b = unique("u");
    const to = phone();
    const rows = [{ userId: a, phone: to, consent: { purpose: "marketing", source: "form", at: "2026-10-01T12:00:00Z", text: "Join our texts" } }];
    expect(await importRows(rows)).toMatchObject({ applied: 1 });
    await twilioReply(to, "STOP");
    const bId = (await api("POST", "/v1/identify", { userId: b, traits: { phone: to } })).body.contactId;
    expect(await importRows(rows)).toMatchObject({ applied: 0, unchanged: 1 });
    expect((await view(`phone:${to}`)).id).toBe(bId);
    expect((await view(`user:${b}`)).phone).toBe(to);
    expect((await view(`user:${a}`)).phone).toBeNull();

    const c = unique("u");
    expect(await importRows([{ userId: c, phone: to }])).toMatchObject({ applied: 1 });
    expect((await view(`user:${c}`)).consent).toMatchObject({ transactional: "stopped", marketing: "stopped" });
    expect((await view(`user:${b}`)).phone).toBeNull();
  }, 30_000);
});
