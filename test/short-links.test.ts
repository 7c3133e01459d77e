// Short links: rewritten with UTM tags, one random code per message and URL, a 302 on click, the
// click into the contact's flows as `Link Clicked`, previews and bots kept apart, expiry and 404s.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock } from "../src/clock";
import { DELIVERY_PREVIEW_MS, previewReason } from "../src/links/bots";
import { linkCode, rewriteLinks, withUtm } from "../src/links/rewrite";
import { LinksSection } from "../src/links/settings";
import { segmentInfo } from "../src/templates/segments";
import { DAY, api, flushRecords, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36";
const SAMSUNG = "Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36";
const settings = LinksSection.parse({ base: "https://t.example/l" });

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/links", { base: "https://t.example/l", ttl: "P30D" });
  await api("PUT", "/v1/templates/pricing", {
    body: "Plans for you: [link https://shop.example/pricing?plan=pro#compare] Reply STOP to opt out.", job: "conversion", purpose: "marketing",
  });
  await api("PUT", "/v1/templates/follow-up", { body: "Questions about pricing? Reply here. Reply STOP to opt out.", job: "conversion", purpose: "marketing" });
  await api("PUT", "/v1/flows/pricing-nudge", {
    name: "Pricing nudge", status: "active", job: "conversion", trigger: { event: "Quote Requested" },
    steps: [{ send: { template: "pricing" } }, { wait_for: { event: "Link Clicked", timeout: "P1D" }, on_event: [{ send: { template: "follow-up" } }] }],
  });
});

/** GET a short link like a phone would. */
async function open(url: string, ua = IPHONE, method = "GET") {
  const res = await exports.default.fetch(url, { method, headers: { "user-agent": ua }, redirect: "manual" });
  return { status: res.status, location: res.headers.get("location"), text: await res.text() };
}

async function personWithLink() {
  const user = unique("u");
  const to = phone();
  await optedIn(user, to);
  await api("POST", "/v1/track", { userId: user, event: "Quote Requested", messageId: unique("m") });
  await settleSends(`user:${user}`);
  const body = (await inbox(to))[0]!;
  const short = /https:\/\/t\.example\/l\/([0-9A-Za-z]+)/.exec(body)!;
  return { user, to, ref: `user:${user}`, body, url: short[0], code: short[1]! };
}

const linkEvents = async (ref: string) =>
  (await api("GET", `/v1/contacts/${ref}`)).body.recentEvents.filter((e: any) => e.event === "Link Clicked");

describe("rewriting", () => {
  it("shortens markup and plain URLs, adds UTM tags and keeps the query and fragment", () => {
    const r = rewriteLinks("A [link https://shop.example/cart?id=7#pay] and https://shop.example/b?utm_source=mail.", settings, { campaign: "cart-recovery", content: "cart-reminder" });
    expect(r.text).toMatch(/^A https:\/\/t\.example\/l\/[0-9A-Za-z]{10} and https:\/\/t\.example\/l\/[0-9A-Za-z]{10}\.$/);
    expect(r.links.map((l) => l.url)).toEqual([
      "https://shop.example/cart?id=7&utm_source=sms&utm_medium=sms&utm_campaign=cart-recovery&utm_content=cart-reminder#pay",
      "https://shop.example/b?utm_source=mail&utm_medium=sms&utm_campaign=cart-recovery&utm_content=cart-reminder",
    ]);
    const renamed = LinksSection.parse({ base: "https://t.example/l", utm: { names: { campaign: "c", source: "s", medium: "m", content: "k" } } });
    expect(withUtm("https://x.example/", renamed, "api", "t")).toBe("https://x.example/?s=sms&m=sms&c=api&k=t");
  });

  it("draws unguessable codes: 10 base-62 characters, no repeats in 20,000", () => {
    const codes = Array.from({ length: 20_000 }, () => linkCode());
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => /^[0-9A-Za-z]{10}$/.test(c))).toBe(true);
    // Every character position uses the whole alphabet (no bias toward digits).
    expect(new Set(codes.map((c) => c[0])).size).toBe(62);
  });

  it("counts segments on the text with the short link, and keeps a message's code on retry", async () => {
    const p = await personWithLink();
    expect(p.body).not.toContain("shop.example");
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${p.ref}`)).body.messages.find((x: any) => x.templateKey === "pricing");
    expect(m.body).toBe(p.body);
    expect(m.segments).toBe(segmentInfo(p.body).segments);
    const codes = { "https://shop.example/pricing": "KeepThis01" };
    expect(rewriteLinks("go https://shop.example/pricing", settings, { campaign: "api", content: "t" }, codes).text).toBe("go https://t.example/l/KeepThis01");
  });
});

describe("clicks", () => {
  it("redirects with UTM tags, and the click moves the flow on its on_event branch", async () => {
    const p = await personWithLink();
    advanceClock(5 * 60_000); // a person reads the text a few minutes later
    const r = await open(p.url);
    expect(r.status).toBe(302);
    expect(r.location).toBe("https://shop.example/pricing?plan=pro&utm_source=sms&utm_medium=sms&utm_campaign=pricing-nudge&utm_content=pricing#compare");
    await vi.waitFor(async () => expect(await linkEvents(p.ref)).toHaveLength(1));
    expect((await linkEvents(p.ref))[0].properties).toMatchObject({ url: r.location, template: "pricing", flow: "pricing-nudge" });
    await settleSends(p.ref);
    expect(await inbox(p.to)).toEqual([p.body, "Questions about pricing? Reply here. Reply STOP to opt out."]);
    await flushRecords();
    const hits = (await env.DB.prepare("SELECT kind, reason, flow_key FROM clicks WHERE code = ?").bind(p.code).all()).results;
    expect(hits).toEqual([{ kind: "click", reason: null, flow_key: "pricing-nudge" }]);
  });

  it("records previews (HEAD, bots, a fetch within a second of delivery) without moving the flow", async () => {
    const p = await personWithLink();
    // Right after delivery: the phone or carrier fetching a preview.
    expect((await open(p.url, IPHONE)).status).toBe(302);
    advanceClock(5 * 60_000);
    expect((await open(p.url, IPHONE, "HEAD")).status).toBe(302);
    expect((await open(p.url, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)")).status).toBe(302);
    await vi.waitFor(async () => {
      await flushRecords();
      const n = (await env.DB.prepare("SELECT count(*) AS n FROM clicks WHERE code = ?").bind(p.code).first<{ n: number }>())!.n;
      expect(n).toBe(3);
    });
    const reasons = (await env.DB.prepare("SELECT kind, reason FROM clicks WHERE code = ? ORDER BY at").bind(p.code).all()).results;
    expect(reasons).toEqual([
      { kind: "preview", reason: "within_1s_of_delivery" },
      { kind: "preview", reason: "head_request" },
      { kind: "preview", reason: "bot_user_agent" },
    ]);
    expect(await linkEvents(p.ref)).toEqual([]);
    expect(DELIVERY_PREVIEW_MS).toBe(1000);
  });

  it("tells bots from phone browsers", () => {
    const bots = [
      "facebookexternalhit/1.1 Facebot Twitterbot/1.0", "WhatsApp/2.23.20.0 A", "TelegramBot (like TwitterBot)", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
      "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Mozilla/5.0 (Macintosh) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
      "curl/8.4.0", "python-requests/2.31.0", "Go-http-client/2.0", "okhttp/4.12.0", "Mozilla/5.0 (compatible; Barracuda Sentinel)", "Proofpoint URL Defense",
      "Mozilla/5.0 (compatible; SkypeUriPreview Preview/0.5)", "Mozilla/5.0 (compatible; Applebot/0.1; +http://www.apple.com/go/applebot)",
    ];
    const people = [
      IPHONE, ANDROID, SAMSUNG,
      "Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (Linux; Android 13; moto g 5G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    ];
    expect(bots.filter((ua) => !previewReason("GET", ua))).toEqual([]);
    expect(people.filter((ua) => previewReason("GET", ua))).toEqual([]);
    expect(previewReason("GET", "")).toBe("no_user_agent");
  });
});

describe("expiry and unknown codes", () => {
  it("answers a small friendly 404 page for unknown, malformed and expired links", async () => {
    const unknown = await open("http://tidings.test/l/Zz9Zz9Zz9Zz9");
    expect([unknown.status, unknown.text]).toEqual([404, expect.stringContaining("This link is not valid")]);
    expect((await open("http://tidings.test/l/%3Cscript%3E")).status).toBe(404);
    const p = await personWithLink();
    advanceClock(31 * DAY);
    const expired = await open(`http://tidings.test/l/${p.code}`);
    expect([expired.status, expired.text]).toEqual([404, expect.stringContaining("expired")]);
  });

  it("serves /:code on the short-link host when the base is a bare domain", async () => {
    await api("PUT", "/v1/settings/links", { base: "https://go.brand.example" });
    const user = unique("u");
    const to = phone();
    await optedIn(user, to);
    await api("POST", "/v1/track", { userId: user, event: "Quote Requested", messageId: unique("m") });
    await settleSends(`user:${user}`);
    const code = /https:\/\/go\.brand\.example\/([0-9A-Za-z]+)/.exec((await inbox(to))[0]!)![1];
    advanceClock(60_000);
    const r = await open(`https://go.brand.example/${code}`, ANDROID);
    expect([r.status, r.location?.startsWith("https://shop.example/pricing")]).toEqual([302, true]);
    // The same path on another host is not a short link.
    expect((await open(`https://api.brand.example/${code}`)).status).toBe(404);
    await api("PUT", "/v1/settings/links", { base: "https://t.example/l", ttl: "P30D" });
  });
});
