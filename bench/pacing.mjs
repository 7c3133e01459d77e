#!/usr/bin/env node
/**
 * Pacing benchmark: a burst of messages to one sender, through the real send path of `wrangler dev`
 * (ContactDO → send queue → consumer → SenderDO slots → SMSAPI adapter) against the loopback SMSAPI
 * mock (test/mocks/provider-mock.mjs in front of Prism). The mock records when each request
 * arrived; the achieved rate is requests ÷ the seconds they spanned, compared with the sender's
 * configured rate. Prints `BENCH pacing configured=<r> achieved=<r> max_in_second=<n> ratio=<achieved/configured>`
 * (target 0.95–1.0, and never more than the rate in any second).
 * Knobs: BENCH_PACING_RATE (20 msg/s), BENCH_PACING_MESSAGES (400).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startProviderMock } from "../test/mocks/provider-mock.mjs";
import { freePort, log, mapLimit, repoRoot, runWrangler, sleep, snapshotProject, startServer, stopAll, waitUntilUp } from "./lib.mjs";

const RATE = Number(process.env.BENCH_PACING_RATE ?? 20);
const MESSAGES = Number(process.env.BENCH_PACING_MESSAGES ?? 400);

/** The local owner key from .dev.vars(.example). */
function ownerKey() {
  for (const f of [".dev.vars", ".dev.vars.example"]) {
    try {
      const m = /OWNER_KEY="?([^"\n]+)"?/.exec(readFileSync(path.join(repoRoot, f), "utf8"));
      if (m) return m[1];
    } catch {}
  }
  throw new Error("no OWNER_KEY in .dev.vars or .dev.vars.example");
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), "tidings-pacing-"));
  const [mockPort, port, inspector] = await Promise.all([freePort(), freePort(), freePort()]);
  const stopMock = await startProviderMock(mockPort, path.resolve(repoRoot, "../shared/reference/smsapi/smsapi_sms_do_subset.fixed.openapi.json"), repoRoot);
  try {
    const dir = snapshotProject(repoRoot, path.join(work, "tidings"), ["bench", "test", "scripts", "dist"]);
    const state = path.join(work, "state");
    mkdirSync(state);
    const logFile = path.join(work, "tidings.log");
    await runWrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], logFile);
    const server = startServer({
      name: "tidings", cwd: dir, port, logFile,
      args: ["--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--ip", "127.0.0.1", "--log-level", "warn",
        "--show-interactive-dev-session=false", "--var", `SMSAPI_API_BASE:http://127.0.0.1:${mockPort}`],
    });
    await waitUntilUp(server);
    const key = ownerKey();
    const call = async (method, p, body) => {
      const res = await fetch(server.url + p, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await call("PUT", "/v1/settings/caps", { rules: [] });
    await call("PUT", "/v1/settings/gateway", { publicBaseUrl: server.url });
    await call("PUT", "/v1/settings/senders", { senders: [{ id: "bench", gateway: "smsapi", from: "Bench", rate: RATE }] });
    await call("PUT", "/v1/templates/bench", { body: "Pacing {{properties.n}}", job: "transactional", purpose: "transactional", properties: ["n"] });
    log(`sending a burst of ${MESSAGES} messages to one sender at ${RATE}/s`);
    const to = "+48500100200";
    await mapLimit([...Array(MESSAGES).keys()], 16, (n) => call("POST", "/v1/messages", { to, template: "bench", properties: { n } }));
    const deadline = Date.now() + (MESSAGES / RATE) * 1000 * 2 + 60_000;
    let sent = [];
    while (Date.now() < deadline) {
      sent = (await (await fetch(`http://127.0.0.1:${mockPort}/__captured`)).json()).filter((r) => r.path === "/sms.do");
      if (sent.length >= MESSAGES) break;
      await sleep(500);
    }
    if (sent.length < MESSAGES) {
      process.exitCode = 1;
      throw new Error(`only ${sent.length} of ${MESSAGES} messages reached the gateway; see ${logFile}`);
    }
    const times = sent.map((r) => r.at).sort((a, b) => a - b);
    const perSecond = new Map();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    // Full seconds only: the first and last seconds of the burst are partial.
    const spanSeconds = (times.at(-1) - times[0]) / 1000;
    const achieved = (times.length - 1) / spanSeconds;
    const maxInSecond = Math.max(...perSecond.values());
    console.log(`BENCH pacing configured=${RATE} achieved=${achieved.toFixed(2)} max_in_second=${maxInSecond} ratio=${(achieved / RATE).toFixed(3)}`);
    if (maxInSecond > RATE) {
      console.error(`a second carried ${maxInSecond} messages, above the configured ${RATE}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    await stopMock();
    if (!process.exitCode) rmSync(work, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
