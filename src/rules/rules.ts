/** Eligibility rules, pure: the first rule that blocks a message while the contact carries its flags. */
import type { Rule } from "./settings";

/** What a rule looks at. */
export interface RuleSubject {
  purpose: string;
  job: string;
  tags: readonly string[];
  stage: string | null;
  flags: ReadonlySet<string>;
}

/** The name of the first rule that blocks the message, if any. */
export function blockingRule(rules: readonly Rule[], m: RuleSubject): string | undefined {
  for (const r of rules) {
    if (!r.whileFlags.every((f) => m.flags.has(f))) continue;
    if (r.purposes && !r.purposes.includes(m.purpose)) continue;
    if (r.jobs && !r.jobs.includes(m.job as never)) continue;
    if (r.stages && !r.stages.includes(m.stage ?? "")) continue;
    if (r.tags && !r.tags.some((t) => m.tags.includes(t))) continue;
    return r.name;
  }
  return undefined;
}
