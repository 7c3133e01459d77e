/**
 * A contact walked through a flow on a clock, with no sends and no I/O: the flow compiled as the
 * runner compiles it, each send put through the gate's own pure checks (consent, rules, caps, quiet
 * hours in the contact's zone), each wait moving the clock. What a marketer tries before going live.
 */
import { capsFor, type SentRecord } from "../caps/caps";
import { type Where, matches, pick } from "../conditions";
import type { ConsentState } from "../consent/ledger";
import { parseDuration } from "../duration";
import type { Decision } from "../gate/decision";
import { decide } from "../gate/gate";
import { DEFAULT_EXPIRY, type Job, type Settings } from "../settings/schema";
import { resolveZones } from "../time/contact-zone";
import { compile } from "./program";
import type { FlowBody } from "./schema";
import { waitUntilDue } from "./wait-until";

/** The simulated contact. */
export interface SimContact {
  phone: string | null;
  timezone?: string;
  stage?: string | null;
  traits: Record<string, unknown>;
  /** Purposes the contact has granted (others: none, unless implied by settings). */
  consent: string[];
  /** Walk as a member of the flow's control group. */
  holdout?: boolean;
}

/** An event the contact does during the run, `at` ms after the trigger. */
export interface SimEvent {
  name: string;
  at: number;
  properties: Record<string, unknown>;
}

/** One step of the walk. */
export interface SimStep {
  label: string;
  /** When the step ran (epoch ms). */
  at: number;
  /** The step in words: what it did. */
  what: string;
  /** For a send: the gate's decision (and, after a deferral, when it would go). */
  decision?: Decision & { sendsAt?: number };
}

/** The walk: every step, and how the run ended. */
export interface Simulation {
  steps: SimStep[];
  outcome: "completed" | "exited" | "converted" | "too_long";
  endedAt: number;
}

/** Everything the walk reads. */
export interface SimInput {
  flow: FlowBody & { key: string };
  settings: Settings;
  templates: ReadonlyMap<string, { status: string; purpose?: string; job?: string; tags?: readonly string[] }>;
  contact: SimContact;
  trigger: { name: string; properties: Record<string, unknown> };
  events: SimEvent[];
  start: number;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC";

/** Walk a contact through a flow. Pure: the same input gives the same walk. */
export function simulate(i: SimInput): Simulation {
  const program = compile(i.flow.steps);
  const steps: SimStep[] = [];
  const history: SentRecord[] = [];
  const c = i.contact;
  let stage = c.stage ?? null;
  let t = i.start;
  const q = i.settings.quietHours;
  const where = resolveZones({ timezone: c.timezone ?? null, tzSource: c.timezone ? "trait" : null, traits: c.traits, phone: c.phone }, i.settings.brand.defaultTimeZone, q);
  const zone = where.zones.length === 1 ? where.zones[0]! : i.settings.brand.defaultTimeZone;
  const events = [...i.events].sort((a, b) => a.at - b.at).map((e) => ({ ...e, at: i.start + e.at }));
  const subject = (name: string, properties: Record<string, unknown>) => ({ name, properties, traits: c.traits, stage });
  const arrived = (ev: { name: string; where?: Where }, from: number, to: number) =>
    events.find((e) => e.name === ev.name && e.at > from && e.at <= to && matches(ev.where, subject(e.name, e.properties)));
  const goal = i.flow.goal;
  const consent = (purpose: string): ConsentState =>
    c.consent.includes(purpose) ? "granted" : i.settings.consent.implied.includes(purpose) ? "implied" : "none";

  let pc = 0;
  for (let n = 0; n < 500; n++) {
    const reached = goal ? arrived({ name: goal.event, where: goal.where }, i.start, t) : undefined;
    if (reached) {
      steps.push({ label: "goal", at: reached.at, what: `reached the goal: ${goal!.event}` });
      return { steps, outcome: "converted", endedAt: reached.at };
    }
    const instr = program[pc]!;
    switch (instr.op) {
      case "wait":
        steps.push({ label: instr.label, at: t, what: `waits until ${iso(t + instr.ms)}` });
        t += instr.ms;
        pc++;
        break;
      case "wait_for": {
        const e = arrived({ name: instr.event, where: instr.where }, i.start, t + instr.timeoutMs);
        const seen = e && e.at <= t ? t : e?.at;
        steps.push({ label: instr.label, at: t, what: e ? `${instr.event} arrived at ${iso(seen!)}` : `no ${instr.event} by ${iso(t + instr.timeoutMs)}: timeout` });
        t = e ? seen! : t + instr.timeoutMs;
        pc = e ? instr.onEvent : instr.onTimeout;
        break;
      }
      case "wait_until": {
        let value: unknown;
        if (instr.date?.startsWith("traits.")) value = pick(c.traits, instr.date.slice(7));
        else if (instr.date) value = pick(i.trigger.properties, instr.date.slice(11));
        const due = waitUntilDue(instr, t, zone, value);
        if (due === "cancel") {
          steps.push({ label: instr.label, at: t, what: `no ${instr.date}: the wait is cancelled` });
          pc = instr.onCancel;
        } else {
          steps.push({ label: instr.label, at: t, what: due <= t ? "the time has passed: goes on at once" : `waits until ${iso(due)} (${zone})` });
          t = Math.max(t, due);
          pc++;
        }
        break;
      }
      case "branch": {
        const context = { traits: c.traits, stage, trigger: i.trigger };
        const hit = instr.cases.findIndex((cs) => matches(cs.when, context) && (!cs.event || arrived(cs.event, i.start, t)));
        steps.push({ label: instr.label, at: t, what: hit >= 0 ? `takes case ${hit + 1}` : "takes otherwise" });
        pc = hit >= 0 ? instr.cases[hit]!.to : instr.otherwise;
        break;
      }
      case "send":
        steps.push({ label: instr.label, at: t, what: `send ${instr.template}`, decision: sendDecision(i, instr, t, stage, history, consent, where) });
        pc++;
        break;
      case "set_stage":
        steps.push({ label: instr.label, at: t, what: `moves to stage ${instr.stage}` });
        stage = instr.stage;
        pc++;
        break;
      case "route":
        steps.push({ label: instr.label, at: t, what: `creates a task for the owner (${instr.intent})` });
        pc++;
        break;
      case "jump":
        pc = instr.to;
        break;
      case "exit":
        steps.push({ label: instr.label, at: t, what: "exits" });
        return { steps, outcome: "exited", endedAt: t };
      case "end": {
        const late = goal ? arrived({ name: goal.event, where: goal.where }, i.start, Infinity) : undefined;
        if (late) {
          steps.push({ label: "goal", at: late.at, what: `reached the goal after the last step: ${goal!.event}` });
          return { steps, outcome: "converted", endedAt: late.at };
        }
        return { steps, outcome: "completed", endedAt: t };
      }
    }
  }
  return { steps, outcome: "too_long", endedAt: t };
}

function sendDecision(
  i: SimInput,
  instr: { template: string; purpose?: string; job?: string; expiresIn?: number },
  t: number,
  stage: string | null,
  history: SentRecord[],
  consent: (p: string) => ConsentState,
  where: { zones: string[]; jurisdiction: string },
): Decision & { sendsAt?: number } {
  if (i.contact.holdout) return { outcome: "skipped", reason: "holdout", detail: `control group of ${i.flow.key}: not sent` };
  const tpl = i.templates.get(instr.template);
  const job = (instr.job ?? tpl?.job ?? i.flow.job) as Job;
  const purpose = instr.purpose ?? i.flow.purpose ?? tpl?.purpose ?? "transactional";
  const expiresAt = t + (instr.expiresIn ?? parseDuration(i.settings.messages.expiry[job] ?? DEFAULT_EXPIRY[job])!);
  const tags = tpl?.tags ?? [];
  const cap = { purpose, job, stage, flow: i.flow.key, tags };
  const q = i.settings.quietHours;
  const at = (now: number) =>
    decide({
      now,
      message: { purpose, job, expiresAt, tags },
      contact: { phone: i.contact.phone, suppressed: false, stage, flags: new Set() },
      consent,
      template: tpl,
      rules: i.settings.rules.rules,
      timing: {
        now,
        expiresAt,
        caps: capsFor(i.settings.caps.rules, cap, i.flow.cap),
        history,
        capPolicy: i.flow.on_cap ?? "defer",
        quiet: q.exempt.includes(purpose) ? undefined : { zones: where.zones, jurisdiction: where.jurisdiction, rules: q, brandWindow: q.brandWindow, fallbackZone: i.settings.brand.defaultTimeZone },
      },
    });
  const d = at(t);
  if (d.outcome === "sent") history.push({ ...cap, at: t });
  if (d.outcome !== "deferred") return d;
  // The gate looks again when the deferral ends, as the contact's timer would.
  const again = at(d.until!);
  if (again.outcome === "sent") history.push({ ...cap, at: d.until! });
  return { ...d, sendsAt: again.outcome === "sent" ? d.until : undefined };
}
