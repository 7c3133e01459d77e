/**
 * Conditions on events and contacts: `{ "properties.value": { "gte": 20 }, "traits.plan": "pro" }`.
 * A bare value means equality; every entry must hold.
 */
import { z } from "@hono/zod-openapi";

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Operator = z
  .object({
    eq: Scalar,
    ne: Scalar,
    gt: z.number(),
    gte: z.number(),
    lt: z.number(),
    lte: z.number(),
    in: z.array(Scalar),
    nin: z.array(Scalar),
    exists: z.boolean(),
    contains: z.string(),
  })
  .partial()
  .strict();

/** zod schema of a condition map: dotted path → value or operator object. */
export const Where = z.record(z.string().min(1), z.union([Scalar, Operator])).openapi("Where", {
  example: { "properties.value": { gte: 20 } },
});
/** A condition map. */
export type Where = z.infer<typeof Where>;

/** The value at a dotted path ("properties.cart.total") of a plain object. */
export function pick(subject: unknown, path: string): unknown {
  let cur: unknown = subject;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** True when every entry of `where` holds for `subject` (no `where`: true). */
export function matches(where: Where | undefined, subject: unknown): boolean {
  if (!where) return true;
  for (const [path, test] of Object.entries(where)) {
    const value = pick(subject, path);
    if (test === null || typeof test !== "object") {
      if (value !== test) return false;
      continue;
    }
    if (!holds(test, value)) return false;
  }
  return true;
}

function holds(op: z.infer<typeof Operator>, value: unknown): boolean {
  const num = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (op.exists !== undefined && (value !== undefined && value !== null) !== op.exists) return false;
  if (op.eq !== undefined && value !== op.eq) return false;
  if (op.ne !== undefined && value === op.ne) return false;
  if (op.gt !== undefined && !(num > op.gt)) return false;
  if (op.gte !== undefined && !(num >= op.gte)) return false;
  if (op.lt !== undefined && !(num < op.lt)) return false;
  if (op.lte !== undefined && !(num <= op.lte)) return false;
  if (op.in !== undefined && !op.in.includes(value as never)) return false;
  if (op.nin !== undefined && op.nin.includes(value as never)) return false;
  if (op.contains !== undefined && !(typeof value === "string" && value.includes(op.contains))) return false;
  return true;
}
