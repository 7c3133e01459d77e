#!/usr/bin/env node
// `npm run test:model -- --seed=<n> --runs=<k> [--steps=<m>] [--shrink=all]`: the model-based test
// (issue 20) with any seed, inside the Workers pool (`--shrink=all` shrinks one run per kind of violation). Prints one line `MODEL runs=<k> seed=<n> violations=<v>`, then what
// broke and the shrunk sequence; exits 1 on any violation (known defects included).
import { spawn } from "node:child_process";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z]+)=(.*)$/.exec(a);
    if (!m) {
      console.error(`unknown argument ${a}; use --seed=<n> --runs=<k> [--steps=<m>] [--shrink=all]`);
      process.exit(2);
    }
    return [m[1], m[2]];
  }),
);
const seed = args.seed ?? String(Date.now() % 2_147_483_647);
const runs = args.runs ?? "20";
const steps = args.steps ?? "20";
const shrink = args.shrink ?? "first";
if (shrink !== "first" && shrink !== "all") {
  console.error("--shrink must be first or all");
  process.exit(2);
}
for (const [name, v] of Object.entries({ seed, runs, steps })) {
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be a whole number, not ${v}`);
    process.exit(2);
  }
}

const root = path.resolve(import.meta.dirname, "..");
const child = spawn(path.join(root, "node_modules/.bin/vitest"), ["run", "test/model/model-based.test.ts"], {
  cwd: root,
  env: { ...process.env, MODEL_SEED: seed, MODEL_RUNS: runs, MODEL_STEPS: steps, MODEL_SHRINK: shrink },
  stdio: ["ignore", "pipe", "pipe"],
});
let out = "";
child.stdout.on("data", (d) => (out += d));
child.stderr.on("data", (d) => (out += d));
child.on("close", (code) => {
  const line = out.split("\n").find((l) => l.startsWith("MODEL-RESULT "));
  if (!line) {
    process.stdout.write(out);
    console.log(`MODEL runs=${runs} seed=${seed} violations=unknown (the test did not finish; vitest exited ${code})`);
    process.exit(1);
  }
  // The test prints its report (test/model/harness.ts describe()) as one JSON string: the summary line first.
  const r = JSON.parse(line.slice("MODEL-RESULT ".length));
  console.log(r.text);
  process.exit(r.violations > 0 ? 1 : 0);
});
