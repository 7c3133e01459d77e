/**
 * The flow builder's form, both ways: a flow drawn as named fields (the names are the paths the API's
 * zod errors give, so an error lands at its field) and the form read back into the JSON the API takes.
 * Structural edits (add, move, delete a step or a branch case) work on the JSON between round trips.
 */
import { parseDuration, parseSignedDuration } from "../../duration";
import type { FlowBody, Step } from "../../flows/schema";

/** A flow as the builder holds it: the API's shape, possibly invalid while being edited. */
export type Draft = Record<string, any>;

/** Duration units the builder offers, largest first. */
export const UNITS = [
  ["w", "weeks", 604_800_000],
  ["d", "days", 86_400_000],
  ["h", "hours", 3_600_000],
  ["min", "minutes", 60_000],
  ["s", "seconds", 1000],
] as const;

/** A duration as a number and a unit (the largest unit that divides it); blank when absent. */
export function splitDuration(iso: unknown): { n: string; unit: string; sign: 1 | -1 } {
  if (typeof iso !== "string" || !iso) return { n: "", unit: "h", sign: 1 };
  const ms = parseSignedDuration(iso);
  if (ms === undefined) return { n: iso, unit: "h", sign: 1 };
  const abs = Math.abs(ms);
  // Weeks only when written in weeks, so "P7D" reads back as 7 days (and saves unchanged).
  const [u, , size] = UNITS.find(([unit, , size]) => abs % size === 0 && (unit !== "w" || iso.includes("W"))) ?? UNITS[UNITS.length - 1]!;
  return { n: String(abs / size), unit: u, sign: ms < 0 ? -1 : 1 };
}

/** An ISO 8601 duration from a number and a unit; what was typed when it is not a number (zod names it). */
export function joinDuration(n: string | undefined, unit: string | undefined, sign: 1 | -1 = 1): string | undefined {
  const t = (n ?? "").trim();
  if (!t) return undefined;
  if (!/^\d+(\.\d+)?$/.test(t)) return t;
  const body = unit === "w" ? `P${t}W` : unit === "d" ? `P${t}D` : unit === "min" ? `PT${t}M` : unit === "s" ? `PT${t}S` : `PT${t}H`;
  return sign < 0 ? `-${body}` : body;
}

/** Condition operators, as the builder names them. */
export const OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "exists", "contains"] as const;

/** A condition map as rows of path, operator and value. */
export function whereRows(where: unknown): Array<{ path: string; op: string; value: string }> {
  if (!where || typeof where !== "object") return [];
  const rows: Array<{ path: string; op: string; value: string }> = [];
  for (const [path, test] of Object.entries(where as Record<string, unknown>)) {
    if (test !== null && typeof test === "object" && !Array.isArray(test)) {
      for (const [op, v] of Object.entries(test)) rows.push({ path, op, value: show(v) });
    } else rows.push({ path, op: "eq", value: show(test) });
  }
  return rows;
}

const show = (v: unknown): string => (Array.isArray(v) ? v.map(show).join(", ") : typeof v === "string" ? v : JSON.stringify(v));

/** A typed value: numbers and true/false/null as themselves, the rest as text. */
function scalar(t: string): string | number | boolean | null {
  const s = t.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === "true" || s === "false") return s === "true";
  if (s === "null") return null;
  return s;
}

type Form = Record<string, string>;

function readWhere(f: Form, name: string): Record<string, unknown> | undefined {
  const out: Record<string, any> = {};
  for (let i = 0; `${name}.${i}.path` in f; i++) {
    const path = f[`${name}.${i}.path`]!.trim();
    if (!path) continue;
    const op = f[`${name}.${i}.op`] ?? "eq";
    const raw = f[`${name}.${i}.value`] ?? "";
    const value = op === "in" || op === "nin" ? raw.split(",").map(scalar) : op === "exists" ? raw.trim() !== "false" : op === "contains" ? raw : scalar(raw);
    if (op === "eq" && !(path in out)) out[path] = value;
    else {
      const prev = out[path];
      out[path] = { ...(prev !== undefined && (prev === null || typeof prev !== "object") ? { eq: prev } : prev), [op]: value };
    }
  }
  return Object.keys(out).length ? out : undefined;
}

const text = (f: Form, k: string) => (f[k] ?? "").trim();
const opt = (f: Form, k: string) => text(f, k) || undefined;
const list = (f: Form, k: string) =>
  text(f, k)
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const dur = (f: Form, k: string) => joinDuration(f[`${k}.n`], f[`${k}.unit`], f[`${k}.sign`] === "-" ? -1 : 1);
const clean = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The steps of a list read from the form (`<list>.<i>.type` marks each card). */
export function readSteps(f: Form, listName: string): Step[] {
  const out: Step[] = [];
  for (let i = 0; `${listName}.${i}.type` in f; i++) out.push(readStep(f, `${listName}.${i}`));
  return out;
}

function nested(f: Form, p: string, key: string): Record<string, Step[]> {
  const steps = readSteps(f, `${p}.${key}`);
  return steps.length ? { [key]: steps } : {};
}

function readStep(f: Form, p: string): Step {
  switch (f[`${p}.type`]) {
    case "wait":
      return { wait: dur(f, `${p}.wait`) ?? "" };
    case "wait_until":
      return {
        wait_until: clean({ time: opt(f, `${p}.wait_until.time`), date: opt(f, `${p}.wait_until.date`), offset: dur(f, `${p}.wait_until.offset`), updated_by: list(f, `${p}.wait_until.updated_by`), cancelled_by: list(f, `${p}.wait_until.cancelled_by`) }),
        ...nested(f, p, "on_cancel"),
      } as Step;
    case "wait_for":
      return { wait_for: clean({ event: text(f, `${p}.wait_for.event`), where: readWhere(f, `${p}.wait_for.where`), timeout: dur(f, `${p}.wait_for.timeout`) ?? "" }), ...nested(f, p, "on_event"), ...nested(f, p, "on_timeout") } as Step;
    case "branch": {
      const cases = [];
      for (let ci = 0; `${p}.branch.${ci}.case` in f; ci++) {
        const c = `${p}.branch.${ci}`;
        const event = opt(f, `${c}.event.name`);
        cases.push(clean({ when: readWhere(f, `${c}.when`), event: event ? clean({ name: event, where: readWhere(f, `${c}.event.where`) }) : undefined, steps: readSteps(f, `${c}.steps`) }));
      }
      return { branch: cases, ...nested(f, p, "otherwise") } as Step;
    }
    case "send":
      return { send: clean({ template: text(f, `${p}.send.template`), purpose: opt(f, `${p}.send.purpose`), job: opt(f, `${p}.send.job`), expires_in: dur(f, `${p}.send.expires_in`) }) } as Step;
    case "route":
      return { route: { intent: text(f, `${p}.route.intent`) } };
    case "set_stage":
      return { set_stage: text(f, `${p}.set_stage`) };
    default:
      return { exit: true };
  }
}

/** The whole flow read from the builder's form. */
export function readDraft(f: Form): Draft {
  const trigger =
    f["trigger.kind"] === "absence"
      ? clean({ absence: { event: text(f, "trigger.absence.event"), for: dur(f, "trigger.absence.for") ?? "" }, stage: opt(f, "trigger.stage") })
      : clean({
          event: text(f, "trigger.event"),
          where: readWhere(f, "trigger.where"),
          stage: opt(f, "trigger.stage"),
          occurrences: text(f, "trigger.occurrences.count") ? { count: Number(text(f, "trigger.occurrences.count")), within: dur(f, "trigger.occurrences.within") ?? "" } : undefined,
        });
  const reentry = f["reentry.kind"] === "gap" ? (dur(f, "reentry") ?? "") : f["reentry.kind"] === "never" ? "never" : "always";
  const goal = opt(f, "goal.event");
  const capMax = text(f, "cap.max");
  const holdout = text(f, "holdout");
  return clean({
    name: text(f, "name"),
    status: f.status || "draft",
    job: f.job || "conversion",
    purpose: opt(f, "purpose"),
    trigger,
    reentry,
    goal: goal ? clean({ event: goal, where: readWhere(f, "goal.where") }) : undefined,
    cap: capMax ? { max: Number(capMax), window: dur(f, "cap.window") ?? "" } : undefined,
    on_cap: f.on_cap === "skip" ? "skip" : "defer",
    holdout: holdout ? (/^\d+(\.\d+)?$/.test(holdout) ? Number(holdout) / 100 : holdout) : 0,
    steps: readSteps(f, "steps"),
  });
}

/** A new step of a kind, with values that make sense to start from. */
export function newStep(kind: string, ctx: { template?: string; stage?: string }): Step {
  switch (kind) {
    case "wait_until":
      return { wait_until: { time: "10:00", updated_by: [], cancelled_by: [] } };
    case "wait_for":
      return { wait_for: { event: "Order Completed", timeout: "P1D" } };
    case "branch":
      return { branch: [{ steps: [] }] };
    case "send":
      return { send: { template: ctx.template ?? "" } };
    case "route":
      return { route: { intent: "follow_up" } };
    case "set_stage":
      return { set_stage: ctx.stage ?? "" };
    case "exit":
      return { exit: true };
    default:
      return { wait: "PT1H" };
  }
}

/** Step kinds, in the order the builder offers them. */
export const STEP_KINDS = [
  ["wait", "Wait"],
  ["wait_until", "Wait until a local time or date"],
  ["wait_for", "Wait for an event"],
  ["branch", "Branch"],
  ["send", "Send a template"],
  ["route", "Route to the owner (task)"],
  ["set_stage", "Set stage"],
  ["exit", "Exit"],
] as const;

/** The value at a dotted path of the draft. */
function at(root: unknown, path: string): any {
  return path.split(".").reduce<any>((o, k) => (o === null || o === undefined ? undefined : o[k]), root);
}

/** The list at a dotted path, created when missing (a branch's `otherwise`, a wait's `on_timeout`). */
function listAt(root: Draft, path: string): unknown[] | undefined {
  const i = path.lastIndexOf(".");
  const parent = i < 0 ? root : at(root, path.slice(0, i));
  const key = i < 0 ? path : path.slice(i + 1);
  if (!parent || typeof parent !== "object") return undefined;
  if (!Array.isArray(parent[key])) parent[key] = [];
  return parent[key];
}

const STEP_PATH = /^steps(\.\d+(\.(on_event|on_timeout|on_cancel|otherwise)|\.branch\.\d+\.steps))*(\.\d+)?$/;

/**
 * Apply a structural edit named by a button: `add:<list>` (kind and position from the form),
 * `up:<step>`, `down:<step>`, `delete:<step>`, `addcase:<step>`, `delcase:<step>.branch.<n>`.
 * Returns false for an action it does not know (nothing changes).
 */
export function applyEdit(d: Draft, action: string, f: Form, ctx: { template?: string; stage?: string }): boolean {
  const [verb, path = ""] = action.split(":", 2);
  if (verb === "add") {
    if (!STEP_PATH.test(path) || /\.\d+$/.test(path)) return false;
    const items = listAt(d, path);
    if (!items) return false;
    const pos = Number(f[`add.${path}.at`] ?? items.length);
    items.splice(Number.isInteger(pos) ? Math.max(0, Math.min(items.length, pos)) : items.length, 0, newStep(f[`add.${path}.kind`] ?? "wait", ctx));
    return true;
  }
  if (verb === "addcase" || verb === "delcase") {
    const m = /^(.*)\.branch(?:\.(\d+))?$/.exec(verb === "addcase" ? `${path}.branch` : path);
    const cases = m && STEP_PATH.test(m[1]!) ? at(d, `${m[1]}.branch`) : undefined;
    if (!Array.isArray(cases)) return false;
    if (verb === "addcase") cases.push({ steps: [] });
    else if (cases.length > 1) cases.splice(Number(m![2]), 1);
    return true;
  }
  const m = /^(.*)\.(\d+)$/.exec(path);
  if (!m || !STEP_PATH.test(path)) return false;
  const items = at(d, m[1]!);
  const i = Number(m[2]);
  if (!Array.isArray(items) || i >= items.length) return false;
  if (verb === "delete") items.splice(i, 1);
  else if (verb === "up" || verb === "down") {
    const j = verb === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= items.length) return false;
    [items[i], items[j]] = [items[j], items[i]];
  } else return false;
  return true;
}

/** The builder's starting point for a new flow: a trigger and one wait. */
export function emptyDraft(name: string): Draft {
  return { name, status: "draft", job: "conversion", trigger: { event: "" }, reentry: "always", on_cap: "defer", holdout: 0, steps: [] };
}

/** Only what the builder edits (the API's stored extras dropped). */
export function draftOf(flow: Record<string, unknown>): Draft {
  const { key: _k, version: _v, waiting: _w, ...body } = flow;
  return body as Draft;
}

/** Typed view for callers that know the draft is valid. */
export const asFlow = (d: Draft) => d as FlowBody;

/** Milliseconds of a duration (0 when it does not parse), for drawings. */
export const ms = (iso: unknown) => (typeof iso === "string" ? (parseDuration(iso) ?? 0) : 0);
