/** The `rules` settings section: eligibility rules on contact state, and the events that set flags. */
import { z } from "@hono/zod-openapi";
import { Job } from "../settings/vocabulary";

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a name in snake_case");

/** One eligibility rule: messages matching every given list are blocked while the contact has every flag. */
export const Rule = z
  .object({
    name: Name,
    purposes: z.array(z.string()).optional(),
    jobs: z.array(Job).optional(),
    /** Matches when the template carries any of these tags. */
    tags: z.array(z.string()).optional(),
    stages: z.array(z.string()).optional(),
    whileFlags: z.array(Name).min(1),
  })
  .strict();
/** An eligibility rule. */
export type Rule = z.infer<typeof Rule>;

/** zod schema of the `rules` settings section. */
export const RulesSection = z
  .object({
    rules: z.array(Rule).max(50).default([
      { name: "support_case_open", purposes: ["marketing"], whileFlags: ["support_case_open"] },
      { name: "order_open", jobs: ["reactivation"], whileFlags: ["order_open"] },
    ]),
    /** Events that set or clear flags, by event name. */
    flagEvents: z
      .record(z.string().min(1), z.object({ set: z.array(Name).default([]), clear: z.array(Name).default([]) }).strict())
      .default({
        "Ticket Opened": { set: ["support_case_open"], clear: [] },
        "Ticket Closed": { set: [], clear: ["support_case_open"] },
        "Order Completed": { set: ["order_open"], clear: [] },
        "Order Shipped": { set: [], clear: ["order_open"] },
        "Order Cancelled": { set: [], clear: ["order_open"] },
      }),
  })
  .strict();
