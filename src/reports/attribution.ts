/**
 * Last-touch attribution, holdout assignment and the histogram buckets rollups keep: pure functions,
 * no bindings, so the rules can be tested at their edges directly.
 */

/** A message reaching the contact: delivered to the phone, or a person's click on one of its links. */
export interface Touch {
  messageId: string;
  kind: "click" | "delivery";
  at: number;
}

/** Attribution windows in milliseconds. */
export interface Windows {
  click: number;
  delivery: number;
}

/**
 * The touch a conversion at `at` is credited to: the latest click within the click window or
 * delivery within the delivery window, both inclusive at the far edge and never after the conversion.
 * On the same instant a click beats a delivery. None in window: no credit.
 */
export function lastTouch(at: number, touches: readonly Touch[], w: Windows): Touch | undefined {
  let best: Touch | undefined;
  for (const t of touches) {
    const window = t.kind === "click" ? w.click : w.delivery;
    if (t.at > at || at - t.at > window) continue;
    if (!best || t.at > best.at || (t.at === best.at && t.kind === "click" && best.kind === "delivery")) best = t;
  }
  return best;
}

/** A stable number in [0, 1) for a contact and a flow (FNV-1a, 32 bits): the same answer on every call and replica. */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Murmur3's finaliser spreads FNV's weak low bits, so nearby ids do not land in nearby buckets.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** Whether a contact's runs of a flow belong to its control group (kept from sending) for a holdout share. */
export function inHoldout(contactId: string, flowKey: string, share: number): boolean {
  return share > 0 && unitHash(`${contactId}\u0000${flowKey}`) < share;
}

/** Histogram buckets per doubling: 16 keeps a bucket's midpoint within 2.2% of any value in it. */
const PER_DOUBLING = 16;

/** The bucket of a duration (ms) in the rollups' log-scale histograms; bucket 0 holds everything under a minute. */
export function durationBucket(ms: number): number {
  const minutes = ms / 60_000;
  return minutes < 1 ? 0 : 1 + Math.floor(Math.log2(minutes) * PER_DOUBLING);
}

/** A bucket's representative duration (ms): the geometric midpoint of its bounds. */
export function bucketMidpoint(bucket: number): number {
  if (bucket <= 0) return 30_000;
  return 2 ** ((bucket - 1 + 0.5) / PER_DOUBLING) * 60_000;
}

/** The median of a histogram {bucket: count}, as a duration in ms (undefined when empty). */
export function histogramMedian(h: ReadonlyMap<number, number>): number | undefined {
  const total = [...h.values()].reduce((a, b) => a + b, 0);
  if (!total) return undefined;
  let seen = 0;
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b)!;
    if (seen * 2 >= total) return bucketMidpoint(b);
  }
  return undefined;
}

/** The UTC day number (days since 1970-01-01) of an instant: the rollups' time bucket. */
export function dayOf(at: number): number {
  return Math.floor(at / 86_400_000);
}
