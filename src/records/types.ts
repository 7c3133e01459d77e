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
  | ConsentChangeRecord;
