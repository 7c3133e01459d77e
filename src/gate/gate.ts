/**
 * The send gate: pure checks run in order inside the ContactDO when a flow wants to send and again
 * just before the gateway is called. The first check that objects decides.
 */
import { type ConsentState, consentBlock } from "../consent/ledger";
import type { Rule } from "../rules/settings";
import { blockingRule } from "../rules/rules";
import { type Decision, SEND, skip } from "./decision";
import { templateSkipReason } from "../templates/library";
import { type TimingInput, timing } from "./timing";

/** The two messages that are about consent itself (exempt from the consent check, not from the rest). */
export type ConsentMessage = "consent_request" | "optin_confirmation" | "keyword_reply";

/** Everything the gate looks at for one message (no I/O). */
export interface GateInput {
  now: number;
  message: { purpose: string; job: string; expiresAt: number; tags: readonly string[]; consentMessage?: ConsentMessage };
  contact: { phone: string | null; suppressed: boolean; stage: string | null; flags: ReadonlySet<string> };
  /** The contact's consent state for a purpose (for its current phone number). */
  consent: (purpose: string) => ConsentState;
  template: { status: string } | undefined;
  rules: readonly Rule[];
  /** Caps and quiet hours (built by the caller from settings and the contact's history). */
  timing?: TimingInput;
}

/** One check: a decision that blocks, or undefined to pass. */
export type Check = (input: GateInput) => Decision | undefined;

/** The checks, in the order DESIGN.md gives: what can never go first, timing last. */
export const CHECKS: Check[] = [
  (i) => (i.now >= i.message.expiresAt ? skip("expired") : undefined),
  (i) => (i.contact.phone ? undefined : skip("invalid_phone", "the contact has no valid phone number")),
  (i) => {
    if (i.message.consentMessage) return undefined;
    const reason = templateSkipReason(i.template);
    return reason ? skip(reason) : undefined;
  },
  (i) => (i.contact.suppressed ? skip("suppressed") : undefined),
  (i) => {
    const state = i.consent(i.message.purpose);
    const kind = i.message.consentMessage;
    if (!kind) {
      const reason = consentBlock(state, i.message.purpose);
      return reason ? skip(reason) : undefined;
    }
    // A reply to a keyword (the STOP confirmation, HELP) answers the person's own message: it goes
    // whatever their consent, only not to a suppressed number (checked above).
    if (kind === "keyword_reply") return undefined;
    // A consent message goes only while it still makes sense: the request while the grant is
    // pending, the confirmation while it is granted. After STOP, neither.
    if (state === "stopped") return skip("stopped");
    const wanted = kind === "consent_request" ? "pending" : "granted";
    return state === wanted ? undefined : skip("cancelled", `consent for ${i.message.purpose} is ${state}, not ${wanted}`);
  },
  (i) => {
    const rule = blockingRule(i.rules, { ...i.message, stage: i.contact.stage, flags: i.contact.flags });
    return rule ? skip(`rule:${rule}`) : undefined;
  },
  // Last: caps and quiet hours defer to the earliest instant that satisfies both.
  (i) => (i.timing ? timing(i.timing) : undefined),
];

/** Decide one message: the first objection, or send. */
export function decide(input: GateInput, checks: Check[] = CHECKS): Decision {
  for (const check of checks) {
    const d = check(input);
    if (d) return d;
  }
  return SEND;
}
