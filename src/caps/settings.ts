/** The `caps` settings section: stackable frequency caps, each with a scope, a rolling window and a maximum. */
import { z } from "@hono/zod-openapi";
import { Duration, parseDuration } from "../duration";

/** One frequency cap. */
export const CapRule = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a name in snake_case"),
    /** Which messages count and are limited; every given field must match (none: all messages). */
    scope: z
      .object({ purpose: z.string().optional(), stage: z.string().optional(), job: z.string().optional(), flow: z.string().optional(), tag: z.string().optional() })
      .strict()
      .default({}),
    window: Duration.refine((d) => {
      const ms = parseDuration(d)!;
      return ms >= 60_000 && ms <= 30 * 86_400_000;
    }, "between PT1M and P30D"),
    max: z.number().int().min(1).max(1000),
    /** Transactional messages are exempt unless this is true. */
    includeTransactional: z.boolean().default(false),
  })
  .strict();
/** A frequency cap. */
export type CapRule = z.infer<typeof CapRule>;

/** zod schema of the `caps` settings section. */
export const CapsSection = z
  .object({
    rules: z.array(CapRule).max(50).default([
      { name: "marketing_daily", scope: { purpose: "marketing" }, window: "P1D", max: 2, includeTransactional: false },
      { name: "marketing_weekly", scope: { purpose: "marketing" }, window: "P7D", max: 6, includeTransactional: false },
    ]),
  })
  .strict()
  .refine((s) => new Set(s.rules.map((r) => r.name)).size === s.rules.length, { message: "cap names must be unique", path: ["rules"] });
