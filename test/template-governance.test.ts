// The template library: versions, statuses (only active templates start sends), the flows a retired
// template leaves behind, locale variants chosen by the contact's `locale` trait, smart encoding
// applied when sending, and stored segments that match the exact text sent.
import { describe, expect, it } from "vitest";
import { type Settings, defaultSettings } from "../src/settings/schema";
import { composeMessage } from "../src/templates/compose";
import { sendRefusal, templateSkipReason } from "../src/templates/library";
import { chooseLocale, localeChain } from "../src/templates/locale";
import { segmentInfo } from "../src/templates/segments";
import { api, flushRecords, inbox, phone, settleSends, unique } from "./helpers";

const PROBLEM = "application/problem+json";
const brand = { name: "Juniper", support: "help@juniper.example" };

async function messagesTo(to: string) {
  await flushRecords();
  return (await api("GET", `/v1/messages?contact=phone:${to}`)).body.messages;
}

describe("versions and the library", () => {
  it("keeps every save as a version and lists them newest first", async () => {
    const base = { job: "retention", purpose: "transactional", tags: ["news"] };
    expect((await api("PUT", "/v1/templates/lib-a", { ...base, body: "First", status: "draft" })).body).toMatchObject({ version: 1, changed: true });
    expect((await api("PUT", "/v1/templates/lib-a", { ...base, body: "Second" })).body).toMatchObject({ version: 2, changed: true });
    expect((await api("PUT", "/v1/templates/lib-a", { ...base, body: "Second" })).body).toMatchObject({ version: 2, changed: false });
    expect((await api("PUT", "/v1/templates/lib-a", { ...base, body: "Second", status: "retired" })).body).toMatchObject({ version: 3, changed: true });
    const r = await api("GET", "/v1/templates/lib-a/versions");
    expect(r.status).toBe(200);
    expect(r.body.current).toBe(3);
    expect(r.body.versions.map((v: any) => [v.version, v.status, v.template.body])).toEqual([
      [3, "retired", "Second"],
      [2, "active", "Second"],
      [1, "draft", "First"],
    ]);
    expect(Number.isNaN(Date.parse(r.body.versions[0].createdAt))).toBe(false);
  });

  it("filters the library by job, purpose, tag and status", async () => {
    await api("PUT", "/v1/templates/lib-cart", { body: "Cart: https://s.example/c", job: "conversion", purpose: "transactional", tags: ["cart"] });
    await api("PUT", "/v1/templates/lib-other", { body: "Hello", job: "service", purpose: "transactional", tags: ["misc"] });
    const keys = async (q: string) => (await api("GET", `/v1/templates?${q}`)).body.templates.map((t: any) => t.key).sort();
    expect(await keys("tag=cart")).toEqual(["lib-cart"]);
    expect(await keys("job=service&tag=misc")).toEqual(["lib-other"]);
    expect(await keys("status=retired&tag=news")).toEqual(["lib-a"]);
  });

  it("answers bad input on the library routes with problem+json naming the field", async () => {
    const bad = await api("GET", "/v1/templates?job=bogus");
    expect([bad.status, bad.type, bad.body.errors[0].field]).toEqual([400, PROBLEM, "query.job"]);
    const key = await api("GET", "/v1/templates/Not A Key/versions");
    expect([key.status, key.body.errors[0].field]).toEqual([400, "param.key"]);
    const none = await api("GET", "/v1/templates/never-saved/versions");
    expect([none.status, none.type]).toEqual([404, PROBLEM]);
    const status = await api("PUT", "/v1/templates/x", { body: "x", job: "service", purpose: "transactional", status: "archived" });
    expect(status.body.errors[0].field).toBe("status");
  });
});

describe("statuses", () => {
  it("lists the flows that still send a template when it is retired", async () => {
    await api("PUT", "/v1/templates/weekly", { body: "This week: https://s.example/w. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
    const flow = { name: "Weekly", job: "retention", trigger: { event: "Week Started" }, steps: [{ send: { template: "weekly" } }] };
    expect((await api("PUT", "/v1/flows/weekly-digest", { ...flow, status: "active" })).status).toBe(200);
    expect((await api("PUT", "/v1/flows/weekly-old", { ...flow, status: "draft" })).status).toBe(200);
    const r = await api("PUT", "/v1/templates/weekly", { body: "This week: https://s.example/w. Reply STOP to opt out.", job: "retention", purpose: "marketing", status: "retired" });
    expect(r.status).toBe(200);
    expect(r.body.usedBy).toEqual([
      { flow: "weekly-digest", version: 1, status: "active" },
      { flow: "weekly-old", version: 1, status: "draft" },
    ]);
    expect((await api("GET", "/v1/templates/weekly")).body.usedBy).toHaveLength(2);
  });

  it("a retired template sends nothing to a one-off recipient, and the message says why", async () => {
    await api("PUT", "/v1/templates/old-notice", { body: "Old notice", job: "service", purpose: "transactional" });
    await api("PUT", "/v1/templates/old-notice", { body: "Old notice", job: "service", purpose: "transactional", status: "retired" });
    const to = phone();
    const r = await api("POST", "/v1/messages", { to, template: "old-notice" });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: "skipped", decision: { outcome: "skipped", reason: "template_retired" } });
    expect(await inbox(to)).toEqual([]);
    expect(await messagesTo(to)).toMatchObject([{ templateKey: "old-notice", templateVersion: 2, status: "skipped", reason: "template_retired", body: null }]);
  });

  it("only an active template may start a send: the gate's reason and the API's refusal", async () => {
    expect(templateSkipReason(undefined)).toBe("template_missing");
    expect(templateSkipReason({ status: "draft" })).toBe("template_draft");
    expect(templateSkipReason({ status: "retired" })).toBe("template_retired");
    expect(templateSkipReason({ status: "active" })).toBeUndefined();

    const draft = sendRefusal("spring-sale", { status: "draft", version: 2 })!;
    expect([draft.status, draft.headers.get("content-type")]).toEqual([409, PROBLEM]);
    const body = (await draft.json()) as any;
    expect(body.errors).toEqual([{ field: "template", message: 'template spring-sale is a draft (version 2): save it with status "active" before sending it' }]);
    expect((sendRefusal("gone", undefined)!).status).toBe(400);
    expect(sendRefusal("ok", { status: "active", version: 1 })).toBeUndefined();
    // Retired templates go through the gate, which records the skip on the contact.
    expect(sendRefusal("old", { status: "retired", version: 3 })).toBeUndefined();
  });

  it("records the version each message was rendered from", async () => {
    await api("PUT", "/v1/templates/versioned", { body: "Hello from version one", job: "service", purpose: "transactional" });
    const to = phone();
    await api("POST", "/v1/messages", { to, template: "versioned" });
    await settleSends(`phone:${to}`);
    await api("PUT", "/v1/templates/versioned", { body: "Hello from version two", job: "service", purpose: "transactional" });
    await api("POST", "/v1/messages", { to, template: "versioned" });
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Hello from version one", "Hello from version two"]);
    const rows = (await messagesTo(to)).map((m: any) => [m.templateVersion, m.body]);
    expect(rows.sort()).toEqual([
      [1, "Hello from version one"],
      [2, "Hello from version two"],
    ]);
  });
});

describe("locale variants", () => {
  it("falls back from a region to its language, then to the default body", () => {
    expect(localeChain("fr_CA")).toEqual(["fr-ca", "fr"]);
    expect(localeChain("zh-Hant-TW")).toEqual(["zh-hant-tw", "zh-hant", "zh"]);
    expect(localeChain("not a locale")).toEqual([]);
    const locales = { fr: "Bonjour", "fr-CA": "Allô", pl: "Dzień dobry", "zh-Hant": "你好" };
    expect(chooseLocale(locales, "fr-CA")).toBe("fr-CA");
    expect(chooseLocale(locales, "FR-ca")).toBe("fr-CA");
    expect(chooseLocale(locales, "fr-BE")).toBe("fr");
    expect(chooseLocale(locales, "pl_PL")).toBe("pl");
    expect(chooseLocale(locales, "zh-Hant-TW")).toBe("zh-Hant");
    expect(chooseLocale(locales, "de-DE")).toBeUndefined();
    expect(chooseLocale(locales, 42)).toBeUndefined();
    expect(chooseLocale(undefined, "fr")).toBeUndefined();
  });

  it("composeMessage renders the variant the contact's locale picks", () => {
    const tpl = { body: "Hi {{firstName}}", locales: { fr: "Salut {{firstName}}" } };
    const s = defaultSettings();
    expect(composeMessage(tpl, { traits: { firstName: "Zoé", locale: "fr-CA" }, properties: {}, brand }, s)).toMatchObject({ body: "Salut Zoé", locale: "fr" });
    expect(composeMessage(tpl, { traits: { firstName: "Ada", locale: "en-GB" }, properties: {}, brand }, s)).toMatchObject({ body: "Hi Ada", locale: null });
    expect(composeMessage(tpl, { traits: { firstName: "Ada" }, properties: {}, brand }, s)).toMatchObject({ body: "Hi Ada", locale: null });
  });

  it("sends a fr-CA contact the fr variant and stores the segments of that exact text", async () => {
    await api("PUT", "/v1/templates/visit-reminder", {
      body: "Reminder: your visit is {{properties.day}} at 10am. Reply to reschedule.",
      job: "service",
      purpose: "transactional",
      properties: ["day"],
      locales: { fr: "Rappel : votre visite chez nous est prévue {{properties.day}} à 10 h. À bientôt ! Répondez au 0612345678 pour la déplacer." },
    });
    const user = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to, locale: "fr-CA" } });
    const r = await api("POST", "/v1/messages", { to, template: "visit-reminder", properties: { day: "demain" } });
    expect(r.body.decision).toEqual({ outcome: "sent", reason: "ok" });
    await settleSends(`phone:${to}`);
    const text = "Rappel : votre visite chez nous est prévue demain à 10 h. À bientôt ! Répondez au 0612345678 pour la déplacer.";
    expect(await inbox(to)).toEqual([text]);
    const [m] = await messagesTo(to);
    // À and ô are not GSM-7: UCS-2, 110 units, parts of 67 → 67 + 43 = 2 segments.
    expect({ body: m.body, encoding: m.encoding, segments: m.segments }).toEqual({ body: text, encoding: "UCS-2", segments: 2 });
    expect({ encoding: m.encoding, segments: m.segments }).toEqual({ encoding: segmentInfo(m.body).encoding, segments: segmentInfo(m.body).segments });
  });
});

describe("smart encoding when sending", () => {
  function settings(on: boolean): Settings {
    const s = defaultSettings();
    s.templates.smartEncoding = on;
    return s;
  }
  const ctx = { traits: {}, properties: {}, brand };

  it("applies the brand's setting unless the template says otherwise", () => {
    const body = "It’s here";
    expect(composeMessage({ body }, ctx, settings(false))).toMatchObject({ body: "It’s here", encoding: "UCS-2", replaced: [] });
    expect(composeMessage({ body }, ctx, settings(true))).toMatchObject({ body: "It's here", encoding: "GSM-7", replaced: [{ from: "’", to: "'", index: 2 }] });
    expect(composeMessage({ body, smartEncoding: false }, ctx, settings(true))).toMatchObject({ body: "It’s here", encoding: "UCS-2" });
    expect(composeMessage({ body, smartEncoding: true }, ctx, settings(false))).toMatchObject({ body: "It's here", encoding: "GSM-7" });
  });

  it("also replaces look-alikes that arrive in variable values", () => {
    const r = composeMessage({ body: "Hi {{firstName}}", smartEncoding: true }, { ...ctx, traits: { firstName: "“Ada”" } }, settings(false));
    expect(r).toMatchObject({ body: 'Hi "Ada"', encoding: "GSM-7", segments: 1, units: 8 });
  });

  it("sends the replaced text and stores the segments of what was sent", async () => {
    await api("PUT", "/v1/templates/shipped", {
      body: "Your order’s on its way — track it: {{properties.url}}",
      job: "transactional",
      purpose: "transactional",
      properties: ["url"],
      smartEncoding: true,
    });
    const to = phone();
    await api("POST", "/v1/messages", { to, template: "shipped", properties: { url: "https://t.example/1" } });
    await settleSends(`phone:${to}`);
    // The link is shortened before encoding and counting (base from settings.links).
    const [text] = await inbox(to);
    expect(text).toMatch(/^Your order's on its way - track it: http:\/\/127\.0\.0\.1:8787\/l\/[0-9A-Za-z]{10}$/);
    const [m] = await messagesTo(to);
    // 36 + 34 = 70 GSM-7 characters, none from the extension table: 70 septets, one segment.
    expect({ body: m.body, encoding: m.encoding, segments: m.segments }).toEqual({ body: text, encoding: "GSM-7", segments: 1 });
    expect({ encoding: m.encoding, segments: m.segments }).toEqual({ encoding: segmentInfo(m.body).encoding, segments: segmentInfo(m.body).segments });
  });
});
