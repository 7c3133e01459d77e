/** The `stageRules` settings section: events that move a contact's stage, and inactivity → dormant. */
import { z } from "@hono/zod-openapi";
import { Where } from "../conditions";
import { Duration, parseDuration } from "../duration";
import type { FieldError } from "../http/problem";

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a name in snake_case");
const Stage = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a stage name in snake_case");

/** One rule: the event (with conditions) that moves the contact to `to`. */
export const StageRule = z
  .object({
    name: Name,
    event: z.string().trim().min(1).max(200),
    where: Where.optional(),
    /** Which occurrence counts: `2` is exactly the second, `{ "gte": 2 }` the second and later. */
    occurrence: z.union([z.number().int().min(1), z.object({ gte: z.number().int().min(1) }).strict()]).optional(),
    /** Count occurrences within this window only (default: the contact's whole event log). */
    within: Duration.optional(),
    /** Only when the contact is in one of these stages. */
    from: z.array(Stage).min(1).optional(),
    to: Stage,
    /** Never move back in the configured order (the dormant stage counts as the stage it was entered from). */
    onlyForward: z.boolean().default(true),
  })
  .strict();
/** A stage rule. */
export type StageRule = z.infer<typeof StageRule>;

/** Inactivity: no activity for `after` moves a contact in one of `from` to `to`. */
export const DormantRule = z
  .object({
    after: Duration.refine((d) => parseDuration(d)! >= 86_400_000, "at least a day (P1D)"),
    to: Stage,
    from: z.array(Stage).min(1),
  })
  .strict()
  .refine((d) => !d.from.includes(d.to), { message: "the dormant stage cannot be one it is entered from", path: ["from"] });
/** The inactivity rule. */
export type DormantRule = z.infer<typeof DormantRule>;

/** B2C defaults: the first order makes a customer, the second a repeat customer; 90 quiet days make them dormant. */
export const DEFAULT_STAGE_RULES: StageRule[] = [
  { name: "first_order", event: "Order Completed", to: "customer", onlyForward: true },
  { name: "repeat_order", event: "Order Completed", occurrence: { gte: 2 }, to: "repeat_customer", onlyForward: true },
];
const DEFAULT_DORMANT: DormantRule = { after: "P90D", to: "dormant", from: ["customer", "repeat_customer"] };

/** zod schema of the `stageRules` settings section. */
export const StageRulesSection = z
  .object({
    rules: z.array(StageRule).max(50).default(DEFAULT_STAGE_RULES),
    /** `null` turns inactivity off. */
    dormant: DormantRule.nullable().default(DEFAULT_DORMANT),
  })
  .strict()
  .refine((s) => new Set(s.rules.map((r) => r.name)).size === s.rules.length, { message: "rule names must be unique", path: ["rules"] });
/** The stage rules settings. */
export type StageRules = z.infer<typeof StageRulesSection>;

/**
 * Field errors for stages a section names that are not in the configured list (`stagesOf`), for a
 * save-time check against the current stages. At run time such a rule is simply inert.
 */
export function stageRuleErrors(section: StageRules, stages: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  const check = (stage: string, field: string) => {
    if (!stages.includes(stage)) errors.push({ field, message: `${stage} is not a configured stage (${stages.join(", ")})` });
  };
  section.rules.forEach((r, i) => {
    check(r.to, `rules.${i}.to`);
    r.from?.forEach((f, j) => check(f, `rules.${i}.from.${j}`));
  });
  if (section.dormant) {
    check(section.dormant.to, "dormant.to");
    section.dormant.from.forEach((f, j) => check(f, `dormant.from.${j}`));
  }
  return errors;
}
