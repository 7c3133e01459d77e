// `npm start`: the whole local stack. Creates .dev.vars when missing, migrates the local D1, starts
// `wrangler dev` (local D1, Durable Objects, Queues, sandbox gateway) and seeds the demo configuration.
import { execFileSync, spawn } from "node:child_process";
import { client, devVars, seed, waitFor } from "./lib.mjs";

const port = process.env.PORT ?? "8787";
const base = `http://127.0.0.1:${port}`;
const vars = devVars();

execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit" });
const dev = spawn("npx", ["wrangler", "dev", "--port", port, "--ip", "127.0.0.1", ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));

await waitFor(base, 120_000);
const owner = client(base, vars.OWNER_KEY);
await seed(owner);
// Locally, short links point at this Worker.
await owner("PUT", "/v1/settings/links", { base: `${base}/l` });
console.log(`\nTidings is running at ${base}  (API docs: ${base}/docs; demo: npm run demo)`);
console.log(`Owner key: ${vars.OWNER_KEY}   Ingest key: ${vars.INGEST_KEY}\n`);
