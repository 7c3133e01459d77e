/** Contact flags (`support_case_open`, `order_open`, …): set and cleared by events and the API. */
import { now } from "../clock";
import type { Session } from "../contacts/session";

/** The contact's flags. */
export function flagsOf(s: Session): Set<string> {
  return new Set(s.store.all<{ name: string }>("SELECT name FROM flags").map((r) => r.name));
}

/** Set (true) or clear (false) a flag; true when something changed. */
export function setFlag(s: Session, name: string, on: boolean, source: string): boolean {
  const changed = on
    ? s.store.run("INSERT OR IGNORE INTO flags (name, source, at) VALUES (?, ?, ?)", name, source, now()) > 0
    : s.store.run("DELETE FROM flags WHERE name = ?", name) > 0;
  if (changed) s.store.touchContact();
  return changed;
}

/** Apply the flag mapping of settings.rules.flagEvents to an event. */
export function applyFlagEvents(s: Session, event: string): void {
  const m = s.config.settings.rules.flagEvents[event];
  if (!m) return;
  for (const f of m.set) setFlag(s, f, true, `event:${event}`);
  for (const f of m.clear) setFlag(s, f, false, `event:${event}`);
}
