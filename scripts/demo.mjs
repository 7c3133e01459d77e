// `npm run demo`: the cart-recovery story against the running local stack (`npm start` first).
// Two shoppers start checkout; one walks away, one buys. After the flow's short wait, only the one
// who walked away gets a reminder. Demo contacts get a time zone where it is daytime right now, so
// the story reads the same at any hour once quiet hours apply.
import { client, devVars, seed, waitFor } from "./lib.mjs";

const base = process.env.TIDINGS_URL ?? "http://127.0.0.1:8787";
const vars = devVars();
const owner = client(base, vars.OWNER_KEY);
const ingest = client(base, vars.INGEST_KEY);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An IANA zone where the local hour is now between 10:00 and 16:00 (Etc/GMT signs are inverted). */
function daytimeZone() {
  const utc = new Date().getUTCHours();
  const offset = ((13 - utc + 36) % 24) - 12; // aim for 13:00 local, offsets -12..+11
  return offset === 0 ? "Etc/UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

await waitFor(base, 10_000).catch(() => {
  console.error(`Nothing answers at ${base}. Start the local stack first: npm start`);
  process.exit(1);
});
await seed(owner);
const run = Date.now().toString(36);
const zone = daytimeZone();
const shoppers = [
  { userId: `demo-ada-${run}`, name: "Ada", phone: `+1415555${String(Date.now() % 10000).padStart(4, "0")}`, buys: false },
  { userId: `demo-bo-${run}`, name: "Bo", phone: `+1415556${String((Date.now() + 1) % 10000).padStart(4, "0")}`, buys: true },
];
console.log(`Demo contacts live in ${zone}, where it is daytime now (${new Date().toLocaleTimeString("en-GB", { timeZone: zone })}).\n`);

for (const s of shoppers) {
  await ingest("POST", "/v1/identify", { userId: s.userId, traits: { firstName: s.name, phone: s.phone, timezone: zone } });
  // Cart reminders are marketing: both shoppers ticked "text me" at checkout, with the words they agreed to.
  await ingest("POST", "/v1/track", { userId: s.userId, event: "Subscribed", properties: { purpose: "marketing", source: "form", text: "Yes, text me about my cart and offers (up to 4 msgs/month)." } });
  await ingest("POST", "/v1/track", { userId: s.userId, event: "Checkout Started", properties: { value: 64, currency: "USD", checkout_url: "https://shop.example/cart/" + s.name.toLowerCase() } });
  console.log(`${s.name} (${s.phone}) subscribed to texts and started a checkout worth $64.`);
}
const buyer = shoppers.find((s) => s.buys);
await ingest("POST", "/v1/track", { userId: buyer.userId, event: "Order Completed", properties: { order_id: `D-${run}`, revenue: 64, currency: "USD" } });
console.log(`${buyer.name} completed the order.\n\nThe cart-recovery flow waits 5 seconds before its reminder...`);

// Wait for the flow's 5 s step, the send queue and the records queue.
const deadline = Date.now() + 30_000;
let report;
do {
  await sleep(1000);
  report = await Promise.all(shoppers.map(async (s) => ({ s, msgs: (await owner("GET", `/v1/messages?contact=user:${s.userId}`)).messages })));
} while (Date.now() < deadline && !report.some((r) => r.msgs.some((m) => m.templateKey === "cart-reminder" && m.status === "delivered")));

console.log("");
for (const { s, msgs } of report) {
  const contact = await owner("GET", `/v1/contacts/user:${s.userId}`);
  const cartRun = contact.runs.find((r) => r.flow === "cart-recovery");
  console.log(`${s.name}: stage ${contact.stage}; cart-recovery run ${cartRun?.status ?? "none"}`);
  for (const m of [...msgs].reverse()) {
    const what = m.templateKey.startsWith("system:") ? "opt-in confirmation" : m.templateKey;
    console.log(`  ${m.status} [${what}, ${m.segments} segment(s), ${m.encoding}]\n    "${m.body}"`);
  }
}
const reminders = (r) => r.msgs.filter((m) => m.templateKey === "cart-reminder");
const ok = reminders(report.find((r) => !r.s.buys)).some((m) => m.status === "delivered") && reminders(report.find((r) => r.s.buys)).length === 0;
console.log(ok ? "\nThe shopper who walked away got one cart reminder; the buyer got none." : "\nUnexpected: see the lines above.");
process.exit(ok ? 0 : 1);
