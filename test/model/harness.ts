/**
 * Runs the model-based test: `runs` random sequences from `seed`, each against a fresh set of
 * people and numbers on the real Worker. Every run is checked to the end (so the count of runs
 * that broke an invariant is known); the first one that did is replayed and shrunk by fast-check.
 */
import fc from "fast-check";
import { OPERATIONS, Run } from "./commands";
import type { World } from "./world";
import type { Violation } from "./invariants";

/** A failing sequence after shrinking. */
export interface Shrunk {
  steps: string[];
  error: string;
  interrupted: boolean;
}

/** What a model run found. */
export interface ModelResult {
  seed: number;
  runs: number;
  /** Runs that broke at least one invariant. */
  violations: number;
  /** Distinct broken invariants over every run: "[n] detail" (ids stripped), with how many runs showed each. */
  kinds: Array<{ invariant: string; kind: string; runs: number }>;
  /** The first failing run: its steps and what broke. */
  first?: { run: number; steps: string[]; violations: Array<Violation & { step: number }> };
  /** The first failing run after shrinking (absent when the replay did not fail again). */
  shrunk?: Shrunk;
  /** With `shrinkEach`: for each kind of violation, the first run showing it, shrunk to that kind. */
  shrunkEach?: Array<{ invariant: string; kind: string } & Partial<Shrunk>>;
  /** Steps run and gateway calls seen, over every run (how much the sequences did). */
  steps: number;
  calls: number;
  /** Time for the runs, and in all (with shrinking). */
  runsMs: number;
  ms: number;
}

/** The shape of a violation without run-specific ids and numbers, to group them. */
export function kindOf(v: Violation): string {
  return v.detail
    .replace(/\bm_[0-9a-z]+/g, "m_…")
    .replace(/\bc_[0-9a-z]+/g, "c_…")
    .replace(/\+\d{8,15}/g, "+…")
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "…")
    .replace(/\b[0-9a-f]{8}-k\d\b/g, "<key>")
    .replace(/\{.*\}/g, "{…}")
    .replace(/(user|anon):\d/g, "$1");
}

/** Run the model: `runs` sequences of at most `maxCommands` steps; shrink the first failure for at most `shrinkMs`. */
export async function runModel(opts: {
  seed: number;
  runs: number;
  maxCommands?: number;
  shrinkMs?: number;
  /** Shrink one run per kind of violation (each for at most 90 s), not only the first failing run. */
  shrinkEach?: boolean;
  /** Which violations are worth shrinking (default: all); the others are still counted and listed. */
  worth?: (v: Violation) => boolean;
}): Promise<ModelResult> {
  const started = Date.now();
  // Each run starts at its own minute of a week (reproducible on replay), then its steps.
  const commands = fc.tuple(fc.integer({ min: 0, max: 7 * 1440 - 1 }), fc.commands(OPERATIONS, { maxCommands: opts.maxCommands ?? 20, size: "max" }));
  const sequence = async (strict: false | ((v: Violation) => boolean), [offset, steps]: [number, Iterable<fc.AsyncCommand<Run, World>>]) => {
    const run = new Run(strict);
    await run.start(offset);
    run.trace.push(`start at ${new Date(run.world.now()).toISOString()}`);
    try {
      await fc.asyncModelRun(() => ({ model: run, real: run.world }), steps);
    } finally {
      lastTrace = run.trace;
    }
    return run;
  };
  let lastTrace: string[] = [];

  const failing: Array<{ index: number; run: Run }> = [];
  let index = 0;
  let steps = 0;
  let calls = 0;
  await fc.check(
    fc.asyncProperty(commands, async (cmds) => {
      const run = await sequence(false, cmds);
      steps += run.trace.length - 1;
      calls += [...run.callsById.values()].reduce((a, b) => a + b, 0);
      if (run.violations.length) failing.push({ index, run });
      index++;
      return true;
    }),
    { seed: opts.seed, numRuns: opts.runs },
  );

  const runsMs = Date.now() - started;
  const counts = new Map<string, { invariant: string; kind: string; runs: number }>();
  for (const { run } of failing) {
    const kinds = new Set(run.violations.map((v) => `${v.invariant}\u0000${kindOf(v)}`));
    for (const k of kinds) {
      const [invariant, kind] = k.split("\u0000") as [string, string];
      const c = counts.get(k) ?? { invariant, kind, runs: 0 };
      c.runs++;
      counts.set(k, c);
    }
  }
  const result: ModelResult = {
    seed: opts.seed, runs: opts.runs, violations: failing.length,
    kinds: [...counts.values()].sort((a, b) => b.runs - a.runs || a.invariant.localeCompare(b.invariant)), steps, calls, runsMs, ms: 0,
  };
  // Replay a failing run (same seed, its path) with checks that throw, so fast-check shrinks it.
  const shrink = async (index: number, fatal: (v: Violation) => boolean, ms: number): Promise<Shrunk | undefined> => {
    let shrunkTrace: string[] | undefined;
    const replay = await fc.check(
      fc.asyncProperty(commands, async (cmds) => {
        try {
          await sequence(fatal, cmds);
        } catch (err) {
          shrunkTrace = lastTrace;
          throw err;
        }
      }),
      { seed: opts.seed, numRuns: opts.runs, path: String(index), interruptAfterTimeLimit: ms, markInterruptAsFailure: false },
    );
    if (!replay.failed || !shrunkTrace) return undefined;
    const error = replay.errorInstance instanceof Error ? replay.errorInstance.message : String(replay.errorInstance ?? "");
    return { steps: shrunkTrace, error, interrupted: replay.interrupted };
  };
  const worth = opts.worth ?? (() => true);
  const first = failing.find((f) => f.run.violations.some(worth));
  if (first) {
    result.first = { run: first.index, steps: first.run.trace, violations: first.run.violations };
    result.shrunk = await shrink(first.index, worth, opts.shrinkMs ?? 60_000);
  }
  if (opts.shrinkEach) {
    result.shrunkEach = [];
    for (const k of result.kinds) {
      const same = (v: Violation) => v.invariant === k.invariant && kindOf(v) === k.kind;
      const where = failing.find((f) => f.run.violations.some(same));
      result.shrunkEach.push({ invariant: k.invariant, kind: k.kind, ...(where ? await shrink(where.index, same, Math.min(opts.shrinkMs ?? 60_000, 90_000)) : {}) });
    }
  }
  result.ms = Date.now() - started;
  return result;
}

/** The result as text: the one summary line first, then what broke and the shrunk sequence. */
export function describe(r: ModelResult): string {
  const lines = [`MODEL runs=${r.runs} seed=${r.seed} violations=${r.violations}`, `(${r.steps} steps, ${r.calls} gateway calls, runs ${Math.round(r.runsMs / 1000)} s, with shrinking ${Math.round(r.ms / 1000)} s)`];
  if (r.kinds.length) {
    lines.push("broken invariants (runs showing each):");
    for (const k of r.kinds) lines.push(`  [${k.invariant}] ×${k.runs} ${k.kind}`);
  }
  for (const e of r.shrunkEach ?? []) {
    lines.push(`[${e.invariant}] ${e.kind}`);
    if (!e.steps) lines.push("  (its replay did not fail again)");
    e.steps?.forEach((s, i) => lines.push(`  ${i}. ${s}`));
    if (e.error) lines.push(e.error.replace(/^/gm, "  ") + (e.interrupted ? "\n  (shrinking stopped at its time limit)" : ""));
  }
  if (r.shrunk) {
    lines.push(`shrunk sequence${r.shrunk.interrupted ? " (shrinking stopped at its time limit)" : ""}:`);
    r.shrunk.steps.forEach((s, i) => lines.push(`  ${i}. ${s}`));
    lines.push(r.shrunk.error);
  } else if (r.first) {
    lines.push(`first failing run #${r.first.run} (its replay did not fail again, so it is not shrunk):`);
    r.first.steps.forEach((s, i) => lines.push(`  ${i}. ${s}`));
    for (const v of r.first.violations) lines.push(`  after step ${v.step}: [${v.invariant}] ${v.detail}`);
  }
  return lines.join("\n");
}
