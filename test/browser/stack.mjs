// The stack the browser tests and `npm run screenshots` drive: `wrangler dev` on a free loopback port
// with fresh local state (D1 migrated first), run from a snapshot copy of the project so edits to
// the working tree cannot reload it mid-run, seeded through the public API; plus Debian's Chromium
// driven by playwright-core. Everything is stopped at the end, on error and on SIGINT/SIGTERM.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { freePort, killAllSync, repoRoot, runWrangler, snapshotProject, startServer, stopAll, tail, waitUntilUp } from "../../bench/lib.mjs";
import { client, devVars, seed } from "../../scripts/lib.mjs";

/** Where Debian puts Chromium (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** An IANA zone (Etc/GMT±N) where the local hour is now `hour` (give or take the minutes); Etc signs are inverted. */
export function zoneWhereHourIs(hour, at = new Date()) {
  const offset = ((hour - at.getUTCHours() + 36) % 24) - 12; // -12..+11
  return offset === 0 ? "Etc/UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

/** A tiny owners' webhook receiver that answers 200, so task notifications settle at once. */
function ownerHooks() {
  return new Promise((resolve) => {
    const srv = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

/**
 * Start Tidings and Chromium; returns { base, owner (API client), vars, browser, hookUrl, stop }.
 * Chromium starts while wrangler does.
 */
export async function startStack({ log = () => {} } = {}) {
  process.chdir(repoRoot);
  const vars = devVars(); // creates .dev.vars from the example when missing
  const work = mkdtempSync(path.join(tmpdir(), "tidings-console-"));
  const logFile = path.join(work, "wrangler.log");
  const stopOnSignal = () => {
    killAllSync();
    process.exit(1);
  };
  process.on("SIGINT", stopOnSignal);
  process.on("SIGTERM", stopOnSignal);
  process.on("exit", killAllSync);

  const dir = snapshotProject(repoRoot, path.join(work, "app"), ["bench", "test", "scripts", "dist", "docs"]);
  const state = path.join(work, "state");
  mkdirSync(state);
  const [port, inspector] = await Promise.all([freePort(), freePort()]);
  const browserP = chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  browserP.catch(() => {}); // reported below, after wrangler's own errors
  log("migrating the local D1");
  await runWrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], logFile);
  const server = startServer({
    name: "tidings",
    cwd: dir,
    port,
    logFile,
    args: ["--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--ip", "127.0.0.1", "--log-level", "warn", "--show-interactive-dev-session=false"],
  });
  log(`starting wrangler dev on :${port}`);
  await waitUntilUp(server, 120_000);
  const browser = await browserP.catch((e) => {
    throw new Error(`Chromium did not start from ${CHROMIUM} (install Debian's chromium): ${e.message}`);
  });
  const hooks = await ownerHooks();
  const base = server.url;
  const owner = client(base, vars.OWNER_KEY);
  await seed(owner);
  return {
    base,
    owner,
    vars,
    browser,
    hookUrl: `http://127.0.0.1:${hooks.address().port}/hooks`,
    logTail: () => tail(logFile, 40),
    async stop() {
      await browser.close().catch(() => {});
      hooks.close();
      await stopAll();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Poll `fn` until it returns a truthy value (or throw after `ms`). */
export async function eventually(fn, ms = 20_000, what = "condition") {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

/**
 * Demo data for the console: a contact whose marketing text waits for quiet hours, a task from a
 * pricing visit, an analyst key. Returns what the tests and screenshots look for.
 */
export async function seedConsoleData(stack, run = Date.now().toString(36)) {
  const { owner, hookUrl } = stack;
  await owner("PUT", "/v1/settings/routing", {
    owners: [{ id: "dana", name: "Dana (sales)", webhook: `${hookUrl}/dana` }],
    stageOwners: { subscriber: "dana", customer: "dana" },
    sla: { default: "PT4H" },
  });
  await owner("PUT", "/v1/flows/pricing-interest", {
    name: "Pricing interest",
    status: "active",
    job: "conversion",
    trigger: { event: "Pricing Viewed" },
    steps: [{ route: { intent: "pricing_interest" } }],
  });
  await owner("PUT", "/v1/templates/winter-sale", {
    body: "{{brand.name}}: our winter sale starts today, 20% off everything. Reply STOP to opt out.",
    job: "retention",
    purpose: "marketing",
    tags: ["sale"],
  });

  // Night where this contact lives (03:00 local), so a marketing text is deferred to 08:00.
  const nightZone = zoneWhereHourIs(3);
  // A Miami number (+1 305): Florida's quiet hours (08:00–20:00), in the contact's own zone.
  const night = { userId: `night-${run}`, phone: `+1305${2_000_000 + Math.floor(Math.random() * 7_000_000)}` };
  await owner("POST", "/v1/identify", { userId: night.userId, traits: { firstName: "Nia", phone: night.phone, timezone: nightZone } });
  await owner("POST", "/v1/track", { userId: night.userId, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Yes, text me offers (up to 4 msgs/month).", url: "https://shop.example/signup" } });
  const sent = await owner("POST", "/v1/messages", { contact: `user:${night.userId}`, template: "cart-reminder", properties: { checkout_url: "https://shop.example/cart/nia" } });

  // A pricing visit: the flow routes a task to Dana with a 4-hour SLA.
  const lead = { userId: `lead-${run}`, phone: `+1415556${String((Date.now() + 7) % 10000).padStart(4, "0")}` };
  await owner("POST", "/v1/identify", { userId: lead.userId, traits: { firstName: "Leo", phone: lead.phone, timezone: zoneWhereHourIs(13) } });
  await owner("POST", "/v1/track", { userId: lead.userId, event: "Pricing Viewed", properties: { plan: "pro" } });
  const leadId = (await owner("GET", `/v1/contacts/user:${lead.userId}`)).id;
  const task = await eventually(async () => (await owner("GET", "/v1/tasks")).tasks.find((t) => t.contactId === leadId), 30_000, "the pricing task in /v1/tasks");

  const analyst = await owner("POST", "/v1/keys", { name: `Analyst ${run}`, role: "analyst" });
  return { night, nightZone, deferred: sent, lead, task, analystKey: analyst.key };
}

/** Sign a page in with a key through the sign-in form. */
export async function signIn(page, base, key) {
  await page.goto(`${base}/console`);
  await page.getByLabel("API key").fill(key);
  await Promise.all([page.waitForURL(`${base}/console`), page.getByRole("button", { name: "Sign in" }).click()]);
}
