// The console through the Worker, on the real runtime (D1, Durable Objects, queues): sign-in into a
// sealed cookie, CSRF on every form, the key's role deciding what the page offers and what the API
// refuses, revocation ending the session, the API's validation errors next to the fields, and bad
// input never answered with a 500.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, now, setClock } from "../src/clock";
import { utcDay } from "./calendar";
import { BASE, Browser } from "./console-browser";
import { INGEST, OWNER, api, flushRecords, optedIn, unique, withoutOptInConfirmation } from "./helpers";

async function keyFor(role: string) {
  const r = await api("POST", "/v1/keys", { name: unique(role), role });
  return { key: r.body.key as string, id: r.body.id as string };
}

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/templates/console-offer", { body: "Weekend offer: 20% off. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
});

describe("signing in", () => {
  it("seals the session in an HttpOnly, SameSite=Strict cookie scoped to /console, without the key in it", async () => {
    const b = new Browser();
    const r = await b.signIn(OWNER);
    expect(r.status).toBe(303);
    expect(r.location).toBe("/console");
    const cookie = r.setCookie.find((c) => c.startsWith("tidings_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).toMatch(/Max-Age=43200/);
    expect(cookie).not.toContain("tid_");
    const home = await b.fetch("/console");
    expect(home.status).toBe(200);
    expect(home.html).toContain("Contacts per stage");
    expect(home.html).toContain('data-role="owner"');
  });

  it("refuses an unknown key and an ingest key, and a sign-in form without its token", async () => {
    const b = new Browser();
    expect((await b.signIn("tid_not_a_real_key_at_all_000000000")).status).toBe(401);
    expect((await b.signIn(INGEST)).html).toContain("ingest key");
    expect(b.cookies.has("tidings_session")).toBe(false);
    const noToken = await new Browser().fetch("/console/login", { form: { key: OWNER } });
    expect(noToken.status).toBe(403);
  });

  it("sends a visitor without a session to the sign-in page, and back afterwards", async () => {
    const b = new Browser();
    const r = await b.fetch("/console/templates?status=active");
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/console/login?next=${encodeURIComponent("/console/templates?status=active")}`);
    const login = await b.fetch(r.location!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.html)![1]!;
    expect(login.html).toContain('value="/console/templates?status=active"');
    const signed = await b.fetch("/console/login", { form: { _csrf: csrf, key: OWNER, next: "/console/templates?status=active" } });
    expect(signed.location).toBe("/console/templates?status=active");
    // Never an open redirect.
    const b2 = new Browser();
    const l2 = await b2.fetch("/console/login");
    const t2 = /name="_csrf" value="([^"]+)"/.exec(l2.html)![1]!;
    expect((await b2.fetch("/console/login", { form: { _csrf: t2, key: OWNER, next: "https://evil.example/" } })).location).toBe("/console");
  });

  it("treats a changed cookie as no session", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const v = b.cookies.get("tidings_session")!;
    b.cookies.set("tidings_session", (v[0] === "A" ? "B" : "A") + v.slice(1));
    const r = await b.fetch("/console/contacts");
    expect(r.status).toBe(303);
    expect(r.location).toContain("/console/login");
  });

  it("ends the session after 12 hours", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    expect((await b.fetch("/console/tasks")).status).toBe(200);
    advanceClock(12 * 3600_000 + 1000);
    try {
      const r = await b.fetch("/console/tasks");
      expect(r.status).toBe(303);
      expect(r.location).toContain("why=expired");
    } finally {
      advanceClock(-(12 * 3600_000 + 1000));
    }
  });

  it("ends the session when its key is revoked", async () => {
    const editor = await keyFor("editor");
    const b = new Browser();
    await b.signIn(editor.key);
    expect((await b.fetch("/console/templates")).status).toBe(200);
    expect((await api("DELETE", `/v1/keys/${editor.id}`)).status).toBe(200);
    const r = await b.fetch("/console/templates");
    expect(r.status).toBe(303);
    expect(r.location).toContain("why=revoked");
    expect(b.cookies.has("tidings_session")).toBe(false);
  });

  it("signs out", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const r = await b.post("/console/logout", {});
    expect(r.location).toBe("/console/login");
    expect((await b.fetch("/console")).status).toBe(303);
  });
});

describe("CSRF", () => {
  it("refuses a form without its token, with another session's token, or from another origin", async () => {
    const a = new Browser();
    await a.signIn(OWNER);
    const other = new Browser();
    await other.signIn(OWNER);
    const form = { "v.name": "Hijacked", "v.support": "x@example.com", "v.defaultTimeZone": "UTC" };
    const before = (await api("GET", "/v1/settings/brand")).body.value;
    expect((await a.fetch("/console/settings/brand", { form })).status).toBe(403);
    expect((await a.fetch("/console/settings/brand", { form: { ...form, _csrf: "forged" } })).status).toBe(403);
    expect((await a.fetch("/console/settings/brand", { form: { ...form, _csrf: await other.token() } })).status).toBe(403);
    expect((await a.fetch("/console/settings/brand", { form: { ...form, _csrf: await a.token() }, headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect((await api("GET", "/v1/settings/brand")).body.value).toEqual(before);
  });
});

describe("roles", () => {
  it("shows an analyst no edit controls, and the API refuses an analyst's POST", async () => {
    const analyst = await keyFor("analyst");
    const b = new Browser();
    await b.signIn(analyst.key);
    const tpl = await b.fetch("/console/templates/console-offer");
    expect(tpl.status).toBe(200);
    expect(tpl.html).toContain("Weekend offer");
    expect(tpl.html).not.toContain('id="template-form"');
    expect(tpl.html).not.toContain("Retire this template");
    expect((await b.fetch("/console/templates")).html).not.toContain("New template");
    const settings = await b.fetch("/console/settings/brand");
    expect(settings.html).toContain("<fieldset disabled");
    expect(settings.html).not.toContain("Save brand");
    expect((await b.fetch("/console/tasks")).html).not.toContain("Acknowledge");
    expect((await b.fetch("/console/flows/nothing-here")).html).not.toContain('name="flow"');
    const contact = await optedIn(unique("u"), "+14155550199");
    expect((await b.fetch(`/console/contacts/${contact}`)).html).not.toContain("Move to stage");

    // A hand-made POST with a valid token: the API itself refuses, and nothing changes.
    const before = (await api("GET", "/v1/settings/brand")).body.value;
    const r = await b.post("/console/settings/brand", { "v.name": "Analyst was here", "v.support": "a@example.com", "v.defaultTimeZone": "UTC" });
    expect(r.status).toBe(403);
    expect(r.html).toContain("analyst role lacks the settings:write permission");
    expect((await api("GET", "/v1/settings/brand")).body.value).toEqual(before);
    expect((await b.post("/console/templates/console-offer/retire", {})).status).toBe(403);
  });

  it("shows an editor the template editor but not the task buttons", async () => {
    const editor = await keyFor("editor");
    const b = new Browser();
    await b.signIn(editor.key);
    expect((await b.fetch("/console/templates/console-offer")).html).toContain('id="template-form"');
    expect((await b.fetch("/console/contacts")).html).toContain("Find a contact");
  });

  it("shows a sender the task and broadcast controls but not the template editor", async () => {
    const sender = await keyFor("sender");
    const b = new Browser();
    await b.signIn(sender.key);
    expect((await b.fetch("/console/templates/console-offer")).html).not.toContain('id="template-form"');
    expect((await b.fetch("/console/broadcasts")).html).toContain("New broadcast");
    expect((await b.fetch("/console/settings/brand")).html).toContain("<fieldset disabled");
    const r = await b.post("/console/templates/console-offer/retire", {});
    expect(r.status).toBe(403);
    expect(r.html).toContain("sender role lacks the templates:write permission");
  });
});

describe("forms show the API's errors next to the field", () => {
  it("a settings section", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const r = await b.post("/console/settings/brand", { "v.name": "Juniper", "v.support": "help@juniper.example", "v.defaultTimeZone": "Mars/Olympus" });
    expect(r.status).toBe(400);
    expect(r.html).toMatch(/<p class="error" id="f-defaultTimeZone-error" data-field-error="f-defaultTimeZone">an IANA time zone such as Europe\/Warsaw<\/p>/);
    expect(r.html).toContain('value="Mars/Olympus"'); // what was typed stays
    const json = await b.post("/console/settings/caps", { "v.rules": "[{not json" });
    expect(json.status).toBe(400);
    expect(json.html).toMatch(/id="f-rules-error"[^>]*>not valid JSON/);
    const ok = await b.post("/console/settings/brand", { "v.name": "Juniper & Co", "v.support": "help@juniper.example", "v.defaultTimeZone": "America/New_York" });
    expect(ok.status).toBe(303);
    expect((await api("GET", "/v1/settings/brand")).body.value.defaultTimeZone).toBe("America/New_York");
  });

  it("a template: lint errors refuse the save, naming the body", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const key = unique("tpl");
    const r = await b.post("/console/templates/new", { key, body: "Hi {{shoeSize}}, Reply CANCEL to cancel your visit", job: "service", purpose: "transactional", status: "active" });
    expect(r.status).toBe(400);
    expect(r.html).toMatch(/id="f-body-error"[^>]*>[^<]*shoeSize/);
    expect((await api("GET", `/v1/templates/${key}`)).status).toBe(404);
    const saved = await b.post("/console/templates/new", { key, body: "Your visit is tomorrow at 10:00.", job: "service", purpose: "transactional", status: "active" });
    expect(saved.status).toBe(303);
    expect(saved.location).toContain(`/console/templates/${key}?ok=Saved`);
    expect((await api("GET", `/v1/templates/${key}`)).body.version).toBe(1);
    const retired = await b.post(`/console/templates/${key}/retire`, {});
    expect(retired.status).toBe(303);
    expect((await api("GET", `/v1/templates/${key}`)).body.status).toBe("retired");
    // Bring version 1 back: its fields in the editor, saved as version 3.
    const from = await b.fetch(`/console/templates/${key}?from=1`);
    expect(from.html).toContain("Editing from version 1: saving makes it version 3.");
    expect(from.html).toMatch(/<option value="active" selected="">active<\/option>/);
    const restored = await b.post(`/console/templates/${key}`, { body: "Your visit is tomorrow at 10:00.", job: "service", purpose: "transactional", status: "active" }, `/console/templates/${key}`);
    expect(restored.location).toContain("Saved%20version%203");
    expect((await api("GET", `/v1/templates/${key}`)).body.status).toBe("active");
  });

  it("a flow's JSON", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const key = unique("flow");
    const bad = await b.post(`/console/flows/${key}`, { flow: JSON.stringify({ name: "x", status: "active", job: "conversion", trigger: { event: "A" }, steps: [{ send: { template: "no-such-template" } }] }) });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-flow-error"[^>]*>steps: template no-such-template does not exist/);
    const ok = await b.post(`/console/flows/${key}`, { flow: JSON.stringify({ name: "x", status: "active", job: "conversion", trigger: { event: "A" }, steps: [{ wait: "PT1H" }, { send: { template: "console-offer" } }] }) });
    expect(ok.status).toBe(303);
    const paused = await b.post(`/console/flows/${key}/status`, { status: "paused" }, `/console/flows/${key}`);
    expect(paused.status).toBe(303);
    expect((await api("GET", `/v1/flows/${key}`)).body.status).toBe("paused");
  });
});

describe("the template preview", () => {
  it("turns UCS-2 when a curly apostrophe is typed, and suggests smart encoding", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const csrf = await b.token("/console/templates/new");
    const preview = (body: string) =>
      b.fetch("/console/templates/preview", { form: { _csrf: csrf, body, job: "retention", purpose: "marketing" }, headers: { "x-preview": "fragment", "x-csrf-token": csrf } });
    const plain = await preview("Hi {{firstName}}, it's back. Reply STOP to opt out.");
    expect(plain.html).toContain('data-encoding="GSM-7"');
    expect(plain.html).toContain("Hi Ada, it&#39;s back");
    const curly = await preview("Hi {{firstName}}, it’s back. Reply STOP to opt out.");
    expect(curly.html).toContain('data-encoding="UCS-2"');
    expect(curly.html).toContain('<mark title="&quot;’&quot; (U+2019)" data-char="’">’</mark>');
    expect(curly.html).toContain("Smart encoding suggestion");
    expect(curly.html).toContain('data-rule="replaceable_ucs2"');
  });

  it("works without scripts: the Preview button redraws the editor with what was typed", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const r = await b.post("/console/templates/preview", { key: "", body: "Hello {{firstName}} “friend”", job: "service", purpose: "transactional", status: "draft" }, "/console/templates/new");
    expect(r.status).toBe(200);
    expect(r.html).toContain('id="template-form"');
    expect(r.html).toContain("Hello {{firstName}} “friend”</textarea>");
    expect(r.html).toContain('data-encoding="UCS-2"');
    expect(r.html).toContain("Hello Ada");
  });
});

describe("a contact's timeline", () => {
  it("says in words why a message waited", async () => {
    // 03:00 UTC the next day is 22:00 in Miami (EST): past Florida's 20:00, so a marketing text waits for 08:00.
    const back = now();
    setClock(Date.parse(utcDay(back, 1, 3)));
    try {
      const user = unique("fl");
      await optedIn(user, `+1305${2_000_000 + Math.floor(Math.random() * 7_000_000)}`);
      const sent = await api("POST", "/v1/messages", { contact: `user:${user}`, template: "console-offer" });
      expect(sent.body.decision ?? sent.body).toMatchObject({ outcome: "deferred" });
      const b = new Browser();
      await b.signIn(OWNER);
      const page = await b.fetch(`/console/contacts/${encodeURIComponent(`user:${user}`)}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain("deferred: quiet hours in Florida until 08:00");
      expect(page.html).toContain("Yes, text me offers."); // the consent ledger with what they agreed to
      expect(page.html).toContain("deferred send"); // the pending timer
      const search = await b.fetch(`/console/contacts?q=${encodeURIComponent(user)}`);
      expect(search.location).toBe(`/console/contacts/${encodeURIComponent(`user:${user}`)}`);
    } finally {
      setClock(back);
    }
  });
});

describe("tasks", () => {
  it("lists an owner's task with its SLA and acknowledges it", async () => {
    await api("PUT", "/v1/flows/console-pricing", { name: "Pricing interest", status: "active", job: "conversion", trigger: { event: "Console Pricing Viewed" }, steps: [{ route: { intent: "pricing_interest" } }] });
    const user = unique("lead");
    await api("POST", "/v1/identify", { userId: user, traits: { phone: "+14155550142" } });
    await api("POST", "/v1/track", { userId: user, event: "Console Pricing Viewed" });
    const contactId = (await api("GET", `/v1/contacts/user:${user}`)).body.id;
    await vi.waitFor(async () => {
      await flushRecords();
      expect((await api("GET", "/v1/tasks")).body.tasks.some((t: any) => t.contactId === contactId)).toBe(true);
    });
    const task = (await api("GET", "/v1/tasks")).body.tasks.find((t: any) => t.contactId === contactId);
    const b = new Browser();
    await b.signIn(OWNER);
    const list = await b.fetch("/console/tasks");
    expect(list.html).toContain(`data-task="${task.id}"`);
    expect(list.html).toMatch(/due in 4 h 0 min|due in 3 h 59 min/);
    const r = await b.post(`/console/tasks/${task.id}/ack`, {}, "/console/tasks");
    expect(r.status).toBe(303);
    expect(r.location).toContain("ok=Acknowledged");
    await flushRecords();
    expect((await api("GET", "/v1/tasks")).body.tasks.find((t: any) => t.id === task.id).state).toBe("acknowledged");
  });
});

describe("webhooks", () => {
  it("lists deliveries with their status and answer; an owner replays one, an analyst gets no Replay and is refused", async () => {
    const mock = (env as unknown as { TWILIO_MOCK: string }).TWILIO_MOCK;
    const secret = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    await api("PUT", "/v1/settings/webhooks", { endpoints: [{ id: "crm", url: `${mock}/hooks/${unique("console")}`, events: ["stage.changed"], secrets: [secret] }] });
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user });
    await api("PUT", `/v1/contacts/user:${user}/stage`, { stage: "customer" });
    const contactId = (await api("GET", `/v1/contacts/user:${user}`)).body.id;
    const b = new Browser();
    await b.signIn(OWNER);
    let id = "";
    await vi.waitFor(async () => {
      const page = await b.fetch("/console/webhooks?status=delivered");
      const m = new RegExp(`data-delivery="(whd_[0-9a-f]{32})"><td><strong>stage.changed</strong><div class="mute">msg_[0-9a-f]{32}</div><a href="/console/contacts/${contactId}"`).exec(page.html);
      expect(m).not.toBeNull();
      id = m![1]!;
    }, { timeout: 10_000, interval: 100 });
    const r = await b.post(`/console/webhooks/${id}/replay`, {}, "/console/webhooks");
    expect(r.status).toBe(303);
    expect(r.location).toContain("ok=Replaying");
    const analyst = new Browser();
    await analyst.signIn((await keyFor("analyst")).key);
    const seen = await analyst.fetch("/console/webhooks");
    expect(seen.html).toContain(id);
    expect(seen.html).not.toContain(`/console/webhooks/${id}/replay`);
    // A hand-made POST with the analyst's own valid token: the API refuses it.
    expect((await analyst.post(`/console/webhooks/${id}/replay`, {}, "/console/webhooks")).status).toBe(403);
  });
});

describe("broadcasts", () => {
  it("builds one with errors next to the fields, shows the dry run in words, launches and cancels", async () => {
    await optedIn(unique("bc"), "+14155550166");
    const b = new Browser();
    await b.signIn(OWNER);
    const form = { name: "Winter sale", template: "console-offer", when: "local", localTime: "10:00", expiresIn: "PT6H", holdout: "0", nonce: unique("n") };
    const bad = await b.post("/console/broadcasts", { ...form, localTime: "25:99" }, "/console/broadcasts");
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-stages-error"[^>]*>[^<]*(too small|at least)/i);
    expect(bad.html).toMatch(/id="f-localTime-error"[^>]*>a local time HH:mm/);
    const csrf = await b.token("/console/broadcasts");
    const created = await b.fetch("/console/broadcasts", { form: { _csrf: csrf, ...form, stage: "subscriber" } });
    expect(created.status).toBe(303);
    const page = created.location!.split("?")[0]!;
    await vi.waitFor(async () => expect((await b.fetch(page)).html).toContain("Dry run <span class=\"badge done\">"), { timeout: 10_000, interval: 100 });
    const html = (await b.fetch(page)).html;
    expect(html).toMatch(/will be sent at its time|not sent: no marketing consent/);
    expect((await b.post(`${page}/launch`, {}, page)).status).toBe(303);
    expect((await b.fetch(page)).html).toContain('<span class="badge running">running</span>');
    expect((await b.post(`${page}/cancel`, {}, page)).status).toBe(303);
    expect((await b.fetch(page)).html).toContain('<span class="badge cancelled">cancelled</span>');
    // An analyst reads the broadcast but gets no form and no buttons.
    const a = new Browser();
    await a.signIn((await keyFor("analyst")).key);
    expect((await a.fetch("/console/broadcasts")).html).not.toContain("New broadcast");
    expect((await a.fetch(page)).html).not.toContain("Launch");
  });
});

describe("every page", () => {
  it("renders for each role that may read, every settings section included", async () => {
    const { SECTIONS } = await import("../src/settings/schema");
    const pages = ["/console", "/console/flows", "/console/flows/cart-x", "/console/templates", "/console/templates/new", "/console/templates/console-offer", "/console/contacts", "/console/tasks", "/console/broadcasts", "/console/governance", "/console/settings", ...Object.keys(SECTIONS).map((s) => `/console/settings/${s}`)];
    for (const role of ["owner", "editor", "sender", "analyst"]) {
      const b = new Browser();
      await b.signIn(role === "owner" ? OWNER : (await keyFor(role)).key);
      for (const path of pages) {
        const r = await b.fetch(path);
        // Only "New template" is a page an editor's role decides; everything else reads.
        const expected = path === "/console/templates/new" && !["owner", "editor"].includes(role) ? 403 : 200;
        expect(r.status, `${role} ${path}`).toBe(expected);
      }
    }
  });

  it("prints the overview's numbers as text in its charts", async () => {
    const user = unique("ov");
    await optedIn(user, "+14155550177");
    await flushRecords();
    const b = new Browser();
    await b.signIn(OWNER);
    const html = (await b.fetch("/console")).html;
    const stages = /aria-label="Contacts per stage: ([^"]*)"/.exec(html)![1]!;
    const subscribers = Number(/subscriber (\d+)/.exec(stages)![1]);
    expect(subscribers).toBeGreaterThan(0);
    expect(html).toContain(`>${subscribers}</text>`);
    expect(html).toContain("Messages per day by outcome");
    expect(html).toContain('id="opt-out-rate"');
  });
});

describe("bad input", () => {
  it("never answers 500", async () => {
    const b = new Browser();
    await b.signIn(OWNER);
    const gets = [
      "/console/contacts/%ZZ",
      "/console/contacts/" + encodeURIComponent("user:" + "x".repeat(400)),
      "/console/contacts?q=%3Cscript%3E",
      "/console/contacts?q=" + "9".repeat(40),
      "/console/contacts?stage=%27%3B--&after=%00",
      "/console/templates/UPPER",
      "/console/templates/nope-nope",
      "/console/templates?status=zzz",
      "/console/flows/..%2F..",
      "/console/settings/nope",
      "/console/governance?from=yesterday&to=2026-13-45",
      "/console/governance?report=%00",
      "/console/tasks?state=zzz&owner=%00",
      "/console/nowhere",
      "/console/broadcasts/zzz",
      "/console/broadcasts/b_doesnotexist",
    ];
    for (const path of gets) {
      const r = await b.fetch(path);
      expect(r.status, path).toBeLessThan(500);
    }
    const token = await b.token();
    const posts: Array<[string, Record<string, string>]> = [
      ["/console/flows/x-bad", { flow: "{not json" }],
      ["/console/flows/x-bad", { flow: "[]" }],
      ["/console/flows/x-bad/status", { status: "active" }],
      ["/console/settings/brand", { "v.name": "" }],
      ["/console/settings/caps", { "v.rules": '"nope"' }],
      ["/console/settings/nope", {}],
      ["/console/templates/new", { key: "Bad Key", body: "" }],
      ["/console/templates/new", { key: "ok-key", body: "x", job: "nope", purpose: "NOPE", maxSegments: "lots", locales: "{" }],
      ["/console/templates/preview", { body: "x".repeat(5000), job: "zzz" }],
      ["/console/templates/nope-nope/retire", {}],
      ["/console/contacts/nobody/stage", { stage: "nowhere" }],
      ["/console/tasks/t_nope/ack", {}],
      ["/console/tasks/t_aaaaaaaaaaaaaaaaaaaa_aaaaaaaa/done", {}],
      ["/console/broadcasts", { name: "", template: "../x", stage: "nowhere", when: "at", at: "tomorrow", holdout: "lots", pace: "-1", segmentExtra: "{" }],
      ["/console/broadcasts", { name: "x", template: "console-offer", stage: "subscriber", when: "at", at: "1999-01-01T00:00", segmentExtra: '{"where": 5}' }],
      ["/console/broadcasts/b_doesnotexist/launch", {}],
      ["/console/broadcasts/zzz/cancel", {}],
    ];
    for (const [path, form] of posts) {
      const r = await b.fetch(path, { form: { _csrf: token, ...form } });
      expect(r.status, path).toBeLessThan(500);
    }
    // A body that is not a form at all.
    const raw = await exports.default.fetch(`${BASE}/console/settings/brand`, { method: "POST", headers: { cookie: `tidings_session=${b.cookies.get("tidings_session")}`, "content-type": "application/json" }, body: "{" });
    expect(raw.status).toBe(403);
  });
});
