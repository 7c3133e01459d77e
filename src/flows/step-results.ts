/**
 * What happened at each step of a flow, read from D1 (no write of its own): runs waiting or ended at
 * the step (flow_runs), messages the step created by status, the gate's deferrals by reason
 * (decisions joined to their message), skips by reason, and conversions credited to the step's messages.
 */
import { now } from "../clock";

/** Results of one step, keyed by the runner's step label ("steps.2.on_timeout.0"). */
export interface StepResult {
  waiting: number;
  sent: number;
  failed: number;
  /** Messages the gate deferred, by reason (a message deferred twice counts once per reason). */
  deferred: Record<string, number>;
  skipped: Record<string, number>;
  /** Runs that reached the goal while at this step. */
  converted: number;
  /** Conversions credited (last touch) to this step's messages. */
  conversions: number;
}

const SENT = new Set(["queued", "dispatching", "dispatch_unknown", "sent", "delivered"]);

const blank = (): StepResult => ({ waiting: 0, sent: 0, failed: 0, deferred: {}, skipped: {}, converted: 0, conversions: 0 });

/** Per-step results of a flow over the last `days` days (runs waiting: now). */
export async function stepResults(db: D1Database, flowKey: string, days = 30): Promise<Record<string, StepResult>> {
  const since = now() - days * 86_400_000;
  const [runs, messages, deferrals, credited] = await db.batch([
    db.prepare("SELECT step, status, count(*) AS n FROM flow_runs WHERE flow_key = ? AND (status = 'active' OR updated_at >= ?) GROUP BY step, status").bind(flowKey, since),
    db.prepare("SELECT step, status, reason, count(*) AS n FROM messages WHERE flow_key = ? AND created_at >= ? AND step IS NOT NULL GROUP BY step, status, reason").bind(flowKey, since),
    db
      .prepare(
        `SELECT m.step AS step, d.reason AS reason, count(DISTINCT d.message_id) AS n FROM decisions d JOIN messages m ON m.id = d.message_id
         WHERE d.flow_key = ? AND d.at >= ? AND d.outcome = 'deferred' AND m.step IS NOT NULL GROUP BY m.step, d.reason`,
      )
      .bind(flowKey, since),
    db
      .prepare(
        `SELECT m.step AS step, count(*) AS n FROM outcomes o JOIN messages m ON m.id = o.message_id
         WHERE o.type = 'conversion' AND o.flow_key = ? AND o.at >= ? AND m.step IS NOT NULL GROUP BY m.step`,
      )
      .bind(flowKey, since),
  ]);
  const out: Record<string, StepResult> = {};
  const at = (step: string) => (out[step] ??= blank());
  for (const r of runs!.results as Array<{ step: string; status: string; n: number }>) {
    if (r.status === "active") at(r.step).waiting += r.n;
    else if (r.status === "converted") at(r.step).converted += r.n;
  }
  for (const r of messages!.results as Array<{ step: string; status: string; reason: string | null; n: number }>) {
    const s = at(r.step);
    if (SENT.has(r.status)) s.sent += r.n;
    else if (r.status === "failed") s.failed += r.n;
    else if (r.status === "skipped") s.skipped[r.reason ?? "unknown"] = (s.skipped[r.reason ?? "unknown"] ?? 0) + r.n;
  }
  for (const r of deferrals!.results as Array<{ step: string; reason: string; n: number }>) at(r.step).deferred[r.reason] = r.n;
  for (const r of credited!.results as Array<{ step: string; n: number }>) at(r.step).conversions += r.n;
  return out;
}
