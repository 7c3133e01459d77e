// The model-based test (issue 20): random sequences of identity changes, consent changes, replies,
// suppression, erasure, sends, queue redeliveries and clock moves, run against the real Worker
// beside a reference model, with the invariants checked after every step. `npm test` runs a fixed
// seed; `npm run test:model -- --seed=<n> --runs=<k>` runs any (scripts/test-model.mjs).
import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { describe as summary, runModel } from "./harness";
import { prepareWorld } from "./world";

const vars = env as unknown as { MODEL_SEED?: string; MODEL_RUNS?: string; MODEL_STEPS?: string; MODEL_SHRINK?: string };
/** Set by scripts/test-model.mjs, which passes any seed. */
const scripted = Boolean(vars.MODEL_SEED);
const seed = scripted ? Number(vars.MODEL_SEED) : 20;
const runs = Number(vars.MODEL_RUNS || 12);
const maxCommands = Number(vars.MODEL_STEPS || 20);

beforeAll(async () => {
  await prepareWorld();
});

it(`keeps issue 20's invariants over ${runs} random sequences (seed ${seed})`, async () => {
  const result = await runModel({ seed, runs, maxCommands, shrinkMs: scripted ? 300_000 : 60_000, shrinkEach: vars.MODEL_SHRINK === "all" });
  const text = summary(result);
  console.log(text);
  // One line for scripts/test-model.mjs to read.
  console.log(`MODEL-RESULT ${JSON.stringify({ violations: result.violations, text })}`);
  expect(result.kinds).toEqual([]);
}, 6 * 3600_000);
