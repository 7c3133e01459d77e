/**
 * SenderDO: one per sender, handing out send slots so a sender never goes above its carrier rate:
 * at most `rate` slots in any calendar second (a fractional rate spreads over several seconds).
 */
import { DurableObject } from "cloudflare:workers";

/** The send-slot book of one sender. */
export class SenderDO extends DurableObject<Env> {
  // In memory: a lost book (eviction) only means the next slots start from now.
  private second = 0;
  private used = 0;

  /** Reserve the next slot at `rate` per second; returns when it is (epoch ms, real time). */
  async take(rate: number): Promise<number> {
    const perSecond = Math.max(1, Math.floor(rate));
    const spacing = rate < 1 ? Math.ceil(1 / rate) : 1; // e.g. 0.5/s: one slot every 2 seconds
    const nowSecond = Math.floor(Date.now() / 1000);
    if (this.second < nowSecond) {
      this.second = nowSecond;
      this.used = 0;
    }
    if (this.used >= perSecond) {
      this.second += spacing;
      this.used = 0;
    }
    this.used++;
    return Math.max(Date.now(), this.second * 1000);
  }
}
