/**
 * Flow runs inside a ContactDO: starting runs from triggers, moving them through their program,
 * waking them from timers and events. Every function runs inside the DO's transaction, so a timer is
 * deleted in the same commit as its effect and an alarm that fires twice does nothing twice.
 */
import { now } from "../clock";
import { matches, pick } from "../conditions";
import { resolveZones } from "../time/contact-zone";
import { waitUntilDue } from "./wait-until";
import { createTask } from "../tasks/tasks";
import { parseDuration } from "../duration";
import { newId } from "../ids";
import type { CompiledFlow } from "../settings/config";
import { type Session, createMessage, flowOf, recordDecision, setStage } from "../contacts/session";
import type { EventRow, RunRow } from "../contacts/store";
import { applyStageRules } from "../stages/rules";
import { inHoldout } from "../reports/attribution";
import { pickVariant } from "./variants";
import { eventOutcomes, revenueOf } from "../reports/outcomes";

/** An event as the runner sees it. */
export interface RunEvent {
  seq: number;
  name: string;
  properties: Record<string, unknown>;
  at: number;
}

const subject = (e: { name: string; properties: Record<string, unknown> }) => ({ event: e.name, properties: e.properties });

/** React to a new event: goals end runs, waiting runs wake, triggers start runs, absence timers move. */
export function onEvent(s: Session, e: RunEvent): void {
  applyStageRules(s, e); // first, so triggers and sends see the new stage; also moves the dormant timer
  eventOutcomes(s, e); // before goals end runs: credit goes to the message that led here
  for (const run of activeRuns(s)) {
    const flow = flowOf(s, run.flow_key, run.version);
    if (!flow) continue;
    // A goal event from before the event that started the run (a late batch) is not this run's outcome.
    if (flow.goal && flow.goal.event === e.name && e.at >= triggerAt(s, run) && matches(flow.goal.where, subject(e))) {
      convert(s, run, flow, e);
      continue;
    }
    const instr = flow.program[run.pc];
    if (instr?.op === "wait_for" && instr.event === e.name && matches(instr.where, subject(e))) {
      s.store.clearTimer(`run:${run.id}`);
      advance(s, run.id, instr.onEvent);
    } else if (instr?.op === "wait_until") {
      const trigger = JSON.parse(run.trigger) as { name: string };
      const key = instr.date?.startsWith("properties.") ? instr.date.slice(11) : undefined;
      if (instr.cancelledBy.includes(e.name)) retime(s, run, "cancel");
      else if (key && (e.name === trigger.name || instr.updatedBy.includes(e.name)) && key in e.properties) retime(s, run);
    }
  }
  for (const flow of s.config.flows.values()) {
    if (flow.status !== "active" || !("event" in flow.trigger)) continue;
    const t = flow.trigger;
    if (t.event !== e.name || !matches(t.where, subject(e))) continue;
    if (t.stage && s.contact.stage !== t.stage) continue;
    if (t.occurrences) {
      const since = e.at - parseDuration(t.occurrences.within)!;
      const seen = s.store
        .all<EventRow>("SELECT * FROM events WHERE name = ? AND at >= ? AND at <= ?", e.name, since, e.at)
        .filter((row) => matches(t.where, subject({ name: e.name, properties: JSON.parse(row.properties) })));
      if (seen.length < t.occurrences.count) continue;
    }
    startRun(s, flow, e);
  }
  refreshAbsenceTimers(s);
}

/** Start a run of `flow` unless its re-entry rule says no. */
export function startRun(s: Session, flow: CompiledFlow, e: RunEvent | { seq: number; name: string; properties: Record<string, unknown> }): string | undefined {
  if (!mayEnter(s, flow)) return undefined;
  const id = newId("r");
  const t = now();
  s.store.run(
    "INSERT INTO runs (id, flow_key, version, status, pc, started_at, started_seq, trigger, holdout) VALUES (?, ?, ?, 'active', 0, ?, ?, ?, ?)",
    id, flow.key, flow.version, t, e.seq, JSON.stringify({ name: e.name, properties: e.properties }), inHoldout(s.contact.id, flow.key, flow.holdout) ? 1 : 0,
  );
  s.flows.set(`${flow.key}@${flow.version}`, flow);
  advance(s, id, 0);
  return id;
}

function mayEnter(s: Session, flow: CompiledFlow): boolean {
  const last = s.store.first<RunRow>("SELECT * FROM runs WHERE flow_key = ? ORDER BY started_at DESC LIMIT 1", flow.key);
  if (!last) return true;
  if (last.status === "active") return false; // never two runs of one flow at once
  if (flow.reentry === "never") return false;
  if (flow.reentry === "always") return true;
  return now() - last.started_at >= parseDuration(flow.reentry)!;
}

/** Run a run's program from `pc` until it waits or ends. */
export function advance(s: Session, runId: string, pc: number): void {
  const run = s.store.first<RunRow>("SELECT * FROM runs WHERE id = ?", runId)!;
  const flow = flowOf(s, run.flow_key, run.version)!;
  const trigger = JSON.parse(run.trigger) as { name: string; properties: Record<string, unknown> };
  for (let guard = 0; guard < 10_000; guard++) {
    const instr = flow.program[pc]!;
    switch (instr.op) {
      case "wait":
        s.store.setTimer(`run:${run.id}`, now() + instr.ms, "run", run.id);
        return park(s, run.id, pc, instr.label, flow.job);
      case "wait_for": {
        // Events that arrived after the run started count: no race between "sent" and "bought".
        const seen = s.store
          .all<EventRow>("SELECT * FROM events WHERE name = ? AND seq > ? ORDER BY seq", instr.event, run.started_seq)
          .some((row) => matches(instr.where, subject({ name: instr.event, properties: JSON.parse(row.properties) })));
        if (seen) {
          pc = instr.onEvent;
          continue;
        }
        s.store.setTimer(`run:${run.id}`, now() + instr.timeoutMs, "run", run.id);
        return park(s, run.id, pc, instr.label, flow.job);
      }
      case "wait_until": {
        const due = waitUntilFor(s, run, instr, trigger);
        if (due === "cancel") {
          pc = instr.onCancel;
          continue;
        }
        if (due <= now()) {
          pc++;
          continue;
        }
        s.store.setTimer(`run:${run.id}`, due, "run", run.id);
        return park(s, run.id, pc, instr.label, flow.job);
      }
      case "branch": {
        const context = { traits: JSON.parse(s.contact.traits), stage: s.contact.stage, trigger };
        const hit = instr.cases.find((c) => matches(c.when, context) && (!c.event || eventSince(s, c.event, run.started_seq)));
        pc = hit ? hit.to : instr.otherwise;
        continue;
      }
      case "send":
        if (run.holdout) {
          holdBack(s, flow, instr.template);
          pc++;
          continue;
        }
        {
          // A variant test: the contact's variant, stable per contact, flow and step.
          const variant = instr.variants ? pickVariant(s.contact.id, flow.key, instr.label, instr.variants) : undefined;
          createMessage(s, {
            idemKey: `run:${run.id}:${pc}`, runId: run.id, flowKey: flow.key, step: instr.label, template: variant?.template ?? instr.template,
            purpose: instr.purpose ?? flow.purpose, job: instr.job ?? flow.job, expiresInMs: instr.expiresIn, properties: trigger.properties,
            ...(variant ? { variant: variant.label } : {}),
          });
        }
        pc++;
        continue;
      case "route":
        createTask(s, { intent: instr.intent, source: `flow:${flow.key}` });
        pc++;
        continue;
      case "set_stage":
        setStage(s, instr.stage, `flow:${flow.key}`);
        pc++;
        continue;
      case "jump":
        pc = instr.to;
        continue;
      case "exit":
        return finish(s, run.id, pc, "exited", instr.label, flow.job);
      case "end":
        return finish(s, run.id, pc, "completed", instr.label, flow.job);
    }
  }
  throw new Error(`flow ${flow.key} did not settle`);
}

/** A run's timer fired: a `wait` ends, a `wait_for` times out. */
export function wake(s: Session, runId: string): void {
  const run = s.store.first<RunRow>("SELECT * FROM runs WHERE id = ? AND status = 'active'", runId);
  if (!run) return;
  const instr = flowOf(s, run.flow_key, run.version)?.program[run.pc];
  if (instr?.op === "wait" || instr?.op === "wait_until") advance(s, run.id, run.pc + 1);
  else if (instr?.op === "wait_for") advance(s, run.id, instr.onTimeout);
}

/** End every active run of this contact (used on merge hand-over and later on erasure). */
export function activeRuns(s: Session): RunRow[] {
  return s.store.all<RunRow>("SELECT * FROM runs WHERE status = 'active'");
}

type WaitUntilInstr = Extract<CompiledFlow["program"][number], { op: "wait_until" }>;

/** The local zone a run's local times are in: the contact's one zone, else the brand's. */
export function contactZone(s: Session): string {
  const c = s.contact;
  const where = resolveZones(
    { timezone: c.timezone, tzSource: c.tz_source, traits: JSON.parse(c.traits), phone: c.phone },
    s.config.settings.brand.defaultTimeZone,
    s.config.settings.quietHours,
  );
  return where.zones.length === 1 ? where.zones[0]! : s.config.settings.brand.defaultTimeZone;
}

/** When a run's `wait_until` ends, reading its date from the contact's traits or the run's latest event. */
function waitUntilFor(s: Session, run: RunRow, instr: WaitUntilInstr, trigger: { name: string; properties: Record<string, unknown> }): number | "cancel" {
  let value: unknown;
  if (instr.date?.startsWith("traits.")) value = pick(JSON.parse(s.contact.traits), instr.date.slice(7));
  else if (instr.date) {
    const key = instr.date.slice(11);
    const names = [trigger.name, ...instr.updatedBy];
    // The newest event of the run that carries the property wins (an appointment moved).
    const rows = s.store.all<EventRow>(
      `SELECT * FROM events WHERE seq > ? AND name IN (${names.map(() => "?").join(",")}) ORDER BY seq DESC`,
      run.started_seq, ...names,
    );
    const carrier = rows.map((r) => JSON.parse(r.properties) as Record<string, unknown>).find((p) => key in p);
    value = pick(carrier ?? trigger.properties, key);
  }
  return waitUntilDue(instr, now(), contactZone(s), value);
}

/** Move a waiting `wait_until` to its new instant, or end it (now due, or cancelled). */
function retime(s: Session, run: RunRow, force?: "cancel"): void {
  const flow = flowOf(s, run.flow_key, run.version)!;
  const instr = flow.program[run.pc] as WaitUntilInstr;
  const due = force ?? waitUntilFor(s, run, instr, JSON.parse(run.trigger));
  if (due === "cancel") {
    s.store.clearTimer(`run:${run.id}`);
    return advance(s, run.id, instr.onCancel);
  }
  if (due <= now()) {
    s.store.clearTimer(`run:${run.id}`);
    return advance(s, run.id, run.pc + 1);
  }
  s.store.setTimer(`run:${run.id}`, due, "run", run.id);
}

/** A contact's traits changed: re-time waits that read their date from a trait. */
export function retimeTraitWaits(s: Session): void {
  for (const run of activeRuns(s)) {
    const instr = flowOf(s, run.flow_key, run.version)?.program[run.pc];
    if (instr?.op === "wait_until" && instr.date?.startsWith("traits.")) retime(s, run);
  }
}

function eventSince(s: Session, ev: { name: string; where?: Record<string, unknown> }, seq: number): boolean {
  return s.store
    .all<EventRow>("SELECT * FROM events WHERE name = ? AND seq > ?", ev.name, seq)
    .some((row) => matches(ev.where as never, subject({ name: ev.name, properties: JSON.parse(row.properties) })));
}

function park(s: Session, runId: string, pc: number, label: string, job: string): void {
  s.store.run("UPDATE runs SET pc = ? WHERE id = ?", pc, runId);
  s.store.touchRun(runId, label, job);
}

function finish(s: Session, runId: string, pc: number, status: string, label: string, job: string): void {
  s.store.run("UPDATE runs SET pc = ?, status = ?, ended_at = ? WHERE id = ?", pc, status, now(), runId);
  s.store.clearTimer(`run:${runId}`);
  s.store.touchRun(runId, label, job);
}

/** When the event that started a run happened (its own timestamp; the run's start when it left the log). */
function triggerAt(s: Session, run: RunRow): number {
  // Broadcasts and absence triggers start without an event of their own: their start is the run's start.
  const name = (JSON.parse(run.trigger) as { name: string }).name;
  if (name.startsWith("(") || name.startsWith("absence:")) return run.started_at;
  return s.store.first<{ at: number }>("SELECT at FROM events WHERE seq = ?", run.started_seq)?.at ?? run.started_at;
}

/** A control-group run reached a send step: nothing is sent; the decision says why. */
function holdBack(s: Session, flow: CompiledFlow, template: string): void {
  const detail = `control group of ${flow.key} (${Math.round(flow.holdout * 100)}% holdout): ${template} not sent`;
  recordDecision(s, { id: null, flow_key: flow.key }, { outcome: "skipped", reason: "holdout", detail });
}

function convert(s: Session, run: RunRow, flow: CompiledFlow, e: RunEvent): void {
  const label = flow.program[run.pc]?.label ?? "end";
  finish(s, run.id, run.pc, "converted", label, flow.job);
  s.store.record({
    kind: "conversion", id: `${run.id}:goal`, contactId: s.contact.id, runId: run.id, flowKey: flow.key, event: e.name,
    ...revenueOf(e.properties), at: e.at, holdout: run.holdout === 1, startedAt: run.started_at, job: flow.job,
  });
}

/**
 * Absence triggers: one timer per flow at (last matching event, stage entry or creation) + duration.
 * A run that already started after that instant means this quiet period was used.
 */
export function refreshAbsenceTimers(s: Session): void {
  for (const flow of s.config.flows.values()) {
    if (!("absence" in flow.trigger)) continue;
    const id = `absence:${flow.key}`;
    const due = absenceDue(s, flow);
    if (due === undefined) s.store.clearTimer(id);
    else s.store.setTimer(id, due, "absence", flow.key);
  }
}

function absenceDue(s: Session, flow: CompiledFlow): number | undefined {
  const t = flow.trigger;
  if (flow.status !== "active" || !("absence" in t)) return undefined;
  if (t.stage && s.contact.stage !== t.stage) return undefined;
  const last = s.store.first<{ at: number }>("SELECT max(at) AS at FROM events WHERE name = ?", t.absence.event)?.at ?? 0;
  const anchor = Math.max(last, t.stage ? (s.contact.stage_at ?? 0) : 0, s.contact.created_at);
  const due = anchor + parseDuration(t.absence.for)!;
  const used = s.store.first("SELECT 1 FROM runs WHERE flow_key = ? AND started_at >= ?", flow.key, due);
  return used ? undefined : due;
}

/** An absence timer fired: start the run if the quiet period really elapsed. */
export function absenceElapsed(s: Session, flowKey: string): void {
  const flow = s.config.flows.get(flowKey);
  if (!flow) return;
  const due = absenceDue(s, flow);
  if (due !== undefined && due <= now()) {
    const t = flow.trigger as { absence: { event: string } };
    startRun(s, flow, { seq: maxSeq(s), name: `absence:${t.absence.event}`, properties: {} });
  }
  refreshAbsenceTimers(s);
}

/** The newest event's sequence number (0 when none). */
export function maxSeq(s: Session): number {
  return s.store.first<{ seq: number | null }>("SELECT max(seq) AS seq FROM events")?.seq ?? 0;
}
