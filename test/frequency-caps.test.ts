// Frequency caps in the send gate: stackable brand caps with scopes and rolling windows, per-flow caps
// with `on_cap: "skip"`, transactional exemption, caps and quiet hours satisfied together, deferred
// messages going out when their timer fires, and bad caps refused naming the field.
//
// Expected instants are worked out by hand in the comments. Test numbers are San Francisco (+1 415:
// America/Los_Angeles, PST = UTC−8, federal window 08:00–21:00 = 16:00–05:00 UTC) unless said
// otherwise. Calendar: 2026-11-24 is a Tuesday, 2026-11-28 a Saturday.
//
// The simulated clock is an offset on real time, so a send made "at 18:00:00" is stamped a few real
// milliseconds later, and a cap that counts from it frees a few ms after the round instant: cap
// deferrals are compared to the minute (`minute()`), window openings (exact local times) to the ms.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceClock, setClock } from "../src/clock";
import { DAY, HOUR, MIN, advance, api, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/templates/offer", { body: "Offer {{properties.n}}. Reply STOP to opt out.", job: "retention", purpose: "marketing", properties: ["n"] });
  await api("PUT", "/v1/templates/flash", { body: "Flash sale {{properties.n}}. Reply STOP to opt out.", job: "retention", purpose: "marketing", tags: ["flash"], properties: ["n"] });
  await api("PUT", "/v1/templates/receipt", { body: "Receipt {{properties.n}}", job: "transactional", purpose: "transactional", properties: ["n"] });
  await api("PUT", "/v1/templates/cart", {
    body: "Still thinking it over? https://shop.example/cart Reply STOP to opt out.", job: "conversion", purpose: "marketing",
  });
});

/** Set the simulated clock to an ISO instant. */
const at = (iso: string) => setClock(Date.parse(iso));
/** An ISO instant to the minute: "2026-11-25T18:00Z". */
const minute = (iso: string | undefined) => (iso ? `${iso.slice(0, 16)}Z` : iso);
/** A decision with `until` to the minute. */
const toMinute = (d: { until?: string } & Record<string, unknown>) => ({ ...d, until: minute(d.until) });

const nanp = (area: string) => `+1${area}${2_000_000 + Math.floor(Math.random() * 7_000_000)}`;

async function person(to = phone()) {
  const user = unique("u");
  await optedIn(user, to);
  return { user, to, ref: `user:${user}` };
}

const send = (ref: string, template: string, n: number | string, extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/messages", { contact: ref, template, properties: { n: String(n) }, ...extra });
const track = (user: string, event: string) => api("POST", "/v1/track", { userId: user, event, messageId: unique("e") });
const view = async (ref: string) => (await api("GET", `/v1/contacts/${ref}`)).body;
/** The newest deferral among a contact's recent decisions (several can share one instant when a timer batch runs). */
const lastDeferral = async (ref: string) => (await view(ref)).recentDecisions.find((d: any) => d.outcome === "deferred");
const setCaps = async (rules: unknown[]) => {
  const r = await api("PUT", "/v1/settings/caps", { rules });
  expect(r.status).toBe(200);
  return r;
};

/** What the sandbox delivered to a number, with the minute it arrived (simulated clock). */
async function delivered(to: string): Promise<Array<{ body: string; at: string }>> {
  const { results } = await env.DB.prepare('SELECT body, at FROM sandbox_messages WHERE "to" = ? ORDER BY at').bind(to).all<{ body: string; at: number }>();
  return results.map((r) => ({ body: r.body, at: minute(new Date(r.at).toISOString())! }));
}

const DAILY = { name: "daily", scope: { purpose: "marketing" }, window: "P1D", max: 1 };
const WEEKLY = { name: "weekly", scope: { purpose: "marketing" }, window: "P7D", max: 2 };

describe("stackable caps", () => {
  it("defers by the daily cap, then the weekly, and sends each deferred message when its timer fires", async () => {
    await setCaps([DAILY, WEEKLY]);
    at("2026-11-24T18:00:00Z"); // Tue 10:00 PST
    const p = await person();
    expect((await send(p.ref, "offer", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);

    advanceClock(HOUR); // Tue 19:00 UTC
    const second = await send(p.ref, "offer", 2);
    expect(second.body.status).toBe("deferred");
    // 24 h after the first: Wed 2026-11-25 18:00 UTC (10:00 PST, inside the window).
    expect(toMinute(second.body.decision)).toEqual({ outcome: "deferred", reason: "cap:daily", until: "2026-11-25T18:00Z" });
    const v = await view(p.ref);
    expect(v.recentDecisions[0]).toMatchObject({ messageId: second.body.messageId, outcome: "deferred", reason: "cap:daily" });
    expect(v.timers.map((t: any) => [t.kind, t.ref, minute(t.dueAt)])).toEqual([["send", second.body.messageId, "2026-11-25T18:00Z"]]);

    await advance(p.ref, 22 * HOUR + 59 * MIN); // Wed 17:59 UTC: not yet
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([{ body: "Offer 1. Reply STOP to opt out.", at: "2026-11-24T18:00Z" }]);
    await advance(p.ref, MIN); // Wed 18:00 UTC: the timer fires, the gate clears it
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([
      { body: "Offer 1. Reply STOP to opt out.", at: "2026-11-24T18:00Z" },
      { body: "Offer 2. Reply STOP to opt out.", at: "2026-11-25T18:00Z" },
    ]);
    expect((await view(p.ref)).recentDecisions[0]).toMatchObject({ messageId: second.body.messageId, outcome: "sent", reason: "ok" });

    // Wed 19:00 UTC: the daily cap frees Thu 18:00 UTC (24 h after #2), but by then two sends
    // (Tue 18:00, Wed 18:00) sit in the weekly window: it frees 7 days after #1, Tue 2026-12-01 18:00 UTC.
    advanceClock(HOUR);
    // (Messages 3 and 4 live 14 days: the default 3-day expiry of a retention message would end them first.)
    const third = await send(p.ref, "offer", 3, { expires_in: "P14D" });
    expect(toMinute(third.body.decision)).toEqual({ outcome: "deferred", reason: "cap:daily", until: "2026-12-01T18:00Z", detail: "then cap:weekly" });

    // Thu 2026-11-26 19:00 UTC: the daily cap is free (#2 was 25 h ago); the weekly is not.
    advanceClock(DAY);
    const fourth = await send(p.ref, "offer", 4, { expires_in: "P14D" });
    expect(toMinute(fourth.body.decision)).toEqual({ outcome: "deferred", reason: "cap:weekly", until: "2026-12-01T18:00Z" });

    // Tue 2026-12-01 18:00 UTC: both timers are due; one goes, the other meets the daily cap again
    // (the one just sent) and waits until Wed 2026-12-02 18:00 UTC; the weekly cap then holds only one.
    await advance(p.ref, 4 * DAY + 23 * HOUR);
    await settleSends(p.ref);
    expect((await delivered(p.to)).map((d) => d.at)).toEqual(["2026-11-24T18:00Z", "2026-11-25T18:00Z", "2026-12-01T18:00Z"]);
    const again = await lastDeferral(p.ref);
    expect([again.outcome, again.reason, minute(again.until)]).toEqual(["deferred", "cap:daily", "2026-12-02T18:00Z"]);
    expect([third.body.messageId, fourth.body.messageId]).toContain(again.messageId);
    await advance(p.ref, DAY);
    await settleSends(p.ref);
    const all = await delivered(p.to);
    expect(all.map((d) => d.at)).toEqual(["2026-11-24T18:00Z", "2026-11-25T18:00Z", "2026-12-01T18:00Z", "2026-12-02T18:00Z"]);
    expect(all.map((d) => d.body.slice(0, 7)).sort()).toEqual(["Offer 1", "Offer 2", "Offer 3", "Offer 4"]);
    expect((await view(p.ref)).timers).toEqual([]);
  });

  it("re-checks caps when messages held by quiet hours are released together", async () => {
    await setCaps([DAILY]);
    at("2026-11-25T06:00:00Z"); // Tue 22:00 PST: closed until Wed 08:00 PST = 16:00 UTC
    const p = await person();
    const a = await send(p.ref, "offer", 1);
    const b = await send(p.ref, "offer", 2);
    expect(a.body.decision).toEqual({ outcome: "deferred", reason: "quiet_hours:US", until: "2026-11-25T16:00:00.000Z" });
    expect(b.body.decision).toEqual({ outcome: "deferred", reason: "quiet_hours:US", until: "2026-11-25T16:00:00.000Z" });
    await advance(p.ref, 10 * HOUR); // Wed 16:00 UTC: one goes; the other now meets the daily cap → Thu 16:00 UTC
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(1);
    const d = await lastDeferral(p.ref);
    expect([d.reason, minute(d.until)]).toEqual(["cap:daily", "2026-11-26T16:00Z"]);
    expect([a.body.messageId, b.body.messageId]).toContain(d.messageId);
    await advance(p.ref, DAY);
    await settleSends(p.ref);
    expect((await delivered(p.to)).map((x) => x.at)).toEqual(["2026-11-25T16:00Z", "2026-11-26T16:00Z"]);
  });
});

describe("many caps at once: only the caps whose scope matches apply", () => {
  // Twelve rules; every rule but the last two would block a second message at once if it applied.
  const RULES = [
    { name: "stage_customer", scope: { stage: "customer" }, window: "P1D", max: 1 },
    { name: "stage_dormant", scope: { stage: "dormant" }, window: "P7D", max: 1 },
    { name: "job_reactivation", scope: { job: "reactivation" }, window: "P1D", max: 1 },
    { name: "job_acquisition", scope: { job: "acquisition" }, window: "P1D", max: 1 },
    { name: "flow_winback", scope: { flow: "winback" }, window: "P1D", max: 1 },
    { name: "flow_cart", scope: { flow: "cart" }, window: "P1D", max: 1 },
    { name: "tag_flash", scope: { tag: "flash" }, window: "P1D", max: 1 },
    { name: "tag_vip", scope: { tag: "vip" }, window: "P1D", max: 1 },
    { name: "topic_reminders", scope: { purpose: "appointment_reminders" }, window: "P1D", max: 1 },
    { name: "retention_flash", scope: { purpose: "marketing", job: "retention", tag: "flash" }, window: "P7D", max: 2 },
    { name: "marketing_hourly", scope: { purpose: "marketing" }, window: "PT1H", max: 3 },
    { name: "everything_minute", scope: {}, window: "PT1M", max: 1000, includeTransactional: true },
  ];

  beforeAll(async () => {
    await api("PUT", "/v1/flows/winback", {
      name: "Win back", status: "active", job: "retention", trigger: { event: "Winback Due" }, reentry: "always",
      steps: [{ send: { template: "offer" } }],
    });
  });

  it("accepts twelve rules", async () => {
    const r = await setCaps(RULES);
    expect(r.body.value.rules).toHaveLength(12);
    const read = (await api("GET", "/v1/settings/caps")).body.value.rules;
    expect(read.map((x: any) => x.name)).toEqual(RULES.map((x) => x.name));
    expect(read[0].includeTransactional).toBe(false); // the default
  });

  it("a subscriber's retention offers meet only the marketing-wide hourly cap (the third goes, the fourth waits)", async () => {
    await setCaps(RULES);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    for (let n = 1; n <= 3; n++) {
      expect((await send(p.ref, "offer", n)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
      advanceClock(MIN);
    }
    await settleSends(p.ref);
    // 18:03 UTC: three in the last hour → free when the first leaves it, 18:00 + 1 h = 19:00 UTC.
    expect(toMinute((await send(p.ref, "offer", 4)).body.decision)).toEqual({ outcome: "deferred", reason: "cap:marketing_hourly", until: "2026-11-24T19:00Z" });
  });

  it("a tagged template meets its tag's cap", async () => {
    await setCaps(RULES);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    expect((await send(p.ref, "flash", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(10 * MIN);
    // tag_flash (one a day) comes before retention_flash (two a week) and marketing_hourly (three an hour).
    expect(toMinute((await send(p.ref, "flash", 2)).body.decision)).toEqual({ outcome: "deferred", reason: "cap:tag_flash", until: "2026-11-25T18:00Z" });
    // An untagged offer is not limited by the tag: it goes.
    expect((await send(p.ref, "offer", 3)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
  });

  it("a customer meets the stage cap", async () => {
    await setCaps(RULES);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    expect((await api("PUT", `/v1/contacts/${p.ref}/stage`, { stage: "customer" })).status).toBe(200);
    expect((await send(p.ref, "offer", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(5 * MIN);
    expect(toMinute((await send(p.ref, "offer", 2)).body.decision)).toEqual({ outcome: "deferred", reason: "cap:stage_customer", until: "2026-11-25T18:00Z" });
  });

  it("a message sent with job reactivation meets the job cap; a retention one does not", async () => {
    await setCaps(RULES);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    expect((await send(p.ref, "offer", 1, { job: "reactivation" })).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(5 * MIN);
    expect(toMinute((await send(p.ref, "offer", 2, { job: "reactivation" })).body.decision)).toEqual({
      outcome: "deferred", reason: "cap:job_reactivation", until: "2026-11-25T18:00Z",
    });
    expect((await send(p.ref, "offer", 3)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
  });

  it("a flow's messages meet the cap scoped to that flow", async () => {
    await setCaps(RULES);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    await track(p.user, "Winback Due");
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(1);
    advanceClock(5 * MIN);
    await track(p.user, "Winback Due"); // the first run completed: a second run, a second send
    const d = (await view(p.ref)).recentDecisions[0];
    expect([d.flow, d.outcome, d.reason, minute(d.until)]).toEqual(["winback", "deferred", "cap:flow_winback", "2026-11-25T18:00Z"]);
    // The same template sent outside the flow is not held by the flow's cap.
    expect((await send(p.ref, "offer", 9)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
  });
});

describe("transactional messages", () => {
  it("are exempt from caps by default and do not count toward them", async () => {
    await setCaps([{ name: "everything", scope: {}, window: "P1D", max: 1 }]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    for (let n = 1; n <= 3; n++) expect((await send(p.ref, "receipt", n)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    expect((await send(p.ref, "offer", 4)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(MIN);
    expect(toMinute((await send(p.ref, "offer", 5)).body.decision)).toEqual({ outcome: "deferred", reason: "cap:everything", until: "2026-11-25T18:00Z" });
    expect((await send(p.ref, "receipt", 6)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    expect((await delivered(p.to)).map((d) => d.body)).toEqual([
      "Receipt 1", "Receipt 2", "Receipt 3", "Offer 4. Reply STOP to opt out.", "Receipt 6",
    ]);
  });

  it("count, and are held, under a cap with includeTransactional", async () => {
    await setCaps([{ name: "all_hourly", scope: {}, window: "PT1H", max: 1, includeTransactional: true }]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    expect((await send(p.ref, "receipt", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(10 * MIN);
    // 18:10 UTC: the receipt at 18:00 fills the hour → 19:00 UTC (inside the receipt's 4-hour expiry).
    const receipt = await send(p.ref, "receipt", 2);
    expect(toMinute(receipt.body.decision)).toEqual({ outcome: "deferred", reason: "cap:all_hourly", until: "2026-11-24T19:00Z" });
    // The receipt counts toward marketing too.
    const offer = await send(p.ref, "offer", 3);
    expect(toMinute(offer.body.decision)).toEqual({ outcome: "deferred", reason: "cap:all_hourly", until: "2026-11-24T19:00Z" });
    // 19:00 UTC: one of the two goes; the other waits another hour (20:00 UTC).
    await advance(p.ref, 50 * MIN);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(2);
    const d = await lastDeferral(p.ref);
    expect([d.reason, minute(d.until)]).toEqual(["cap:all_hourly", "2026-11-24T20:00Z"]);
    expect([receipt.body.messageId, offer.body.messageId]).toContain(d.messageId);
    await advance(p.ref, HOUR);
    await settleSends(p.ref);
    expect((await delivered(p.to)).map((x) => x.at)).toEqual(["2026-11-24T18:00Z", "2026-11-24T19:00Z", "2026-11-24T20:00Z"]);
  });

  it("one held past its expiry by a cap is skipped as expired", async () => {
    await setCaps([{ name: "all_daily", scope: {}, window: "P1D", max: 1, includeTransactional: true }]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    expect((await send(p.ref, "receipt", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    // The cap frees Wed 18:00 UTC; a receipt expires after 4 h (Tue 22:00 UTC).
    const r = await send(p.ref, "receipt", 2);
    expect(r.body.decision).toMatchObject({ outcome: "skipped", reason: "expired" });
    expect(r.body.decision.detail).toMatch(/^cap:all_daily until 2026-11-25T18:00/);
  });
});

describe("per-flow caps", () => {
  beforeAll(async () => {
    const flow = (name: string, event: string, extra: Record<string, unknown>, send: Record<string, unknown> = {}) => ({
      name, status: "active", job: "conversion", trigger: { event }, reentry: "always",
      cap: { max: 1, window: "P7D" }, steps: [{ send: { template: "cart", ...send } }], ...extra,
    });
    // The message is given eight days to live, so a seven-day cap can defer it.
    expect((await api("PUT", "/v1/flows/cart-weekly", flow("One reminder a week", "Cart Weekly", {}, { expires_in: "P8D" }))).status).toBe(200);
    expect((await api("PUT", "/v1/flows/cart-skip", flow("One reminder a week, or none", "Cart Skip", { on_cap: "skip" }))).status).toBe(200);
    expect((await api("PUT", "/v1/flows/cart-default", flow("One reminder a week, default expiry", "Cart Default", {}))).status).toBe(200);
  });

  it("defers the second cart reminder within 7 days until the first leaves the window, then sends it", async () => {
    await setCaps([]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    await track(p.user, "Cart Weekly");
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(1);
    advanceClock(HOUR);
    await track(p.user, "Cart Weekly");
    const v = await view(p.ref);
    const d = v.recentDecisions[0];
    // 7 days after the first: Tue 2026-12-01 18:00 UTC (10:00 PST).
    expect([d.flow, d.outcome, d.reason, minute(d.until)]).toEqual(["cart-weekly", "deferred", "cap:flow:cart-weekly", "2026-12-01T18:00Z"]);
    // A one-off send of the same template is not part of the flow: the flow's cap does not hold it.
    expect((await send(p.ref, "cart", 0)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(2);
    await advance(p.ref, 6 * DAY + 23 * HOUR);
    await settleSends(p.ref);
    expect((await delivered(p.to)).map((x) => x.at)).toEqual(["2026-11-24T18:00Z", "2026-11-24T19:00Z", "2026-12-01T18:00Z"]);
  });

  it("skips instead of deferring with on_cap: skip", async () => {
    await setCaps([]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    await track(p.user, "Cart Skip");
    await settleSends(p.ref);
    advanceClock(HOUR);
    await track(p.user, "Cart Skip");
    const v = await view(p.ref);
    expect(v.recentDecisions[0]).toMatchObject({ flow: "cart-skip", outcome: "skipped", reason: "cap:flow:cart-skip" });
    expect(v.recentDecisions[0].until).toBeUndefined();
    expect(v.timers).toEqual([]);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(1);
    // Once the first is 7 days old, a new run sends again.
    advanceClock(7 * DAY);
    await track(p.user, "Cart Skip");
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(2);
  });

  it("with the default one-day expiry of a conversion message, a 7-day cap means the reminder expires", async () => {
    await setCaps([]);
    at("2026-11-24T18:00:00Z");
    const p = await person();
    await track(p.user, "Cart Default");
    await settleSends(p.ref);
    advanceClock(HOUR);
    await track(p.user, "Cart Default");
    const d = (await view(p.ref)).recentDecisions[0];
    expect(d).toMatchObject({ flow: "cart-default", outcome: "skipped", reason: "expired" });
    expect(d.detail).toMatch(/^cap:flow:cart-default until 2026-12-01T18:00/);
  });
});

describe("caps and quiet hours together", () => {
  it("a cap that frees at 21:30 on a Saturday in Texas means Sunday 12:00", async () => {
    await setCaps([{ name: "two_hours", scope: { purpose: "marketing" }, window: "PT2H", max: 1 }]);
    at("2026-11-29T01:30:00Z"); // Sat 2026-11-28 19:30 CST (UTC−6), inside Saturday's 09:00–21:00
    const p = await person(nanp("512"));
    expect((await send(p.ref, "offer", 1)).body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(p.ref);
    advanceClock(30 * MIN); // Sat 20:00 CST
    const r = await send(p.ref, "offer", 2);
    // The cap frees at 21:30 CST, after Saturday's window closed; Sunday opens at 12:00 CST = 18:00 UTC.
    expect(r.body.decision).toEqual({ outcome: "deferred", reason: "cap:two_hours", until: "2026-11-29T18:00:00.000Z", detail: "then quiet_hours:US-TX" });
    await advance(p.ref, 15 * HOUR + 59 * MIN); // 02:00 + 15:59 = 17:59 UTC
    await settleSends(p.ref);
    expect(await delivered(p.to)).toHaveLength(1);
    await advance(p.ref, MIN);
    await settleSends(p.ref);
    expect(await delivered(p.to)).toEqual([
      { body: "Offer 1. Reply STOP to opt out.", at: "2026-11-29T01:30Z" },
      { body: "Offer 2. Reply STOP to opt out.", at: "2026-11-29T18:00Z" },
    ]);
  });
});

describe("bad caps", () => {
  it("refuses a window under a minute, a max of 0 and duplicate names, naming the field, and stores nothing", async () => {
    await setCaps([DAILY]);
    const before = (await api("GET", "/v1/settings/caps")).body;
    const cases: Array<[unknown, string]> = [
      [[{ ...DAILY, window: "PT10S" }], "rules.0.window"],
      [[DAILY, { ...WEEKLY, window: "P31D" }], "rules.1.window"],
      [[{ ...DAILY, window: "P1M" }], "rules.0.window"], // months have no fixed length
      [[{ ...DAILY, max: 0 }], "rules.0.max"],
      [[{ ...DAILY, max: 1.5 }], "rules.0.max"],
      [[DAILY, { ...WEEKLY, name: "daily" }], "rules"],
      [[{ ...DAILY, name: "Daily Cap" }], "rules.0.name"],
      [[{ ...DAILY, scope: { country: "US" } }], "rules.0.scope.country"], // an unknown key is named itself
    ];
    for (const [rules, field] of cases) {
      const r = await api("PUT", "/v1/settings/caps", { rules });
      expect([r.status, r.type], JSON.stringify(rules)).toEqual([400, "application/problem+json"]);
      expect(r.body.errors.map((e: any) => e.field), JSON.stringify(rules)).toContain(field);
    }
    const after = (await api("GET", "/v1/settings/caps")).body;
    expect(after.version).toBe(before.version);
    expect(after.value.rules).toEqual([{ ...DAILY, includeTransactional: false }]);
  });

  it("refuses a flow cap of 0", async () => {
    const r = await api("PUT", "/v1/flows/bad-cap", {
      name: "Bad cap", status: "draft", job: "conversion", trigger: { event: "X" }, cap: { max: 0, window: "P7D" }, steps: [{ send: { template: "cart" } }],
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field)).toContain("cap.max");
  });
});
