/**
 * Size limits (pure): what one call and a contact's traits may weigh, which field makes an input too
 * big, and how the outbox is cut into queue sends. One call is capped at Segment's own 32 KB, so a
 * Segment client never meets a stricter limit; a contact's traits at 16 KB, so every record a
 * contact emits (the whole traits object travels in its projection) fits a queue message with room.
 */

/** One API call, webhook event or import row, as JSON: Segment's limit (its clients count 1 KB = 1024 bytes). */
export const CALL_BYTES = 32 * 1024;
/** One `/v1/batch` request, whatever the number of calls in it: Segment's limit. */
export const BATCH_BYTES = 500 * 1024;
/** A contact's stored traits, as JSON, after every identify, import and merge. */
export const TRAITS_BYTES = 16 * 1024;

/** Cloudflare Queues (1 KB = 1000 bytes): a message, with its ~100 bytes of metadata, is at most 128 KB. */
export const QUEUE_MESSAGE_BYTES = 128_000;
/** What each message's metadata is counted as. */
export const QUEUE_MESSAGE_OVERHEAD = 100;
/** One sendBatch: at most 100 messages and 256 KB in total; we cut at 240 KB for room. */
export const QUEUE_BATCH_BYTES = 240_000;
/** Messages per sendBatch. */
export const QUEUE_BATCH_COUNT = 100;

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** UTF-8 bytes of a value written as JSON. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? "null");
}

/** A size for people: `200.1 KB` (1 KB = 1024 bytes, as the limits above are stated). */
export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function children(value: unknown): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.map((v, i) => [String(i), v]);
  if (value && typeof value === "object") return Object.entries(value);
  return [];
}

/**
 * The field that makes `value` big, as a path: its biggest child, then deeper while one child holds
 * at least half of its parent (a 200 KB `notes` inside `traits` is `traits.notes`; 300 small
 * products are `properties.products`). With `atLeastOne`, a top-level field is always named.
 */
export function biggestField(value: unknown, path: string[] = [], atLeastOne = false): string[] {
  const out = [...path];
  let at = value;
  let bytes = jsonBytes(value);
  let must = atLeastOne;
  for (;;) {
    let best: [string, unknown] | undefined;
    let bestBytes = -1;
    for (const kid of children(at)) {
      const b = jsonBytes(kid[1]);
      if (b > bestBytes) [best, bestBytes] = [kid, b];
    }
    if (!best || (!must && bestBytes * 2 < bytes)) return out;
    out.push(best[0]);
    [at, bytes, must] = [best[1], bestBytes, false];
  }
}

/** A field an input may not carry at that size: its path and why. */
export interface SizeError {
  path: string[];
  message: string;
}

/** Whether one call (identify, track, import row) is within the limits: the call, then its traits. */
export function callSizeErrors(call: { traits?: unknown; [field: string]: unknown }, limits = { call: CALL_BYTES, traits: TRAITS_BYTES }): SizeError[] {
  const bytes = jsonBytes(call);
  if (bytes > limits.call) {
    const path = biggestField(call, [], true);
    const field = path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], call);
    return [{ path, message: `holds ${kb(jsonBytes(field))} of a ${kb(bytes)} call; one call may be at most ${kb(limits.call)}` }];
  }
  if (call.traits !== undefined && jsonBytes(call.traits) > limits.traits) {
    const path = biggestField(call.traits, ["traits"]);
    const field = path.slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], call.traits);
    return [{ path, message: `holds ${kb(jsonBytes(field))} of ${kb(jsonBytes(call.traits))} of traits; a contact's traits may be at most ${kb(limits.traits)}` }];
  }
  return [];
}

type Traits = Record<string, unknown>;

/**
 * Whether writing `written` would take a contact's traits (`before` → `after`) over the cap: the
 * trait named is the biggest one written. A write that does not grow the traits always passes, so a
 * contact stored over the cap (before the cap existed) can still be corrected.
 */
export function traitsRefusal(before: Traits, after: Traits, written: Traits, limit = TRAITS_BYTES): { trait: string; message: string } | undefined {
  const total = jsonBytes(after);
  if (total <= limit || total <= jsonBytes(before)) return undefined;
  let trait = Object.keys(written)[0] ?? "";
  let most = -1;
  for (const k of Object.keys(written)) {
    if (!(k in after)) continue;
    const b = jsonBytes(after[k]) + utf8Bytes(k);
    if (b > most) [trait, most] = [k, b];
  }
  return { trait, message: `would take the contact's traits to ${kb(total)}; they may be at most ${kb(limit)}` };
}

/** Bytes one entry adds to an object written as JSON (`"key":value` and a comma). */
const entryBytes = (k: string, v: unknown) => jsonBytes(k) + 1 + jsonBytes(v) + 1;

/**
 * `kept` whole, then each trait of `extra` it lacks, in order, while the result stays within
 * `limit`; the traits left out are named. A merge keeps the known contact's traits this way, and
 * a projection of a contact stored over the cap keeps what fits.
 */
export function fillWithin(kept: Traits, extra: Traits, limit = TRAITS_BYTES): { traits: Traits; dropped: string[] } {
  const traits: Traits = { ...kept };
  let bytes = jsonBytes(traits);
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(extra)) {
    if (k in traits || v === undefined) continue;
    const add = entryBytes(k, v) - (bytes <= 2 ? 1 : 0);
    if (bytes + add > limit) dropped.push(k);
    else [traits[k], bytes] = [v, bytes + add];
  }
  return { traits, dropped };
}

/** A row with its size as a queue message body. */
export interface Sized {
  bytes: number;
}

/**
 * Cut rows, in order, into sendBatch calls inside the Queues limits (count and bytes, metadata
 * counted); a row that no message can carry is returned apart, never sent.
 */
export function cutBatches<T extends Sized>(rows: T[]): { batches: T[][]; tooBig: T[] } {
  const batches: T[][] = [];
  const tooBig: T[] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = r.bytes + QUEUE_MESSAGE_OVERHEAD;
    if (size > QUEUE_MESSAGE_BYTES) {
      tooBig.push(r);
      continue;
    }
    if (batch.length && (batch.length >= QUEUE_BATCH_COUNT || bytes + size > QUEUE_BATCH_BYTES)) {
      batches.push(batch);
      [batch, bytes] = [[], 0];
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return { batches, tooBig };
}
