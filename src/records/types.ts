/**
 * Records: what ContactDOs tell D1, through the records queue, in batches. Every record carries an
 * idempotent key (an id, or a rev that only moves forward), so a redelivered batch writes nothing twice.
 */

/** A gate decision. */
export interface DecisionRecord {
  kind: "decision";
  id: string;
  contactId: string;
  messageId?: string;
  flowKey?: string;
  outcome: string;
  reason: string;
  until?: number;
  detail?: string;
  at: number;
}

/** A stage change. */
export interface StageChangeRecord {
  kind: "stage_change";
  id: string;
  contactId: string;
  from: string | null;
  to: string;
  reason: string;
  at: number;
  /** When the contact entered `from` (null when it had no stage): days in stage and cohorts by entry. */
  fromAt?: number | null;
}

/** The contact projection at a revision. */
export interface ContactRecord {
  kind: "contact";
  contactId: string;
  rev: number;
  stage: string | null;
  phone: string | null;
  timezone: string | null;
  traits: Record<string, unknown>;
  /** Consent state per purpose (for the contact's current phone). */
  consent: Record<string, string>;
  flags: string[];
  suppressed: boolean;
  createdAt: number;
  updatedAt: number;
  /** Set when the contact was merged into another one: the projection row is removed. */
  mergedInto?: string;
}

/** A message row at a revision. */
export interface MessageRecord {
  kind: "message";
  id: string;
  rev: number;
  contactId: string;
  flowKey: string | null;
  runId: string | null;
  step: string | null;
  templateKey: string;
  templateVersion: number | null;
  purpose: string;
  job: string;
  stage: string | null;
  to: string | null;
  body: string | null;
  segments: number | null;
  encoding: string | null;
  status: string;
  reason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  gateway: string | null;
  providerId: string | null;
  createdAt: number;
  expiresAt: number;
  sentAt: number | null;
  deliveredAt: number | null;
  updatedAt: number;
  /** The consent the message relied on (see ConsentBasis). */
  consent: Record<string, unknown> | null;
  /** The variant (A–D) of a send step's variant test (absent in records queued before variants existed). */
  variant?: string | null;
}

/** A flow run's position at a revision. */
export interface RunRecord {
  kind: "run";
  id: string;
  rev: number;
  contactId: string;
  flowKey: string;
  version: number;
  step: string;
  status: string;
  startedAt: number;
  updatedAt: number;
  /** The flow's job, and whether the run is in the flow's control group (runs without sending). */
  job?: string;
  holdout?: boolean;
}

/** A run that reached its flow's goal. */
export interface ConversionRecord {
  kind: "conversion";
  id: string;
  contactId: string;
  runId: string | null;
  flowKey: string | null;
  event: string;
  revenue: number | null;
  currency: string | null;
  at: number;
  /** The run's cohort (sent or control), start and job: holdout lift compares entrant cohorts. */
  holdout?: boolean;
  startedAt?: number;
  job?: string;
}

/** A hit on a short link. */
export interface ClickRecord {
  kind: "click";
  id: string;
  code: string;
  messageId: string;
  contactId: string;
  flowKey: string | null;
  templateKey: string | null;
  click: "click" | "preview";
  reason: string | null;
  userAgent: string | null;
  at: number;
  /** The message's job and the contact's stage when it was sent (reports by job and stage). */
  job?: string | null;
  stage?: string | null;
}

/**
 * Something a report counts, credited (last touch) to a message when one led to it: a conversion with
 * its revenue, an opt-out, a reply; or counted as is: an appointment (on its own day), a no-show, a
 * meeting, an opportunity, a won deal.
 */
export interface OutcomeRecord {
  kind: "outcome";
  id: string;
  contactId: string;
  type: "conversion" | "opt_out" | "reply" | "appointment" | "no_show" | "meeting" | "opportunity" | "won";
  event: string;
  at: number;
  revenue: number | null;
  currency: string | null;
  messageId: string | null;
  flowKey: string | null;
  templateKey: string | null;
  templateVersion: number | null;
  stage: string | null;
  job: string | null;
  touch: "click" | "delivery" | "sent" | null;
  touchAt: number | null;
  /** A reply's routing intent (settings.routing), for the `reply.received` webhook; not stored in D1. */
  intent?: string | null;
}

/** A task for an owner at a revision. */
export interface TaskRecord {
  kind: "task";
  id: string;
  rev: number;
  contactId: string;
  intent: string;
  owner: string | null;
  reply: string | null;
  source: string;
  stage: string | null;
  state: string;
  slaDueAt: number;
  createdAt: number;
  ackedAt: number | null;
  doneAt: number | null;
  breachedAt: number | null;
}

/** A marker that proves every record sent before it was written (used by health checks and tests). */
export interface PingRecord {
  kind: "ping";
  id: string;
}

/** A consent ledger change, without the number or the text (governance reports). */
export interface ConsentChangeRecord {
  kind: "consent";
  id: string;
  contactId: string;
  purpose: string;
  action: string;
  state: string;
  source: string;
  hasText: boolean;
  hasProof: boolean;
  at: number;
  /** The purpose's state before this change (reports count an opt-in only when it was not already granted). */
  before?: string;
  /** For a revocation of a granted purpose: the source of the grant it ended (opt-outs by source, for source quality). */
  endedSource?: string;
}

/** Any record. */
export type RecordMessage =
  | DecisionRecord
  | StageChangeRecord
  | ContactRecord
  | MessageRecord
  | RunRecord
  | ConversionRecord
  | ClickRecord
  | TaskRecord
  | PingRecord
  | ConsentChangeRecord
  | OutcomeRecord;
