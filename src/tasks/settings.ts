/** The `routing` settings section: reply intents, owners and their webhooks, SLAs by stage. */
import { z } from "@hono/zod-openapi";
import { Duration } from "../duration";

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a name in snake_case");

/** zod schema of the `routing` settings section. */
export const RoutingSection = z
  .object({
    /** First match wins: whole words (`keywords`, any case) or a regular expression (`pattern`, case-insensitive). */
    rules: z
      .array(
        z
          .object({ intent: Name, keywords: z.array(z.string().min(1)).max(50).optional(), pattern: z.string().max(300).optional() })
          .strict()
          .refine((r) => r.keywords?.length || r.pattern, "give keywords or a pattern")
          .refine((r) => {
            try {
              if (r.pattern) new RegExp(r.pattern, "i");
              return true;
            } catch {
              return false;
            }
          }, "pattern is not a valid regular expression"),
      )
      .max(50)
      .default([
        { intent: "call_me", pattern: "\\b(call|phone|ring)\\s+me\\b" },
        { intent: "interested", keywords: ["interested", "yes please", "sounds good", "sign me up", "tell me more"] },
        { intent: "reschedule", pattern: "\\b(reschedule|another time|move (my|the) (appointment|meeting))\\b" },
        { intent: "not_now", pattern: "\\b(not now|maybe later|not interested|no thanks)\\b" },
      ]),
    /** The intent of a reply no rule matches (none: no task). */
    fallback: Name.optional(),
    /** Intents that create a task for the contact's owner. */
    highIntent: z.array(Name).default(["call_me", "interested", "reschedule"]),
    /** People who take tasks; each is notified at its webhook (signed with TASK_WEBHOOK_SECRET). */
    owners: z.array(z.object({ id: Name, name: z.string().min(1).max(80), webhook: z.url({ protocol: /^https?$/ }) }).strict()).max(100).default([]),
    /** The owner of a stage's contacts when the contact has no `owner` trait. */
    stageOwners: z.record(z.string(), Name).default({}),
    /** How fast a task must be acknowledged, by stage; `default` for the rest. */
    sla: z.record(z.string(), Duration).default({ sql: "PT15M", opportunity: "PT30M", customer: "PT4H", default: "PT4H" }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = new Set(s.owners.map((o) => o.id));
    for (const [stage, owner] of Object.entries(s.stageOwners)) {
      if (!ids.has(owner)) ctx.addIssue({ code: "custom", path: ["stageOwners", stage], message: `owner ${owner} is not in owners` });
    }
  });
/** The routing settings. */
export type RoutingSettings = z.infer<typeof RoutingSection>;

/** The intent of a reply: the first rule that matches, else the fallback. Pure. */
export function intentOf(body: string, r: RoutingSettings): string | undefined {
  const text = body.toLowerCase();
  for (const rule of r.rules) {
    if (rule.keywords?.some((k) => new RegExp(`(^|\\W)${k.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\W|$)`).test(text))) return rule.intent;
    if (rule.pattern && new RegExp(rule.pattern, "i").test(body)) return rule.intent;
  }
  return r.fallback;
}
