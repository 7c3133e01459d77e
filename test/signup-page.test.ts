// A hosted sign-up page per program: a small form, proof captured (page, time, IP, user agent), the
// same double opt-in as text-to-join, errors at the field (never a 500), a double submit asks once,
// a modest limit per IP; opt-ins are counted by source for the acquisition report.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { SIGNUPS_PER_WINDOW } from "../src/growth/signup";
import { api, flushRecords, inbox, phone, settleSends } from "./helpers";
import { PUBLIC_BASE as PUBLIC, twilioReply as reply } from "./helpers";

const TEXT = "Yes, text me Acme's VIP offers, up to 4 msgs/month. Msg & data rates may apply. Reply STOP to opt out.";
const REQUEST = "Acme: reply YES to confirm you want offers and updates (up to 4 msgs/month). Msg & data rates may apply. Reply STOP to opt out, HELP for help.";
const view = async (to: string) => (await api("GET", `/v1/contacts/phone:${encodeURIComponent(to)}`)).body;

/** Post the form as a browser would. */
const submit = (fields: Record<string, string>, ip = "203.0.113.7", program = "vip") =>
  exports.default.fetch(`https://tidings.example/join/${program}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip, "user-agent": "Mozilla/5.0 (iPhone)" },
    body: new URLSearchParams(fields),
  });

beforeAll(async () => {
  await api("PUT", "/v1/settings/brand", { name: "Acme", support: "help@acme.example" });
  await api("PUT", "/v1/settings/gateway", { publicBaseUrl: PUBLIC });
  await api("PUT", "/v1/settings/consent", { confirmOptIn: [] });
  expect((await api("PUT", "/v1/settings/signup", { programs: [{ key: "vip", title: "Join Acme VIP", text: TEXT }] })).status).toBe(200);
});

describe("sign-up page", () => {
  it("draws the form with the consent text; an unknown program is a 404 page", async () => {
    const page = await exports.default.fetch("https://tidings.example/join/vip");
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('name="phone"');
    expect(html).toContain("Yes, text me Acme");
    expect(html).toContain("VIP offers, up to 4 msgs/month. Msg &amp; data rates may apply. Reply STOP to opt out.");
    expect((await exports.default.fetch("https://tidings.example/join/nope")).status).toBe(404);
  });

  it("re-renders bad input with the error at the field, never a 500", async () => {
    const bad = await submit({ phone: "12", agree: "yes" });
    const html = await bad.text();
    expect(bad.status).toBe(400);
    expect(html).toMatch(/id="phone"[^>]*aria-invalid="true"/);
    expect(html).toContain("This is not a mobile number we can text");
    const unticked = await submit({ phone: "+1 415 555 0123" });
    expect([unticked.status, await unticked.text()]).toEqual([400, expect.stringContaining("Tick the box")]);
    const junk = await exports.default.fetch("https://tidings.example/join/vip", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(junk.status).toBe(400);
  });

  it("records proof, asks once on a double submit, and YES grants page:vip with Subscribed", async () => {
    const to = phone();
    const local = to.slice(2); // typed without +1: read in the program's country
    for (let i = 0; i < 2; i++) expect((await submit({ phone: local, agree: "yes" })).status).toBe(200);
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual([REQUEST]);
    const v = await view(to);
    expect(v.consent.marketing).toBe("pending");
    const grants = v.consentHistory.filter((e: any) => e.source === "page:vip");
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ action: "grant", state: "pending", text: TEXT, proof: { url: "https://tidings.example/join/vip", ip: "203.0.113.7", userAgent: "Mozilla/5.0 (iPhone)" } });

    await reply(to, "YES");
    const after = await view(to);
    expect(after.consent.marketing).toBe("granted");
    expect(after.consentHistory.at(-1)).toMatchObject({ action: "confirm", source: "page:vip" });
    expect(after.recentEvents.some((e: any) => e.event === "Subscribed" && e.properties.source === "page:vip")).toBe(true);

    await flushRecords();
    const acquisition = (await api("GET", "/v1/reports/jobs")).body.jobs.find((j: any) => j.job === "acquisition");
    expect(acquisition.optInsBySource["page:vip"]).toBeGreaterThanOrEqual(1);
    expect(acquisition.optInsBySourceKind.page).toBeGreaterThanOrEqual(1);

    // Source quality: a STOP is an opt-out of the source that brought the person in.
    await reply(to, "STOP");
    await flushRecords();
    const quality = (await api("GET", "/v1/reports/jobs")).body.jobs.find((j: any) => j.job === "acquisition").sourceQuality;
    expect(quality.find((q: any) => q.source === "page:vip")).toMatchObject({ kind: "page", optedIn: 1, optedOut: 1, optOutRate: 1 });
  });

  it("limits sign-ups per IP", async () => {
    const to = phone();
    const statuses: number[] = [];
    for (let i = 0; i <= SIGNUPS_PER_WINDOW; i++) statuses.push((await submit({ phone: to, agree: "yes" }, "198.51.100.9")).status);
    expect(statuses.slice(0, SIGNUPS_PER_WINDOW).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
