// Template lint: every rule with a template that passes and one that fails, first on the pure
// functions, then through PUT /v1/templates/:key (errors refuse the save, warnings come back with it).
import { describe, expect, it } from "vitest";
import { type Settings, defaultSettings } from "../src/settings/schema";
import { estimateText, lintTemplate, lintText, lintOptions } from "../src/templates/lint";
import { hasOptOutInstruction, keywordInstructions } from "../src/templates/opt-out";
import { TemplateBody } from "../src/templates/schema";
import { api } from "./helpers";

const PROBLEM = "application/problem+json";

function settings(change: (s: Settings) => void = () => {}): Settings {
  const s = defaultSettings();
  change(s);
  return s;
}

/** Lint a template the way a save does (schema defaults applied). */
function lint(tpl: Record<string, unknown>, s: Settings = settings()) {
  return lintTemplate(TemplateBody.parse({ job: "transactional", purpose: "transactional", ...tpl }), s);
}

const rules = (findings: Array<{ rule: string }>) => findings.map((f) => f.rule).sort();

describe("variables", () => {
  it("malformed_variable names the broken braces and blocks", () => {
    expect(lint({ body: "Hi {{firstName}}" })).toEqual([]);
    const [f] = lint({ body: "Hi {{first name}}" });
    expect(f).toMatchObject({ rule: "malformed_variable", severity: "error", field: "body", items: ["{{first name}}"] });
  });

  it("undeclared_variable names the variable and blocks; declaring the trait or property fixes it", () => {
    expect(lint({ body: "Hi {{favoriteFood}}" })).toMatchObject([{ rule: "undeclared_variable", severity: "error", items: ["{{favoriteFood}}"] }]);
    expect(lint({ body: "Hi {{favoriteFood}}" }, settings((s) => (s.traits.declared = ["favoriteFood"])))).toEqual([]);
    expect(lint({ body: "Item {{properties.sku}}" })[0]!.message).toMatch(/add "sku" to properties/);
    expect(lint({ body: "Item {{properties.sku}}", properties: ["sku"] })).toEqual([]);
  });

  it("checks each locale variant under its own field", () => {
    const f = lint({ body: "Hello", locales: { fr: "Bonjour {{surnom}}" } });
    expect(f).toMatchObject([{ rule: "undeclared_variable", field: "locales.fr", items: ["{{surnom}}"] }]);
  });
});

describe("too_many_segments", () => {
  it("blocks a body that is over the maximum whatever the variables hold", () => {
    // 460 GSM-7 septets: 153 + 153 + 153 + 1 = 4 segments, over the default maximum of 3.
    expect(lint({ body: "a".repeat(459) })).toEqual([]);
    expect(lint({ body: "a".repeat(460) })).toMatchObject([{ rule: "too_many_segments", severity: "error", segments: 4, maxSegments: 3, items: [] }]);
  });

  it("the template's maxSegments overrides the brand's, and the brand's setting applies otherwise", () => {
    expect(lint({ body: "a".repeat(460), maxSegments: 4 })).toEqual([]);
    // 161 septets are 2 segments: over a brand maximum of 1.
    const s = settings((x) => (x.templates.maxSegments = 1));
    expect(lint({ body: "a".repeat(160) }, s)).toEqual([]);
    expect(lint({ body: "a".repeat(161) }, s)).toMatchObject([{ rule: "too_many_segments", segments: 2, maxSegments: 1 }]);
  });

  it("warns (does not block) when only the estimate with placeholder-length variables is over", () => {
    // Minimum: 450 septets = 3 segments. Estimate: 450 + 15 (firstName) = 465 septets = 4 segments.
    const [f] = lint({ body: `${"a".repeat(450)}{{firstName}}` });
    expect(f).toMatchObject({ rule: "too_many_segments", severity: "warning", segments: 4, maxSegments: 3 });
    expect(f!.message).toMatch(/estimated with each variable as 15 characters/);
  });

  it("names the characters that make a long message UCS-2", () => {
    // 😀 (2 units) + 200 letters = 202 UTF-16 units; parts of 67 hold 😀+65, 67, 67, 1: 4 segments.
    expect(lint({ body: `😀${"a".repeat(200)}` })).toMatchObject([{ rule: "too_many_segments", severity: "error", segments: 4, items: ["😀"] }]);
  });

  it("estimates variables at 15 characters (links and email 30) or their longer default, brand variables at their value", () => {
    const brand = { name: "Juniper", support: "help@juniper.example" };
    expect(estimateText('Hi {{firstName | default: "there"}} from {{brand.name}}', brand, "estimate")).toBe("Hi therexxxxxxxxxx from Juniper");
    expect(estimateText('Hi {{firstName | default: "wonderful customer"}}', brand, "estimate")).toBe("Hi wonderful customer");
    expect(estimateText("Cart: {{properties.checkout_url}} {{email}}", brand, "estimate")).toBe(`Cart: https://t.example/${"x".repeat(12)} ${"x".repeat(30)}`);
    expect(estimateText('Hi {{firstName | default: "there"}}, {{properties.code}}', brand, "minimum")).toBe("Hi there, ");
  });
});

describe("replaceable_ucs2", () => {
  const o = { ...lintOptions({ job: "transactional", purpose: "transactional" }, defaultSettings()) };

  it("names each look-alike forcing UCS-2 with its GSM-7 replacement", () => {
    const [f] = lintText("It’s 20% off — today", "body", o);
    expect(f).toMatchObject({
      rule: "replaceable_ucs2",
      severity: "warning",
      items: ["’", "—"],
      replacements: [{ char: "’", replacement: "'" }, { char: "—", replacement: "-" }],
    });
  });

  it("says how many segments replacing saves", () => {
    // 100 letters + ’ = 101 UTF-16 units = 2 UCS-2 segments; 101 septets = 1 GSM-7 segment.
    expect(lintText(`${"a".repeat(100)}’`, "body", o)[0]!.message).toMatch(/2 segments; 1 in GSM-7/);
  });

  it("is quiet for plain GSM-7, when smart encoding is on, and when replacing would not reach GSM-7", () => {
    expect(lintText("It's 20% off - today", "body", o)).toEqual([]);
    expect(lintText("It’s 20% off — today", "body", { ...o, smartEncoding: true })).toEqual([]);
    // The emoji keeps the message UCS-2 whatever happens to ’.
    expect(lintText("It’s 😀", "body", o)).toEqual([]);
  });
});

describe("missing_opt_out", () => {
  const marketing = { job: "retention", purpose: "marketing" };

  it("warns when a marketing template does not say how to opt out", () => {
    expect(lint({ ...marketing, body: "20% off today." })).toMatchObject([{ rule: "missing_opt_out", severity: "warning", field: "body" }]);
    expect(lint({ ...marketing, body: "20% off today. Reply STOP to opt out." })).toEqual([]);
    expect(lint({ ...marketing, body: "20% off today. Text STOP to 12345 to unsubscribe." })).toEqual([]);
  });

  it("accepts the keyword in capitals in other languages, and checks each variant", () => {
    const f = lint({ ...marketing, body: "20% off. Reply STOP to opt out.", locales: { fr: "-20% aujourd'hui. STOP au 36111", pl: "-20% dzisiaj." } });
    expect(f).toMatchObject([{ rule: "missing_opt_out", field: "locales.pl" }]);
  });

  it("applies only to marketing, and only when the brand requires it", () => {
    expect(lint({ body: "Your order shipped." })).toEqual([]);
    expect(lint({ ...marketing, body: "20% off today." }, settings((s) => (s.templates.requireOptOut = false)))).toEqual([]);
  });
});

describe("opt_out_keyword_misuse", () => {
  it("blocks an opt-out keyword offered as a reply for something else, naming the keyword", () => {
    const [f] = lint({ job: "service", body: "Your visit is tomorrow at 10. Reply CANCEL to cancel your visit." });
    expect(f).toMatchObject({ rule: "opt_out_keyword_misuse", severity: "error", items: ["CANCEL"] });
    expect(f!.message).toContain('"CANCEL to cancel your visit"');
  });

  it("finds the keyword in a list of replies and after 'if'", () => {
    expect(keywordInstructions("Reply YES to confirm or CANCEL to cancel.")).toEqual([{ keyword: "CANCEL", instruction: "CANCEL to cancel", effect: "cancel", optsOut: false }]);
    expect(keywordInstructions("Reply END if you can't make it.")).toMatchObject([{ keyword: "END", effect: "you can't make it", optsOut: false }]);
    expect(keywordInstructions("Send QUIT to quit the game")).toMatchObject([{ keyword: "QUIT", optsOut: false }]);
  });

  it("passes real opt-out instructions and ordinary words", () => {
    expect(keywordInstructions("Reply STOP to opt out.")).toEqual([{ keyword: "STOP", instruction: "STOP to opt out", effect: "opt out", optsOut: true }]);
    // The carriers' own wording: STOP "to cancel" is an opt-out.
    expect(keywordInstructions("Reply HELP for help, STOP to cancel.")).toMatchObject([{ keyword: "STOP", effect: "cancel", optsOut: true }]);
    expect(keywordInstructions("Reply END to stop these texts")).toMatchObject([{ keyword: "END", optsOut: true }]);
    expect(keywordInstructions("The sale will end soon, don't quit now")).toEqual([]);
    expect(lint({ job: "service", body: "Your visit is tomorrow at 10. Reply C to cancel your visit, STOP to opt out." })).toEqual([]);
  });

  it("knows whether a text says how to opt out", () => {
    expect(hasOptOutInstruction("Reply STOP to opt out")).toBe(true);
    expect(hasOptOutInstruction("Reply CANCEL to cancel your visit")).toBe(false);
    expect(hasOptOutInstruction("Please don't stop by")).toBe(false);
  });
});

describe("missing_link", () => {
  const conversion = { job: "conversion", purpose: "transactional" };

  it("warns when a conversion template has no link", () => {
    expect(lint({ ...conversion, body: "Your cart is waiting." })).toMatchObject([{ rule: "missing_link", severity: "warning" }]);
  });

  it("accepts a URL, a bare domain with a path, or a link variable", () => {
    expect(lint({ ...conversion, body: "Your cart: https://shop.example/c/1" })).toEqual([]);
    expect(lint({ ...conversion, body: "Your cart: shop.example/c/1" })).toEqual([]);
    expect(lint({ ...conversion, body: "Your cart: {{properties.checkout_url}}", properties: ["checkout_url"] })).toEqual([]);
  });

  it("applies to the jobs settings.templates.linkJobs names", () => {
    expect(lint({ job: "retention", body: "We miss you." })).toEqual([]);
    expect(lint({ job: "retention", body: "We miss you." }, settings((s) => (s.templates.linkJobs = ["retention"])))).toMatchObject([{ rule: "missing_link" }]);
  });
});

describe("lint at save time", () => {
  it("refuses a save with a blocking finding, naming the field and rule, and stores nothing", async () => {
    const r = await api("PUT", "/v1/templates/visit", { body: "See you at 10. Reply CANCEL to cancel your visit.", job: "service", purpose: "transactional" });
    expect([r.status, r.type]).toEqual([400, PROBLEM]);
    expect(r.body.errors).toMatchObject([{ field: "body", rule: "opt_out_keyword_misuse" }]);
    expect(r.body.errors[0].message).toContain("CANCEL");
    expect(r.body.findings.map((f: any) => f.rule)).toEqual(["opt_out_keyword_misuse"]);
    expect((await api("GET", "/v1/templates/visit")).status).toBe(404);
  });

  it("saves with warnings, each naming what it found", async () => {
    const r = await api("PUT", "/v1/templates/promo", { body: "It’s our sale, {{firstName}}!", job: "conversion", purpose: "marketing" });
    expect(r.status).toBe(200);
    expect(rules(r.body.warnings)).toEqual(["missing_link", "missing_opt_out", "replaceable_ucs2"]);
    expect(r.body.warnings.find((w: any) => w.rule === "replaceable_ucs2").items).toEqual(["’"]);
    expect((await api("GET", "/v1/templates/promo")).status).toBe(200);
  });

  it("refuses an undeclared variable in a locale variant under locales.<tag>", async () => {
    const r = await api("PUT", "/v1/templates/hello-fr", { body: "Hello", job: "service", purpose: "transactional", locales: { fr: "Bonjour {{surnom}}" } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toMatchObject([{ field: "locales.fr", rule: "undeclared_variable" }]);
  });

  it("refuses a body over the maximum until the template raises its own maximum", async () => {
    const body = { body: "a".repeat(460), job: "service", purpose: "transactional" };
    const r = await api("PUT", "/v1/templates/long", body);
    expect(r.body.errors).toMatchObject([{ field: "body", rule: "too_many_segments" }]);
    expect(r.body.errors[0].message).toMatch(/^4 segments .*maximum of 3/);
    const ok = await api("PUT", "/v1/templates/long", { ...body, maxSegments: 4 });
    expect([ok.status, ok.body.warnings]).toEqual([200, []]);
  });

  it("follows the brand's settings: opt-out instructions not required", async () => {
    await api("PUT", "/v1/settings/templates", { requireOptOut: false });
    const r = await api("PUT", "/v1/templates/quiet-promo", { body: "Sale today.", job: "retention", purpose: "marketing" });
    expect(r.body.warnings).toEqual([]);
    await api("PUT", "/v1/settings/templates", {});
  });

  it("refuses bad template fields, naming them", async () => {
    const r = await api("PUT", "/v1/templates/bad-fields", { body: "Hi", job: "service", purpose: "transactional", maxSegments: 0, smartEncoding: "yes", locales: { "not a tag": "x" } });
    expect(r.status).toBe(400);
    const fields = r.body.errors.map((e: any) => e.field);
    expect(fields).toContain("maxSegments");
    expect(fields).toContain("smartEncoding");
    expect(fields.some((f: string) => f.startsWith("locales"))).toBe(true);
    const twice = await api("PUT", "/v1/templates/bad-fields", { body: "Hi", job: "service", purpose: "transactional", locales: { fr: "a", FR: "b" } });
    expect(twice.body.errors[0].field).toBe("locales.FR");
  });
});
