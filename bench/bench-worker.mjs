// Starting Tidings under `wrangler dev` as the bench-only Worker bench/capacity-worker.ts (the whole
// product, with counters and a settable clock), for bench/capacity.mjs and bench/latency.mjs.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BenchFailure, freePort, log, repoRoot, runWrangler, snapshotProject, startServer, tail, waitUntilUp } from "./lib.mjs";

/**
 * The project's wrangler.toml with `main` pointing at `main`: every binding, queue, consumer and
 * migration stays as deployed.
 */
function benchConfig(dir, main) {
  const toml = readFileSync(path.join(dir, "wrangler.toml"), "utf8")
    .replace(/^name = .*$/m, 'name = "tidings-bench"')
    .replace(/^main = .*$/m, `main = "${main}"`);
  const file = path.join(dir, `wrangler.bench${main.endsWith(".js") ? ".bundled" : ""}.toml`);
  writeFileSync(file, toml);
  return file;
}

/**
 * Snapshot the repo under `work`, bundle bench/capacity-worker.ts once (served with --no-bundle, so
 * edits to the working tree cannot restart it mid-run), migrate a fresh local D1 and start it with
 * `vars` (e.g. GATEWAY, TWILIO_API_BASE). Returns the server handle (lib.mjs startServer).
 */
export async function startBenchWorker(work, { name = "tidings", vars = {} } = {}) {
  const dir = snapshotProject(repoRoot, path.join(work, name), ["test", "scripts", "dist"]);
  const state = path.join(work, `${name}-state`);
  mkdirSync(state);
  const logFile = path.join(work, `${name}.log`);
  log(`${name}: bundling bench/capacity-worker.ts, applying D1 migrations`);
  await runWrangler(dir, ["deploy", "--dry-run", "--outdir", "bundle", "-c", benchConfig(dir, "bench/capacity-worker.ts")], logFile);
  const config = benchConfig(dir, "bundle/capacity-worker.js");
  await runWrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "-c", config], logFile);
  const [port, inspector] = await Promise.all([freePort(), freePort()]);
  const server = startServer({
    name, cwd: dir, port, logFile,
    args: ["-c", config, "--no-bundle", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--ip", "127.0.0.1",
      "--log-level", process.env.BENCH_LOG_LEVEL || "warn", "--show-interactive-dev-session=false", ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
  });
  await waitUntilUp(server);
  return server;
}

/** Call the server; JSON in and out; throws a BenchFailure (with the log tail) on a non-2xx answer. */
export async function call(server, method, p, { body, key, headers = {} } = {}) {
  const res = await fetch(server.url + p, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) {
    const errors = await fetch(`${server.url}/__bench/errors`).then((r) => r.text()).catch(() => "");
    throw new BenchFailure(`${method} ${p}: HTTP ${res.status} ${text.slice(0, 600)}\n--- errors ---\n${errors.slice(-3000)}\n--- log tail ---\n${tail(server.logFile)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Set the product clock of the bench Worker. */
export const setClock = (server, at) => call(server, "POST", "/__bench/clock", { body: { at } });

/** The bench Worker's counters (see bench/capacity-worker.ts). */
export const benchStats = (server) => call(server, "GET", "/__bench/stats");

/**
 * Wait until nothing is in flight: every queue message produced has been consumed, no request or
 * consumer is running, and `extraBusy()` says false, twice in a row 100 ms apart.
 */
export async function waitIdle(server, { extraBusy = () => false, timeoutMs = 120_000 } = {}) {
  const t0 = Date.now();
  let calm = 0;
  while (Date.now() - t0 < timeoutMs) {
    const s = await call(server, "GET", "/__bench/idle");
    calm = s.consumed >= s.produced && s.inFlight === 0 && !extraBusy() ? calm + 1 : 0;
    if (calm >= 2) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new BenchFailure(`still busy after ${timeoutMs} ms\n--- log tail ---\n${tail(server.logFile)}`);
}
