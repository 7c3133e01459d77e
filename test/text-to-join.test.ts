// Text-to-join: a join keyword from any number asks for consent at once (night or day), YES grants
// it with the keyword as provenance and starts acquisition flows through `Subscribed`, and after a
// STOP only the purpose the keyword asks for comes back.
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, now, setClock } from "../src/clock";
import { type ConsentEntry, readConsent } from "../src/consent/ledger";
import { matchJoin } from "../src/conversation/keywords";
import { HOUR, api, inbox, optedIn, phone, settleSends, unique } from "./helpers";
import { PUBLIC_BASE as PUBLIC, twilioReply as reply } from "./helpers";

const REQUEST = "Acme: reply YES to confirm you want weekly deals (up to 4 msgs/month). Msg & data rates may apply. Reply STOP to opt out, HELP for help.";
const view = async (to: string) => (await api("GET", `/v1/contacts/phone:${encodeURIComponent(to)}`)).body;

let pinned = 0;
beforeAll(async () => {
  pinned = now();
  await api("PUT", "/v1/settings/brand", { name: "Acme", support: "help@acme.example" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC });
  await api("PUT", "/v1/settings/consent", { topics: ["deals"], program: { description: "weekly deals", frequency: "up to 4 msgs/month" }, confirmOptIn: [] });
  await api("PUT", "/v1/settings/caps", { rules: [] });
  const keywords = await api("PUT", "/v1/settings/keywords", {
    join: [{ word: "JOIN" }, { word: "DEALS", purpose: "deals", on: ["+14155550100"] }],
  });
  expect(keywords.status).toBe(200);
  await api("PUT", "/v1/templates/welcome", { body: "Welcome to Acme! Here is 10% off: CODE10", job: "acquisition", purpose: "marketing" });
  const flow = await api("PUT", "/v1/flows/welcome", {
    name: "Welcome", status: "active", job: "acquisition", trigger: { event: "Subscribed", where: { "properties.source": "keyword:JOIN" } },
    steps: [{ send: { template: "welcome" } }],
  });
  expect(flow.status).toBe(200);
  // 23:00 in San Francisco (where test numbers live): quiet hours for marketing.
  advanceClock(13 * HOUR);
});
afterAll(() => setClock(pinned));

describe("join keywords", () => {
  it("match the whole message for the number they were texted to", () => {
    const join = [{ word: "JOIN", purpose: "marketing", on: [] }, { word: "DEALS", purpose: "deals", on: ["us-deals"] }];
    const senders = [{ id: "us-deals", from: "+14155550100" }];
    expect(matchJoin(" join! ", "+14155550199", join, senders)?.word).toBe("JOIN");
    expect(matchJoin("Deals", "+14155550100", join, senders)?.purpose).toBe("deals");
    expect(matchJoin("Deals", "14155550100", join, senders)?.purpose).toBe("deals"); // SMSAPI spells numbers without +
    expect(matchJoin("DEALS", "+14155550199", join, senders)).toBeUndefined();
    expect(matchJoin("join us", "+14155550199", join, senders)).toBeUndefined();
  });

  it("after a STOP, only a join keyword's own pending grant moves the purpose, and only its confirmation grants it", () => {
    const N = "+14155550001";
    const e = (seq: number, x: Partial<ConsentEntry>): ConsentEntry =>
      ({ id: `e${seq}`, seq, purpose: "marketing", action: "grant", state: "granted", source: "api", phone: N, stop: false, at: seq * 1000, ...x }) as ConsentEntry;
    const stop = e(1, { action: "revoke", state: "revoked", source: "keyword", stop: true });
    const read = (entries: ConsentEntry[], purpose = "marketing") => readConsent(entries, purpose, N, ["transactional"]).state;
    // A grant that only claims a keyword source (API, event) is kept without effect.
    expect(read([stop, e(2, { state: "pending", source: "keyword:JOIN" })])).toBe("stopped");
    const asked = e(2, { id: "join:sms:twilio:SM1:marketing", state: "pending", source: "keyword:JOIN" });
    expect(read([stop, asked])).toBe("pending");
    expect(read([stop, asked, e(3, { action: "confirm", source: "keyword:JOIN" })])).toBe("granted");
    expect(read([stop, asked, e(3, { action: "confirm", source: "keyword:JOIN" })], "transactional")).toBe("stopped");
  });

  it("may not take a STOP, START, HELP or YES word (the error names the field)", async () => {
    const r = await api("PUT", "/v1/settings/keywords", { join: [{ word: "JOIN" }, { word: "stop" }] });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field)).toContain("join.1.word");
  });
});

describe("text-to-join", () => {
  it("asks an unknown number at once at night, and YES grants keyword:JOIN and starts the acquisition flow", async () => {
    const to = phone();
    const asked = await reply(to, "Join");
    expect(asked.message).toBe(REQUEST); // brand, what and how often, "reply YES"
    const v = await view(to);
    expect(v.phone).toBe(to); // the unknown number became a contact
    expect(v.consent.marketing).toBe("pending");
    expect(v.consentHistory.at(-1)).toMatchObject({ purpose: "marketing", action: "grant", state: "pending", source: "keyword:JOIN" });

    const yes = await reply(to, "YES");
    expect(yes.status).toBe(200);
    const after = await view(to);
    expect(after.consent.marketing).toBe("granted");
    expect(after.consentHistory.at(-1)).toMatchObject({ purpose: "marketing", action: "confirm", source: "keyword:JOIN" });
    expect(after.recentEvents.some((e: any) => e.event === "Subscribed" && e.properties.source === "keyword:JOIN")).toBe(true);
    expect(after.runs.map((r: any) => r.flow)).toEqual(["welcome"]);
    // The welcome text is marketing: it waits for the morning; the request did not.
    expect(after.recentDecisions[0]).toMatchObject({ flow: "welcome", outcome: "deferred" });
  });

  it("answers a redelivered webhook (same MessageSid) once and records once", async () => {
    const to = phone();
    const first = await reply(to, "JOIN");
    expect(first.message).toBe(REQUEST);
    const again = await reply(to, "JOIN", { sid: first.sid });
    expect(again.message).toBeUndefined();
    const grants = (await view(to)).consentHistory.filter((e: any) => e.source === "keyword:JOIN");
    expect(grants).toHaveLength(1);
  });

  it("after STOP, a join keyword then YES restores only the purpose it asks for", async () => {
    const to = phone();
    await optedIn(unique("u"), to);
    await reply(to, "STOP");
    expect((await view(to)).consent).toMatchObject({ marketing: "stopped", transactional: "stopped" });

    // DEALS on the number it belongs to: the deals topic is asked for; nothing else moves.
    expect((await reply(to, "deals")).message).toBe(REQUEST);
    expect((await view(to)).consent).toMatchObject({ deals: "pending", marketing: "stopped", transactional: "stopped" });
    await reply(to, "Yes");
    const v = await view(to);
    expect(v.consent).toMatchObject({ deals: "granted", marketing: "stopped", transactional: "stopped" });
    expect(v.consentHistory.at(-1)).toMatchObject({ purpose: "deals", action: "confirm", source: "keyword:DEALS" });
  });

  it("a brand word texted to another number is an ordinary reply", async () => {
    const to = phone();
    const r = await reply(to, "DEALS", { params: { To: "+14155550199" } });
    expect(r.message).toBeUndefined();
    expect((await view(to)).consent.deals).toBeUndefined();
  });

  it("through SMSAPI the request is a message sent at once, at night too", async () => {
    const to = phone();
    const res = await exports.default.fetch("http://internal.test/webhooks/smsapi/inbound?secret=test_smsapi_callback_secret", {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ sms_from: to.slice(1), sms_to: "48500100200", sms_text: "JOIN", sms_date: "1764000000", MsgId: `smsapi-${unique("m")}` }),
    });
    expect(res.status).toBe(200);
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual([REQUEST]);
    expect((await view(to)).consent.marketing).toBe("pending");
  });

  it("has a tap-to-text link: an sms: URI with the keyword as the body", async () => {
    expect((await api("GET", "/v1/keywords/deals/link")).body).toMatchObject({ word: "DEALS", to: "+14155550100", uri: "sms:+14155550100?&body=DEALS" });
    expect((await api("GET", "/v1/keywords/join/link?to=%2B14155550123")).body.uri).toBe("sms:+14155550123?&body=JOIN");
    const noNumber = await api("GET", "/v1/keywords/join/link");
    expect([noNumber.status, noNumber.body.errors[0].field]).toEqual([400, "query.to"]);
    expect((await api("GET", "/v1/keywords/deals/link?to=%2B14155550123")).status).toBe(400); // DEALS answers only on its number
    expect((await api("GET", "/v1/keywords/nope/link")).status).toBe(404);
  });
});
