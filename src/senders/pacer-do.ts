/**
 * SenderDO: one per sender, so a sender never goes above its carrier rate. Two books:
 * - reservations spread a burst over the coming seconds (a message learns how long to wait);
 * - admissions count what is actually sent in the current second, so a message that arrives late
 *   from the queue cannot pile onto another second's share. Only admitted messages are sent.
 */
import { DurableObject } from "cloudflare:workers";
import { realNow } from "../clock";

/** Too close to the end of a second, an admitted send could land in the next one. */
const MARGIN_MS = 60;

/** The send-slot books of one sender. */
export class SenderDO extends DurableObject<Env> {
  // In memory: a lost book (eviction) only means counting starts again from now.
  // Real time throughout: a carrier's rate is per real second, and the queue delays it hands out are real.
  private reserved = { second: 0, used: 0 };
  private admitted = { second: 0, used: 0, last: -Infinity };

  /** Reserve a place in the coming seconds; returns when to come back (epoch ms). */
  async reserve(rate: number): Promise<number> {
    const { perSecond, spacing } = shape(rate);
    const t = realNow();
    const nowSecond = Math.floor(t / 1000);
    if (this.reserved.second < nowSecond) this.reserved = { second: nowSecond, used: 0 };
    if (this.reserved.used >= perSecond) this.reserved = { second: this.reserved.second + spacing, used: 0 };
    this.reserved.used++;
    return Math.max(t, this.reserved.second * 1000);
  }

  /** May a message be sent now? 0 when admitted, else how many ms until the next second may take it. */
  async admit(rate: number): Promise<number> {
    const { perSecond, spacing } = shape(rate);
    const t = realNow();
    const second = Math.floor(t / 1000);
    if (second !== this.admitted.second) this.admitted = { second, used: 0, last: this.admitted.last };
    // Within the second the sender last sent in: up to its share; a new second: only after the spacing.
    const room = second === this.admitted.last ? this.admitted.used < perSecond : second - this.admitted.last >= spacing;
    const open = room && t % 1000 < 1000 - MARGIN_MS;
    if (!open) return (second + 1) * 1000 - t;
    this.admitted.used++;
    this.admitted.last = second;
    return 0;
  }
}

function shape(rate: number) {
  // Fractional rates (0.5/s) become one message every few seconds.
  return { perSecond: Math.max(1, Math.floor(rate)), spacing: rate < 1 ? Math.ceil(1 / rate) : 1 };
}
