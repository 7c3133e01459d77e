/**
 * Many timers, one alarm: what a due timer does inside the contact's transaction, and the alarm
 * set for the earliest timer (or soon, while the outbox holds rows a queue did not take yet).
 */
import { absenceElapsed, wake } from "../flows/runner";
import { reconcileAgain } from "../gateway/dispatch-state";
import { dormantElapsed } from "../stages/rules";
import { slaElapsed } from "../tasks/tasks";
import { now, realNow, realTimeAt } from "../clock";
import { type Session, gateMessage } from "./session";
import type { ContactStore, TimerRow } from "./store";

/** Timers run per alarm; the alarm is re-armed at once for the rest. */
const PER_ALARM = 200;

/** Whether any timer is due now. */
export function timersDue(store: Session["store"]): boolean {
  return store.first("SELECT 1 FROM timers WHERE due_at <= ? LIMIT 1", now()) !== undefined;
}

/** Run the due timers, each deleted with its effect, so an alarm that fires twice does nothing twice. */
export function runDueTimers(s: Session): void {
  for (const t of s.store.all<TimerRow>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?", now(), PER_ALARM)) {
    if (!s.store.clearTimer(t.id)) continue; // already handled: alarms can fire twice
    if (t.kind === "run") wake(s, t.ref);
    else if (t.kind === "send") gateMessage(s, t.ref, "timer");
    else if (t.kind === "absence") absenceElapsed(s, t.ref);
    else if (t.kind === "sla") slaElapsed(s, t.ref);
    else if (t.kind === "dormant") dormantElapsed(s);
    else if (t.kind === "reconcile") reconcileAgain(s, t.ref);
  }
}

/** The contact's one Durable Object alarm. */
export class ContactAlarm {
  /** What the alarm is set to, as far as this instance knows (undefined: unknown). */
  private armedAt: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: ContactStore,
  ) {}

  /** Forget what the alarm was set to (it fired, or the storage was deleted). */
  forget(): void {
    this.armedAt = undefined;
  }

  /** Set the alarm for the earliest timer, or soon while the outbox holds rows; none for a merged contact. */
  async arm(): Promise<void> {
    let at: number | null = null;
    if (!this.store.contact()?.merged_into) {
      const next = this.store.first<{ at: number | null }>("SELECT min(due_at) AS at FROM timers")?.at ?? undefined;
      // The runtime fires alarms in real time; timers are in the clock's time (equal outside tests).
      const pending = this.store.first("SELECT 1 FROM outbox LIMIT 1") ? realNow() + 5_000 : undefined;
      const candidates = [next !== undefined ? realTimeAt(next) : undefined, pending].filter((x): x is number => x !== undefined);
      if (candidates.length) at = Math.min(...candidates);
    }
    // Most events leave the earliest timer where it was: no storage write for an unchanged alarm.
    // A woken instance reads the alarm first (a read), rather than rewriting it (a billed write) per event.
    if (this.armedAt === undefined) this.armedAt = await this.storage.getAlarm();
    if (at === this.armedAt) return;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.armedAt = at;
  }
}
