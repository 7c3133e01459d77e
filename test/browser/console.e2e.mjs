// The console in a real browser (Debian's Chromium through playwright-core) against `wrangler dev`:
// sign in, watch the segments change as a curly apostrophe is typed, read why a contact's text
// waited, acknowledge a task, and check that an analyst is offered no edit controls (and refused).
// One wrangler and one browser for the whole file. Run: npm run test:browser
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seedConsoleData, signIn, startStack } from "./stack.mjs";

let stack;
let data;
let owner; // a signed-in owner's page
const browserErrors = []; // script errors and CSP refusals, from every page

before(async () => {
  stack = await startStack({ log: (m) => console.error(`[browser] ${m}`) });
  data = await seedConsoleData(stack);
  const ctx = await stack.browser.newContext({ viewport: { width: 1200, height: 900 } });
  owner = await ctx.newPage();
  owner.on("pageerror", (e) => browserErrors.push(e.message));
  owner.on("console", (m) => m.type() === "error" && browserErrors.push(m.text()));
}, { timeout: 150_000 });

after(async () => {
  await stack?.stop();
});

describe("the console in a browser", { timeout: 120_000 }, () => {
  it("signs in with an API key", async () => {
    await signIn(owner, stack.base, stack.vars.OWNER_KEY);
    assert.equal(await owner.getByRole("heading", { level: 1 }).textContent(), "Overview");
    assert.match(await owner.locator("figure").first().textContent(), /Contacts per stage/);
    const cookies = await owner.context().cookies();
    const session = cookies.find((c) => c.name === "tidings_session");
    assert.ok(session.httpOnly);
    assert.equal(session.sameSite, "Strict");
    assert.ok(!session.value.includes(stack.vars.OWNER_KEY));
  });

  it("shows the segments change when a curly apostrophe is typed", async () => {
    await owner.goto(`${stack.base}/console/templates/new`);
    const body = owner.locator("#f-body");
    // 100 characters: one GSM-7 segment (160), two as UCS-2 (70 per single message).
    await body.fill("Hi {{firstName}}, our winter sale starts today with 20% off everything in store. Reply STOP to opt out");
    await owner.locator("#pv-encoding", { hasText: "GSM-7" }).waitFor();
    assert.equal(await owner.locator("#pv-segments").textContent(), "1");
    await body.press("End");
    await body.pressSequentially(" – it’s");
    await owner.locator("#pv-encoding", { hasText: "UCS-2" }).waitFor({ timeout: 10_000 });
    assert.equal(await owner.locator("#pv-segments").textContent(), "2");
    assert.match(await owner.locator("#preview mark").first().textContent(), /[–’]/);
    assert.match(await owner.locator("#pv-smart").textContent(), /Smart encoding suggestion: replacing .*’ → '.*GSM-7, 1 segment \(saves 1\)/);
  });

  it("opens a contact's timeline and says why the text waited", async () => {
    await owner.goto(`${stack.base}/console/contacts`);
    await owner.getByLabel("Find a contact").fill(data.night.userId);
    await owner.getByRole("button", { name: "Search" }).click();
    await owner.waitForURL(/\/console\/contacts\/user%3Anight-/);
    const decision = owner.locator("#timeline [data-kind=decision] .explain").first();
    assert.match(await decision.textContent(), /^deferred: quiet hours in Florida until 08:00/);
    assert.match(await owner.locator("body").textContent(), /Yes, text me offers/);
  });

  it("acknowledges a task", async () => {
    await owner.goto(`${stack.base}/console/tasks`);
    const row = owner.locator(`tr[data-task="${data.task.id}"]`);
    assert.match(await row.textContent(), /pricing interest[\s\S]*Dana \(sales\)[\s\S]*due in (4 h 0|3 h 5\d) min/);
    await row.getByRole("button", { name: "Acknowledge" }).click();
    await owner.getByRole("status").filter({ hasText: "Acknowledged: pricing interest." }).waitFor();
    const after = owner.locator(`tr[data-task="${data.task.id}"]`);
    assert.match(await after.textContent(), /acknowledged/);
    assert.equal(await after.getByRole("button", { name: "Acknowledge" }).count(), 0);
  });

  it("offers an analyst no edit controls, and the API refuses the analyst's POST", async () => {
    const ctx = await stack.browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, stack.base, data.analystKey);
    assert.equal(await page.locator("[data-role]").textContent(), "analyst");
    for (const path of ["/console/templates/cart-reminder", "/console/settings/brand", "/console/tasks", "/console/flows/cart-recovery", `/console/contacts/user%3A${data.night.userId}`]) {
      await page.goto(stack.base + path);
      const buttons = await page.locator("main button, main textarea:not([disabled]), main fieldset:not([disabled]) input").count();
      assert.equal(buttons, 0, `${path} offers an analyst ${buttons} control(s)`);
    }
    await page.goto(`${stack.base}/console/templates`);
    assert.equal(await page.getByText("New template").count(), 0);
    // A hand-made POST with the session's own CSRF token still fails: the API refuses the role.
    const csrf = await page.locator("input[name=_csrf]").first().inputValue();
    const res = await ctx.request.post(`${stack.base}/console/settings/brand`, { form: { _csrf: csrf, "v.name": "Analyst", "v.support": "a@example.com", "v.defaultTimeZone": "UTC" }, maxRedirects: 0 });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /analyst role lacks the settings:write permission/);
    assert.notEqual((await stack.owner("GET", "/v1/settings/brand")).value.name, "Analyst");
    await ctx.close();
  });

  it("runs its scripts without an error or a refused script", () => {
    assert.deepEqual(browserErrors, []);
  });
});
