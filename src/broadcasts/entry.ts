/**
 * A broadcast reaching one contact, inside its ContactDO: the segment's finer conditions, the
 * contact's send instant (its local time, or the broadcast's instant), then — in a dry run — what
 * the gate would decide at that instant, or — for real — a run of the broadcast's flow (once ever).
 */
import { now } from "../clock";
import { matches } from "../conditions";
import { type Session, decisionFor } from "../contacts/session";
import type { MessageRow, RunRow } from "../contacts/store";
import { parseDuration } from "../duration";
import { contactZone, maxSeq, startRun } from "../flows/runner";
import { waitUntilDue } from "../flows/wait-until";
import { inHoldout } from "../reports/attribution";
import { flagsOf } from "../rules/flags";
import type { Segment, SendAt } from "./schema";

/** What the fan-out asks of a contact. */
export interface BroadcastEntry {
  flowKey: string;
  dryRun: boolean;
  segment: Segment;
  sendAt: SendAt;
  /** Seconds after the send instant this contact's message is due (the broadcast's pace). */
  offsetSeconds: number;
}

/** What happened (or would happen) for the contact: the gate's outcome and reason, or `excluded`. */
export interface EntryResult {
  outcome: "sent" | "deferred" | "skipped" | "scheduled" | "excluded";
  reason: string;
  /** The contact's send instant (epoch ms). */
  at?: number;
}

/** Whether the contact is in the segment beyond stage and consent (those are checked from D1 first, and the stage again here). */
function inSegment(s: Session, seg: Segment): boolean {
  if (!s.contact.stage || !seg.stages.includes(s.contact.stage)) return false;
  if (seg.where && !matches(seg.where, { traits: JSON.parse(s.contact.traits), stage: s.contact.stage })) return false;
  const flags = flagsOf(s);
  if (seg.flags && (!seg.flags.all.every((f) => flags.has(f)) || seg.flags.none.some((f) => flags.has(f)))) return false;
  for (const e of seg.events) {
    const seen = s.store.first("SELECT 1 FROM events WHERE name = ? AND at >= ?", e.event, now() - parseDuration(e.within)!);
    if (Boolean(seen) === e.absent) return false;
  }
  return true;
}

/** The contact's send instant: the broadcast's instant, or its local time in the contact's zone. */
export function sendInstant(s: Session, sendAt: SendAt, at = now()): number {
  if ("at" in sendAt) return Date.parse(sendAt.at);
  const due = waitUntilDue({ time: sendAt.localTime, ...(sendAt.date ? { date: "properties.date" } : {}), offsetMs: 0 }, at, contactZone(s), sendAt.date);
  return due === "cancel" ? at : due;
}

/** Enter a contact into a broadcast (or, in a dry run, say what would happen). Idempotent: a second entry answers as the first. */
export function enterBroadcast(s: Session, e: BroadcastEntry): EntryResult {
  const flow = s.config.flows.get(e.flowKey);
  if (!flow) return { outcome: "excluded", reason: "broadcast_missing" };
  const existing = e.dryRun ? undefined : s.store.first<RunRow>("SELECT * FROM runs WHERE flow_key = ? ORDER BY started_at LIMIT 1", e.flowKey);
  if (existing) {
    const trigger = JSON.parse(existing.trigger) as { properties: { send_at?: string } };
    return { outcome: existing.holdout ? "skipped" : "scheduled", reason: existing.holdout ? "holdout" : "ok", at: Date.parse(trigger.properties.send_at ?? "") };
  }
  if (!inSegment(s, e.segment)) return { outcome: "excluded", reason: "segment" };
  const at = Math.max(sendInstant(s, e.sendAt), now()) + e.offsetSeconds * 1000;
  if (!e.dryRun) {
    startRun(s, flow, { seq: maxSeq(s), name: "(broadcast)", properties: { send_at: new Date(at).toISOString() } });
    const run = s.store.first<RunRow>("SELECT * FROM runs WHERE flow_key = ?", e.flowKey);
    return { outcome: run?.holdout ? "skipped" : "scheduled", reason: run?.holdout ? "holdout" : "ok", at };
  }
  if (inHoldout(s.contact.id, flow.key, flow.holdout)) return { outcome: "skipped", reason: "holdout", at };
  // The message the flow would create, decided at the send instant without storing anything.
  const send = flow.program.find((i) => i.op === "send") as { template: string; expiresIn?: number } | undefined;
  const tpl = send ? s.config.templates.get(send.template) : undefined;
  const probe = {
    id: "dry-run", flow_key: flow.key, template_key: send?.template ?? "", template_version: tpl?.version ?? null,
    purpose: flow.purpose ?? tpl?.purpose ?? "marketing", job: flow.job, expires_at: at + (send?.expiresIn ?? 6 * 3_600_000),
  } as MessageRow;
  const d = decisionFor(s, probe, at);
  return { outcome: d.outcome, reason: d.reason, at };
}
