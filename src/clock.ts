/**
 * The one clock. Production reads `Date.now()`; tests set or advance an offset so a seven-day flow
 * runs in milliseconds. Tests share this module with the Worker and its Durable Objects (same isolate).
 * Every product time (stamps, timers, windows, reports) comes from now(); realNow() is only for what
 * the runtime measures in real time (alarms, queue delays, per-second pacing, cache ages).
 */
let offsetMs = 0;

/** Milliseconds since the epoch, as Tidings sees it. */
export function now(): number {
  return Date.now() + offsetMs;
}

/** Real wall-clock milliseconds: only for the runtime's own timing, never for a product time. */
export function realNow(): number {
  return Date.now();
}

/** The real instant at which now() will read `atMs` (a Durable Object alarm fires in real time). */
export function realTimeAt(atMs: number): number {
  return atMs - offsetMs;
}

/** Move simulated time forward (tests only). */
export function advanceClock(ms: number): void {
  offsetMs += ms;
}

/** Set simulated time to an instant (tests only). */
export function setClock(atMs: number): void {
  offsetMs = atMs - Date.now();
}

/** Back to real time (tests only). */
export function resetClock(): void {
  offsetMs = 0;
}

/** ISO string of an epoch-ms instant, or undefined. */
export function iso(ms: number | null | undefined): string | undefined {
  return ms == null ? undefined : new Date(ms).toISOString();
}
