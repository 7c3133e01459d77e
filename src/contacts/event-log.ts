/**
 * The contact's event log, inside its transaction: an event is written once (by its message id) and
 * then handed to flows. Identifies, track calls, replies, receipts and clicks all come in this way.
 */
import { now } from "../clock";
import { maxSeq, onEvent } from "../flows/runner";
import type { Session } from "./session";
import { EVENT_LOG_LIMIT } from "./store";

/** One event as the log keeps it. */
export interface LoggedEvent {
  /** The dedupe key: the same id twice is one event. */
  messageId: string;
  type: "identify" | "track";
  name: string | null;
  properties: Record<string, unknown>;
  /** When it happened. */
  at: number;
}

/** Write an event to the log once; false when its message id was there already. */
export function logEvent(s: Session, e: LoggedEvent): boolean {
  return (
    s.store.run(
      "INSERT OR IGNORE INTO events (message_id, type, name, properties, at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
      e.messageId, e.type, e.name, JSON.stringify(e.properties), e.at, now(),
    ) > 0
  );
}

/**
 * Write a named event once, apply what it means to the contact (`apply`: consent, flags, time
 * zone; before flows, so a flow it triggers sees them), then hand it to flows. False (nothing done)
 * when it was recorded before.
 */
export function recordEvent(s: Session, e: LoggedEvent & { name: string }, apply?: () => void): boolean {
  if (!logEvent(s, e)) return false;
  apply?.();
  onEvent(s, { seq: maxSeq(s), name: e.name, properties: e.properties, at: e.at });
  return true;
}

/** Keep the newest EVENT_LOG_LIMIT events (dedupe, `wait_for`, count and absence triggers read them). */
export function trimEventLog(s: Session): void {
  s.store.run("DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?", EVENT_LOG_LIMIT);
}
