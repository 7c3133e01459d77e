/**
 * When a `wait_until` step ends, pure: the next local `time`, or a date moved by an offset (and set
 * to a local time), in the contact's zone. "cancel" when the date is missing, cleared or unreadable.
 */
import { addLocalDays, localParts, localToInstantMs } from "../time/zoned";

const DAY = 86_400_000;

/** What the step says. */
export interface WaitUntilSpec {
  time?: string;
  date?: string;
  offsetMs: number;
}

/**
 * The instant the wait ends. `dateValue` is the value read from the step's `date` path (ISO date
 * "2026-12-01" or date-time). With a `time`, the offset counts whole days ("-P1D": the day before).
 */
export function waitUntilDue(spec: WaitUntilSpec, now: number, zone: string, dateValue?: unknown): number | "cancel" {
  if (!spec.date) {
    const today = localParts(now, zone).date;
    const at = localToInstantMs(today, spec.time!, zone);
    return at > now ? at : localToInstantMs(addLocalDays(today, 1), spec.time!, zone);
  }
  if (typeof dateValue !== "string" || dateValue.trim() === "") return "cancel";
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(dateValue);
  const instant = dateOnly ? undefined : Date.parse(dateValue);
  if (instant !== undefined && Number.isNaN(instant)) return "cancel";
  if (spec.time) {
    const localDate = dateOnly ? dateValue : localParts(instant!, zone).date;
    return localToInstantMs(addLocalDays(localDate, Math.round(spec.offsetMs / DAY)), spec.time, zone);
  }
  return (instant ?? localToInstantMs(dateValue, "00:00", zone)) + spec.offsetMs;
}
