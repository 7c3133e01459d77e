// `npm run screenshots`: small PNGs of the console's main pages for the README (docs/console-*.png).
// Starts its own stack (wrangler dev with fresh state, Debian's Chromium), seeds a short story through
// the API: shoppers get a cart reminder and some buy (attributed revenue), one contact's text waits for
// quiet hours, a pricing visit becomes a task, a broadcast waits after its dry run. Then it
// photographs the pages at 1000 px wide.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../bench/lib.mjs";
import { eventually, seedConsoleData, signIn, startStack, zoneWhereHourIs } from "../test/browser/stack.mjs";

const out = path.join(repoRoot, "docs");
mkdirSync(out, { recursive: true });
const log = (m) => console.error(`[screenshots] ${m}`);
const stack = await startStack({ log });
try {
  const { owner } = stack;
  const data = await seedConsoleData(stack);
  log("seeding a cart-recovery story");
  const run = Date.now().toString(36);
  const day = zoneWhereHourIs(13);
  const names = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"];
  const shoppers = names.map((name, i) => ({ userId: `shop-${name.toLowerCase()}-${run}`, name, phone: `+1415557${String((Date.now() + i * 13) % 10000).padStart(4, "0")}`, buys: i % 3 !== 2 }));
  for (const s of shoppers) {
    await owner("POST", "/v1/identify", { userId: s.userId, traits: { firstName: s.name, phone: s.phone, timezone: day } });
    await owner("POST", "/v1/track", { userId: s.userId, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Yes, text me about my cart and offers." } });
    await owner("POST", "/v1/track", { userId: s.userId, event: "Checkout Started", properties: { value: 40 + names.indexOf(s.name) * 9, currency: "USD", checkout_url: `https://shop.example/cart/${s.name.toLowerCase()}` } });
  }
  // The flow waits 5 s before its reminder; buying after the reminder credits it with the order.
  await eventually(async () => {
    const { messages } = await owner("GET", "/v1/messages?flow=cart-recovery&limit=50");
    return messages.filter((m) => m.status === "delivered").length >= shoppers.length;
  }, 60_000, "the cart reminders");
  for (const s of shoppers.filter((x) => x.buys)) {
    await owner("POST", "/v1/track", { userId: s.userId, event: "Order Completed", properties: { order_id: `O-${s.name}-${run}`, revenue: 40 + names.indexOf(s.name) * 9, currency: "USD" } });
  }
  await new Promise((r) => setTimeout(r, 4000)); // the records queue batches for up to 2 s
  const broadcast = await owner("POST", "/v1/broadcasts", {
    name: "Winter sale", template: "winter-sale", segment: { stages: ["subscriber", "customer"] }, sendAt: { localTime: "10:00" }, holdout: 0.1, goal: { event: "Order Completed", within: "P7D" },
  });
  await eventually(async () => (await owner("GET", `/v1/broadcasts/${broadcast.id}`)).dryRun?.status === "done", 30_000, "the broadcast's dry run");

  const ctx = await stack.browser.newContext({ viewport: { width: 1000, height: 720 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  await signIn(page, stack.base, stack.vars.OWNER_KEY);
  const shoot = async (name, url, prepare) => {
    await page.goto(stack.base + url);
    if (prepare) await prepare();
    await page.screenshot({ path: path.join(out, `console-${name}.png`) });
    log(`docs/console-${name}.png`);
  };
  await shoot("overview", "/console");
  await shoot("template", "/console/templates/winter-sale", async () => {
    const body = page.locator("#f-body");
    await body.fill("{{brand.name}}: our winter sale starts today, 20% off everything. It’s on until Sunday. Reply STOP to opt out.");
    await page.locator("#pv-encoding", { hasText: "UCS-2" }).waitFor();
  });
  await shoot("contact", `/console/contacts/${encodeURIComponent(`user:${data.night.userId}`)}`, async () => {
    await page.locator("#timeline").scrollIntoViewIfNeeded();
  });
  await shoot("tasks", "/console/tasks");
  await shoot("flow", "/console/flows/cart-recovery", async () => {
    await page.locator("#flow-drawing").scrollIntoViewIfNeeded();
  });
  await shoot("builder", "/console/flows/cart-recovery/build", async () => {
    await page.locator('[data-card="steps"]').scrollIntoViewIfNeeded();
  });
  await shoot("simulate", "/console/flows/cart-recovery/build", async () => {
    await page.locator("#f-sim-timezone").fill(data.nightZone);
    await page.getByRole("button", { name: "Simulate" }).click();
    await page.locator("#walk").scrollIntoViewIfNeeded();
  });
  await shoot("broadcast", `/console/broadcasts/${broadcast.id}`);
  await ctx.close();
} finally {
  await stack.stop();
}
