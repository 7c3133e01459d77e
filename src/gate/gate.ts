/**
 * The send gate: pure checks run in order inside the ContactDO when a flow wants to send and again
 * just before the gateway is called. The first check that objects decides; later steps add consent,
 * rules, caps and quiet hours to the list without changing its callers.
 */
import { type Decision, SEND, skip } from "./decision";

/** Everything the gate looks at for one message (no I/O). */
export interface GateInput {
  now: number;
  message: { purpose: string; job: string; expiresAt: number };
  contact: { phone: string | null; stopped: boolean };
  template: { status: string } | undefined;
}

/** One check: a decision that blocks, or undefined to pass. */
export type Check = (input: GateInput) => Decision | undefined;

/** The checks, in the order DESIGN.md gives: what can never go first, timing last. */
export const CHECKS: Check[] = [
  (i) => (i.contact.stopped ? skip("stopped") : undefined),
  (i) => (i.now >= i.message.expiresAt ? skip("expired") : undefined),
  (i) => (i.contact.phone ? undefined : skip("invalid_phone", "the contact has no valid phone number")),
  (i) => (!i.template ? skip("template_missing") : i.template.status === "retired" ? skip("template_retired") : undefined),
];

/** Decide one message: the first objection, or send. */
export function decide(input: GateInput, checks: Check[] = CHECKS): Decision {
  for (const check of checks) {
    const d = check(input);
    if (d) return d;
  }
  return SEND;
}
