/**
 * Decisions: the outcome of the send gate for one message, with a reason code every step shares.
 * `sent` means the message cleared the gate; the gateway's result is the message's status.
 */

/** What the gate decided. */
export type Outcome = "sent" | "deferred" | "skipped";

/**
 * Reason codes: `no_consent:<purpose>`, `pending_consent:<purpose>`, `quiet_hours:<jurisdiction>`,
 * `cap:<rule>`, `rule:<name>`, `suppressed`, `expired`, `stopped`, `invalid_phone`,
 * `template_retired`, `template_draft`, `template_missing`, `holdout`, `cancelled`, and `ok` for a send.
 */
export type Reason = string;

/** One decision as the gate returns it. */
export interface Decision {
  outcome: Outcome;
  reason: Reason;
  /** For `deferred`: the instant (epoch ms) the message may go. */
  until?: number;
  /** Context such as a time-zone fallback, in words. */
  detail?: string;
}

/** A decision that lets the message go. */
export const SEND: Decision = { outcome: "sent", reason: "ok" };

/** A skip with a reason. */
export const skip = (reason: Reason, detail?: string): Decision => ({ outcome: "skipped", reason, ...(detail ? { detail } : {}) });

/** A deferral until an instant. */
export const defer = (reason: Reason, until: number, detail?: string): Decision => ({
  outcome: "deferred",
  reason,
  until,
  ...(detail ? { detail } : {}),
});
