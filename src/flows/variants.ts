/**
 * Message variants: a send step (or a broadcast) names 2–4 templates with weights, and each contact
 * gets one of them, stably (the same contact, flow and step always get the same variant) and
 * independently of the holdout (another hash input than the holdout's). Pure.
 */
import { z } from "@hono/zod-openapi";
import { unitHash } from "../reports/attribution";

const Key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _");

/** One variant: a template and its weight (its share is weight ÷ the sum of weights). */
export const Variant = z.object({ template: Key, weight: z.number().int().min(1).max(1000).default(1) }).strict();
/** A variant. */
export type Variant = z.infer<typeof Variant>;

/** 2–4 variants with distinct templates. */
export const Variants = z
  .array(Variant)
  .min(2, "name 2 to 4 variants")
  .max(4, "name 2 to 4 variants")
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(v.template)) ctx.addIssue({ code: "custom", path: [i, "template"], message: `template ${v.template} is named twice` });
      seen.add(v.template);
    });
  });

/** The variants' labels, in list order: A, B, C, D. */
export const LABELS = ["A", "B", "C", "D"] as const;

/**
 * The variant a contact gets at a step: a stable number in [0, 1) from the contact, the flow and the
 * step (salted `variant`, so it is independent of the holdout's hash of contact and flow) picks a
 * variant by weight.
 */
export function pickVariant(contactId: string, flowKey: string, step: string, variants: readonly Variant[]): { template: string; label: string } {
  const total = variants.reduce((a, v) => a + v.weight, 0);
  let x = unitHash(`variant\u0000${contactId}\u0000${flowKey}\u0000${step}`) * total;
  for (const [i, v] of variants.entries()) {
    if (x < v.weight) return { template: v.template, label: LABELS[i]! };
    x -= v.weight;
  }
  const last = variants.length - 1;
  return { template: variants[last]!.template, label: LABELS[last]! };
}

/** The `send.template` must be one of the variants (the one the step falls back to when the test ends): an error for the field, or undefined. */
export function templateAmongVariants(template: string, variants: readonly Variant[] | undefined): string | undefined {
  return variants && !variants.some((v) => v.template === template) ? `must be one of the variants (${variants.map((v) => v.template).join(", ")})` : undefined;
}

/** A flow's steps as the JSON holds them, for walking by step label. */
type StepJson = Record<string, unknown>;

/**
 * The send step at a program label ("steps.1", "steps.2.on_timeout.0", "steps.3.branch.1.0",
 * "steps.4.otherwise.0"; see ./program.ts) inside the flow's JSON steps, or undefined.
 */
export function stepAt(steps: readonly StepJson[], label: string): StepJson | undefined {
  const parts = label.split(".");
  if (parts.shift() !== "steps") return undefined;
  let list: readonly StepJson[] | undefined = steps;
  let step: StepJson | undefined;
  while (parts.length && list) {
    const i = Number(parts.shift());
    if (!Number.isInteger(i)) return undefined;
    step = list[i];
    if (!step || !parts.length) break;
    const branch = parts.shift()!;
    if (branch === "branch") {
      const c = Number(parts.shift());
      list = (step.branch as Array<{ steps: StepJson[] }> | undefined)?.[c]?.steps;
    } else list = step[branch] as StepJson[] | undefined;
    step = undefined;
  }
  return parts.length ? undefined : step;
}
