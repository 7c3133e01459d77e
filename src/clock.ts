/**
 * The one clock. Production reads `Date.now()`; tests set or advance an offset so a seven-day flow
 * runs in milliseconds. Tests share this module with the Worker and its Durable Objects (same isolate).
 */
let offsetMs = 0;

/** Milliseconds since the epoch, as Tidings sees it. */
export function now(): number {
  return Date.now() + offsetMs;
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
