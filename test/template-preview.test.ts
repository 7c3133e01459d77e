// POST /v1/templates/preview: the exact text a contact would get, its encoding and segments (also
// across segment boundaries), lint warnings, the smart-encoding suggestion, and the cost from the
// price table in settings.templates. Plus the pure price lookup, and bad input naming each field.
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_PRICES, costOf } from "../src/templates/prices";
import { INGEST, api, unique } from "./helpers";

const PROBLEM = "application/problem+json";
const EXAMPLE_NOTE = "example price, not a quote: replace it with your provider's rate";
const preview = (body: unknown) => api("POST", "/v1/templates/preview", body);

beforeAll(async () => {
  await api("PUT", "/v1/templates/cart", {
    body: 'Hi {{firstName | default: "there"}}, your cart: {{properties.checkout_url}} Reply STOP to opt out.',
    job: "conversion",
    purpose: "marketing",
    properties: ["checkout_url"],
    locales: { fr: "Bonjour {{firstName}}, votre panier : {{properties.checkout_url}} STOP au 36111" },
  });
});

describe("price lookup", () => {
  it("uses the destination country's row, else the provider's default row", () => {
    expect(costOf(EXAMPLE_PRICES, "twilio", "US", 3)).toEqual({ provider: "twilio", row: "US", perSegment: 0.0083, segments: 3, total: 0.0249, currency: "USD", note: EXAMPLE_NOTE });
    expect(costOf(EXAMPLE_PRICES, "twilio", "JP", 2)).toMatchObject({ row: "default", perSegment: 0.06, total: 0.12, currency: "USD" });
    expect(costOf(EXAMPLE_PRICES, "smsapi", undefined, 1)).toMatchObject({ row: "default", currency: "EUR", total: 0.045 });
    expect(costOf(EXAMPLE_PRICES, "smsapi", "PL", 2)).toMatchObject({ row: "PL", currency: "PLN", total: 0.32 });
    expect(costOf(EXAMPLE_PRICES, "carrier-pigeon", "US", 1)).toBeUndefined();
  });
});

describe("preview", () => {
  it("renders a saved template for a sample, with its segments and the cost through every provider", async () => {
    const r = await preview({ template: "cart", traits: { firstName: "Ada", phone: "+14155552671" }, properties: { checkout_url: "https://s.example/c/1" } });
    expect(r.status).toBe(200);
    // 63 GSM-7 characters, none from the extension table.
    expect(r.body).toMatchObject({
      template: { key: "cart", version: 1, status: "active" },
      contact: null,
      locale: null,
      text: "Hi Ada, your cart: https://s.example/c/1 Reply STOP to opt out.",
      encoding: "GSM-7",
      segments: 1,
      units: 63,
      warnings: [],
      country: "US",
    });
    expect(r.body.costs).toEqual([
      { provider: "sandbox", row: "default", perSegment: 0, segments: 1, total: 0, currency: "USD", note: "the sandbox sends nothing and costs nothing" },
      { provider: "smsapi", row: "default", perSegment: 0.045, segments: 1, total: 0.045, currency: "EUR", note: EXAMPLE_NOTE },
      { provider: "twilio", row: "US", perSegment: 0.0083, segments: 1, total: 0.0083, currency: "USD", note: EXAMPLE_NOTE },
    ]);
  });

  it("renders for a real contact: their traits, their locale variant, the country of their phone", async () => {
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user, traits: { firstName: "Zoé", locale: "fr-FR", phone: "+48512345678" } });
    const r = await preview({ template: "cart", contact: `user:${user}`, properties: { checkout_url: "https://s.example/c/1" }, provider: "smsapi" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ locale: "fr", text: "Bonjour Zoé, votre panier : https://s.example/c/1 STOP au 36111", encoding: "GSM-7", segments: 1, units: 63, country: "PL" });
    expect(r.body.contact).toMatch(/^c_/);
    expect(r.body.costs).toEqual([{ provider: "smsapi", row: "PL", perSegment: 0.16, segments: 1, total: 0.16, currency: "PLN", note: EXAMPLE_NOTE }]);
    // Sample traits go over the contact's, and a country given wins over the phone's.
    const en = await preview({ template: "cart", contact: `user:${user}`, traits: { locale: "en" }, properties: { checkout_url: "https://s.example/c/1" }, country: "GB", provider: "twilio" });
    expect(en.body).toMatchObject({ locale: null, text: "Hi Zoé, your cart: https://s.example/c/1 Reply STOP to opt out.", country: "GB" });
    expect(en.body.costs).toMatchObject([{ provider: "twilio", row: "GB", perSegment: 0.0463, total: 0.0463 }]);
  });

  it("counts a GSM-7 message whose escape pair would straddle a part boundary", async () => {
    // 150 a + "cc" + € + 152 b = 306 septets. Part 1 takes 152 (€ needs 2, only 1 left), part 2
    // takes € + 151 b = 153, part 3 the last b: 3 segments, though 306 / 153 is exactly 2.
    const body = `${"a".repeat(150)}{{properties.p}}€${"b".repeat(152)}`;
    const r = await preview({ body, properties: { p: "cc" }, country: "US", provider: "twilio" });
    expect(r.body).toMatchObject({ text: `${"a".repeat(150)}cc€${"b".repeat(152)}`, encoding: "GSM-7", segments: 3, units: 306, country: "US" });
    expect(r.body.costs).toMatchObject([{ row: "US", segments: 3, total: 0.0249, currency: "USD" }]);
  });

  it("counts a UCS-2 message whose emoji would straddle a part boundary", async () => {
    // 66 a + 😀 (2 units) + 66 a = 134 units. Part 1 holds 66 (the pair would make 68), part 2
    // 😀 + 65 a = 67, part 3 the last a: 3 segments, though 134 / 67 is exactly 2.
    const r = await preview({ body: `${"a".repeat(66)}😀${"a".repeat(66)}` });
    expect(r.body).toMatchObject({ encoding: "UCS-2", segments: 3, units: 134 });
  });

  it("suggests smart encoding with before, after and the segments it saves, without applying it when off", async () => {
    // 100 a + ’: 101 UTF-16 units = 2 UCS-2 segments (67 + 34); with ' it is 101 septets = 1 segment.
    const text = `${"a".repeat(100)}’`;
    const r = await preview({ body: text });
    expect(r.body).toMatchObject({ text, encoding: "UCS-2", segments: 2, units: 101 });
    expect(r.body.smartEncoding).toEqual({
      enabled: false,
      before: { text, encoding: "UCS-2", segments: 2, units: 101 },
      after: { text: `${"a".repeat(100)}'`, encoding: "GSM-7", segments: 1, units: 101 },
      replaced: [{ from: "’", to: "'", index: 100 }],
      segmentsSaved: 1,
    });
    expect(r.body.warnings).toMatchObject([{ rule: "replaceable_ucs2", items: ["’"], replacements: [{ char: "’", replacement: "'" }] }]);
    // Turned on for this preview: the text is the replaced one, priced at one segment.
    const on = await preview({ body: text, smartEncoding: true, provider: "twilio", country: "US" });
    expect(on.body).toMatchObject({ text: `${"a".repeat(100)}'`, encoding: "GSM-7", segments: 1, warnings: [] });
    expect(on.body.costs[0].total).toBe(0.0083);
  });

  it("does not replace look-alikes when the message would stay UCS-2 anyway", async () => {
    await api("PUT", "/v1/settings/templates", { smartEncoding: true });
    const r = await preview({ body: "It’s 😀 time" });
    expect(r.body).toMatchObject({ text: "It’s 😀 time", encoding: "UCS-2", segments: 1 });
    expect(r.body.smartEncoding).toMatchObject({ enabled: true, after: null, replaced: [], segmentsSaved: 0 });
    await api("PUT", "/v1/settings/templates", {});
  });

  it("lints the exact text: a sample without the link property has no link", async () => {
    const r = await preview({ template: "cart", traits: { firstName: "Ada" } });
    expect(r.body.text).toBe("Hi Ada, your cart:  Reply STOP to opt out.");
    expect(r.body.warnings.map((w: any) => w.rule)).toEqual(["missing_link"]);
    expect(r.body.country).toBeNull();
    expect(r.body.costs.find((c: any) => c.provider === "twilio")).toMatchObject({ row: "default", perSegment: 0.06 });
  });

  it("lints an inline body with its job and purpose, reporting even what a save would refuse", async () => {
    const r = await preview({ body: "Flash sale {{favoriteFood}}! Reply CANCEL to cancel your order.", job: "conversion", purpose: "marketing" });
    expect(r.status).toBe(200);
    expect(r.body.warnings.map((w: any) => [w.rule, w.severity]).sort()).toEqual([
      ["missing_link", "warning"],
      ["missing_opt_out", "warning"],
      ["opt_out_keyword_misuse", "error"],
      ["undeclared_variable", "error"],
    ]);
  });

  it("prices with the brand's own table", async () => {
    await api("PUT", "/v1/settings/templates", { prices: { acme: { FR: { perSegment: 0.05, currency: "EUR" }, default: { perSegment: 0.02, currency: "USD" } } } });
    const r = await preview({ body: "Hello", country: "FR" });
    expect(r.body.costs).toEqual([{ provider: "acme", row: "FR", perSegment: 0.05, segments: 1, total: 0.05, currency: "EUR" }]);
    await api("PUT", "/v1/settings/templates", {});
  });
});

describe("bad input", () => {
  const field = async (body: unknown) => {
    const r = await preview(body);
    expect([r.status, r.type]).toEqual([400, PROBLEM]);
    return r.body.errors.map((e: any) => e.field);
  };

  it("names the field for every bad preview request", async () => {
    expect(await field({})).toEqual(["template"]);
    expect(await field({ template: "cart", body: "x" })).toEqual(["template"]);
    expect(await field({ body: "x", version: 1 })).toEqual(["version"]);
    expect(await field({ template: "cart", job: "conversion" })).toEqual(["job"]);
    expect(await field({ template: "no-such-template" })).toEqual(["template"]);
    expect(await field({ template: "cart", version: 9 })).toEqual(["version"]);
    expect(await field({ body: "x", country: "usa" })).toEqual(["country"]);
    expect(await field({ body: "x", provider: "carrier-pigeon" })).toEqual(["provider"]);
    expect(await field({ body: "x", traits: "Ada" })).toEqual(["traits"]);
    expect(await field({ body: "" })).toEqual(["body"]);
    const extra = await preview({ body: "x", colour: "red" });
    expect(extra.body.errors[0].message).toMatch(/colour/);
    const json = await api("POST", "/v1/templates/preview", undefined, { raw: "{not json" });
    expect([json.status, json.type]).toEqual([400, PROBLEM]);
  });

  it("answers 404 naming the contact when there is no such contact", async () => {
    const r = await preview({ template: "cart", contact: "user:nobody-here" });
    expect([r.status, r.type, r.body.errors[0].field]).toEqual([404, PROBLEM, "contact"]);
  });

  it("needs the read permission", async () => {
    expect((await api("POST", "/v1/templates/preview", { body: "x" }, { key: INGEST })).status).toBe(403);
  });

  it("refuses a price table without a default row or with a bad price, naming the field", async () => {
    const a = await api("PUT", "/v1/settings/templates", { prices: { acme: { US: { perSegment: 0.01, currency: "USD" } } } });
    expect([a.status, a.body.errors.map((e: any) => e.field)]).toEqual([400, ["prices.acme.default"]]);
    const b = await api("PUT", "/v1/settings/templates", { prices: { acme: { default: { perSegment: -1, currency: "usd" } } } });
    expect(b.body.errors.map((e: any) => e.field).sort()).toEqual(["prices.acme.default.currency", "prices.acme.default.perSegment"]);
    const c = await api("PUT", "/v1/settings/templates", { maxSegments: 0, linkJobs: ["nope"] });
    expect(c.body.errors.map((e: any) => e.field).sort()).toEqual(["linkJobs.0", "maxSegments"]);
  });
});
