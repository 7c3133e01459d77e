/** Erased numbers: kept only as the suppression list's keyed HMAC (reason `erased`), and never stored again. */
import type { FieldError } from "../http/problem";
import { suppressionHash } from "../suppression/hash";

/** The suppression reason of an erased number. */
export const ERASED = "erased";

/** Whether `e164` belongs to an erased contact (one indexed D1 read). */
export async function isErased(env: Env, e164: string): Promise<boolean> {
  const hash = await suppressionHash(env.SUPPRESSION_KEY, e164);
  return (await env.DB.prepare("SELECT 1 FROM suppressions WHERE hash = ? AND reason = ?").bind(hash, ERASED).first()) !== null;
}

/** The error for a field that carries an erased number. */
export function erasedError(field: string): FieldError {
  return { field, message: "erased: this number's contact was erased and the number is not stored again" };
}

/**
 * A checker for many numbers (an import): when few numbers were ever erased their hashes are read
 * once, so a 100,000-row file costs one D1 read, not one per row.
 */
export async function erasedChecker(env: Env): Promise<(e164: string) => Promise<boolean>> {
  const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM suppressions WHERE reason = ?").bind(ERASED).first<{ n: number }>())!;
  if (n === 0) return async () => false;
  if (n > 20_000) return (e164) => isErased(env, e164);
  const { results } = await env.DB.prepare("SELECT hash FROM suppressions WHERE reason = ?").bind(ERASED).all<{ hash: string }>();
  const set = new Set(results.map((r) => r.hash));
  return async (e164) => set.has(await suppressionHash(env.SUPPRESSION_KEY, e164));
}
