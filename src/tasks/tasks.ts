/**
 * Tasks for people, inside the contact's DO transaction: a high-intent reply (or a flow's `route`
 * step) creates one for the contact's owner with an SLA timer; a task not acknowledged by its SLA
 * becomes `breached` and escalates. Owners are notified from the task's records (src/outbound/).
 */
import { now } from "../clock";
import type { Session } from "../contacts/session";
import { parseDuration } from "../duration";

/** A task row in the ContactDO. */
export interface TaskRow {
  id: string;
  intent: string;
  owner: string | null;
  reply: string | null;
  source: string;
  stage: string | null;
  state: "open" | "acknowledged" | "done" | "breached";
  sla_due_at: number;
  created_at: number;
  acked_at: number | null;
  done_at: number | null;
  breached_at: number | null;
  rev: number;
}

/** A task id names its contact, so the API reaches the right ContactDO without a lookup. */
export function taskId(contactId: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(8)).reduce((s, b) => s + (b % 36).toString(36), "");
  return `t_${contactId.slice(2)}_${rand}`;
}

/** The contact id inside a task id, or undefined. */
export function contactOfTask(id: string): string | undefined {
  const m = /^t_([0-9a-z]{20})_[0-9a-z]{8}$/.exec(id);
  return m ? `c_${m[1]}` : undefined;
}

/** The owner of a contact: its `owner` trait when that names an owner, else its stage's owner. */
function ownerOf(s: Session): string | null {
  const r = s.config.settings.routing;
  const trait = JSON.parse(s.contact.traits).owner;
  if (typeof trait === "string" && r.owners.some((o) => o.id === trait)) return trait;
  return r.stageOwners[s.contact.stage ?? ""] ?? null;
}

/** Open a task; returns its id. */
export function createTask(s: Session, t: { intent: string; reply?: string; source: string }): string {
  const r = s.config.settings.routing;
  const sla = parseDuration(r.sla[s.contact.stage ?? ""] ?? r.sla.default ?? "PT4H")!;
  const id = taskId(s.contact.id);
  const at = now();
  s.store.run(
    "INSERT INTO tasks (id, intent, owner, reply, source, stage, state, sla_due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
    id, t.intent, ownerOf(s), t.reply ?? null, t.source, s.contact.stage, at + sla, at,
  );
  s.store.setTimer(`sla:${id}`, at + sla, "sla", id);
  touchTask(s, id);
  return id;
}

/** The SLA passed: an open task becomes `breached` and the owner is notified again. */
export function slaElapsed(s: Session, id: string): void {
  const t = s.store.first<TaskRow>("SELECT * FROM tasks WHERE id = ?", id);
  if (!t || t.state !== "open") return;
  s.store.run("UPDATE tasks SET state = 'breached', breached_at = ? WHERE id = ?", now(), id);
  touchTask(s, id);
}

/** Acknowledge or close a task (idempotent); undefined when there is no such task. */
export function moveTask(s: Session, id: string, to: "acknowledged" | "done"): TaskRow | undefined {
  const t = s.store.first<TaskRow>("SELECT * FROM tasks WHERE id = ?", id);
  if (!t) return undefined;
  if (t.state === "done" || (to === "acknowledged" && t.state === "acknowledged")) return t;
  if (to === "acknowledged") s.store.run("UPDATE tasks SET state = 'acknowledged', acked_at = ? WHERE id = ?", now(), id);
  else s.store.run("UPDATE tasks SET state = 'done', done_at = ?, acked_at = coalesce(acked_at, ?) WHERE id = ?", now(), now(), id);
  s.store.clearTimer(`sla:${id}`);
  touchTask(s, id);
  return s.store.first<TaskRow>("SELECT * FROM tasks WHERE id = ?", id);
}

/** Project the task to D1; the records consumer derives the task's webhooks (the owner's included) from it. */
function touchTask(s: Session, id: string): void {
  s.store.run("UPDATE tasks SET rev = rev + 1 WHERE id = ?", id);
  const t = s.store.first<TaskRow>("SELECT * FROM tasks WHERE id = ?", id)!;
  s.store.record({
    kind: "task", id: t.id, rev: t.rev, contactId: s.contact.id, intent: t.intent, owner: t.owner, reply: t.reply, source: t.source,
    stage: t.stage, state: t.state, slaDueAt: t.sla_due_at, createdAt: t.created_at, ackedAt: t.acked_at, doneAt: t.done_at, breachedAt: t.breached_at,
  });
}
