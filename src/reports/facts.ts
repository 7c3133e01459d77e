/**
 * What each record adds to the rollups: rows of (dimension, key, UTC day, metric, amount). Pure, so
 * the records consumer (which writes them in the record's own D1 batch, once per record, see
 * ../records/consumer.ts) and the tests agree on the arithmetic.
 *
 * Dimensions: `flow`, `template`, `job`, `stage` (a message's stage when sent), `all` (key "brand"),
 * `cohort` (a flow's sent and control entrants, by day of entry), `move` ("from>to"),
 * `stage_cohort` (entrants of a stage by day of entry and where they went), `source` (opt-ins),
 * `variant` (a flow's messages by template, `<flow>|<template>`, for variant tests).
 */
import type { ClickRecord, ConsentChangeRecord, ConversionRecord, DecisionRecord, MessageRecord, OutcomeRecord, RunRecord, StageChangeRecord } from "../records/types";
import { dayOf, durationBucket } from "./attribution";

/** One addition to a rollup. */
export type RollupRow = [dim: string, key: string, day: number, metric: string, amount: number];

/** A message fact and the bit that marks it counted on the message row. */
export interface MessageFact {
  bit: number;
  rows: RollupRow[];
}

/** Bits of `messages.counted`: each fact of a message counts once, whatever order its revisions arrive in. */
export const COUNTED = { created: 1, sent: 2, delivered: 4, failed: 8 } as const;

/** Key used for messages outside flows (one-off sends, consent and keyword messages). */
export const NO_FLOW = "(one-off)";
/** Key used when a contact had no stage. */
export const NO_STAGE = "(none)";

/** The dimensions a message's numbers roll up into. */
function messageDims(m: { flowKey: string | null; templateKey: string | null; job: string | null; stage: string | null }): Array<[string, string]> {
  const dims: Array<[string, string]> = [["all", "brand"], ["flow", m.flowKey ?? NO_FLOW], ["stage", m.stage ?? NO_STAGE]];
  if (m.templateKey) dims.push(["template", m.templateKey]);
  if (m.job) dims.push(["job", m.job]);
  const variant = variantKey(m);
  if (variant) dims.push(["variant", variant]);
  return dims;
}

/**
 * The `variant` dimension's key: a flow's (or broadcast's) messages by template, `<flow>|<template>`.
 * Clicks and outcomes carry flow and template, so every metric of a variant test reaches it.
 */
export function variantKey(m: { flowKey: string | null; templateKey: string | null }): string | undefined {
  return m.flowKey && m.templateKey && !m.templateKey.startsWith("system:") ? `${m.flowKey}|${m.templateKey}` : undefined;
}

const spread = (dims: Array<[string, string]>, day: number, metrics: Array<[string, number]>): RollupRow[] =>
  dims.flatMap(([dim, key]) => metrics.map(([metric, amount]): RollupRow => [dim, key, day, metric, amount]));

/** A message's facts at this revision: created, sent (with segments and cost), delivered, failed. */
export function messageFacts(m: MessageRecord, cost?: { amount: number; currency: string }): MessageFact[] {
  const dims = messageDims(m);
  const out: MessageFact[] = [{ bit: COUNTED.created, rows: spread(dims, dayOf(m.createdAt), [["messages", 1]]) }];
  if (m.sentAt !== null) {
    const metrics: Array<[string, number]> = [["sent", 1], ["segments", m.segments ?? 0]];
    if (cost) metrics.push([`cost:${cost.currency}`, cost.amount]);
    const rows = spread(dims, dayOf(m.sentAt), metrics);
    if (m.templateKey === "system:consent_request" || m.templateKey === "system:join_request") rows.push(["job", "acquisition", dayOf(m.sentAt), "prompts", 1]);
    out.push({ bit: COUNTED.sent, rows });
  }
  if (m.deliveredAt !== null) out.push({ bit: COUNTED.delivered, rows: spread(dims, dayOf(m.deliveredAt), [["delivered", 1]]) });
  if (m.status === "failed" || m.status === "undelivered") out.push({ bit: COUNTED.failed, rows: spread(dims, dayOf(m.updatedAt), [["failed", 1]]) });
  return out;
}

/** A run's entry: the flow's entrants (control ones also as `held_out`), its cohort, and its job's entrants (sent cohort only). */
export function runFacts(r: RunRecord): RollupRow[] {
  const day = dayOf(r.startedAt);
  const group = r.holdout ? "control" : "sent";
  const rows: RollupRow[] = [["flow", r.flowKey, day, "entered", 1], ["cohort", r.flowKey, day, `entered:${group}`, 1]];
  if (r.holdout) rows.push(["flow", r.flowKey, day, "held_out", 1]);
  else if (r.job) rows.push(["job", r.job, day, "entered", 1]);
  return rows;
}

/** A run reached its flow's goal: the cohort's conversions and revenue (by entry day), the job's goals and time to action. */
export function conversionFacts(c: ConversionRecord): RollupRow[] {
  if (!c.flowKey || c.startedAt === undefined) return [];
  const group = c.holdout ? "control" : "sent";
  const entry = dayOf(c.startedAt);
  const rows: RollupRow[] = [["cohort", c.flowKey, entry, `converted:${group}`, 1], ["flow", c.flowKey, dayOf(c.at), `goals:${group}`, 1]];
  if (c.revenue !== null && c.currency) {
    rows.push(["cohort", c.flowKey, entry, `revenue:${group}:${c.currency}`, c.revenue], ["cohort", c.flowKey, entry, `revenue_sq:${group}:${c.currency}`, c.revenue * c.revenue]);
  }
  if (!c.holdout && c.job) {
    rows.push(["job", c.job, dayOf(c.at), "goals", 1], ["job", c.job, dayOf(c.at), `tta:${durationBucket(c.at - c.startedAt)}`, 1]);
  }
  return rows;
}

/** An outcome: credited to its message's flow, template, job and stage, or to the brand as unattributed. */
export function outcomeFacts(o: OutcomeRecord): RollupRow[] {
  const day = dayOf(o.at);
  const metric = { conversion: "conversions", opt_out: "opt_outs", reply: "replies", appointment: "appointments", no_show: "no_shows", meeting: "meetings", opportunity: "opportunities", won: "won" }[o.type];
  if (o.type !== "conversion" && o.type !== "opt_out" && o.type !== "reply") return [["all", "brand", day, metric, 1]];
  const metrics: Array<[string, number]> = [[metric, 1]];
  if (o.revenue !== null && o.currency) metrics.push([`revenue:${o.currency}`, o.revenue]);
  if (!o.messageId) return spread([["all", "brand"]], day, metrics.map(([m, v]) => [`unattributed_${m}`, v]));
  const rows = spread(messageDims(o), day, metrics);
  // A variant's revenue per recipient needs its sum of squares for the interval (raw rows are pruned).
  const variant = variantKey(o);
  if (variant && o.type === "conversion" && o.revenue !== null && o.currency) rows.push(["variant", variant, day, `revenue_sq:${o.currency}`, o.revenue * o.revenue]);
  return rows;
}

/** A person's click (previews are not counted). */
export function clickFacts(c: ClickRecord): RollupRow[] {
  if (c.click !== "click") return [];
  return spread(messageDims({ flowKey: c.flowKey, templateKey: c.templateKey, job: c.job ?? null, stage: c.stage ?? null }), dayOf(c.at), [["clicks", 1]]);
}

/** A stage change: the move, entries, days in the stage left, and the entry cohort of each stage. */
export function stageFacts(c: StageChangeRecord): RollupRow[] {
  const day = dayOf(c.at);
  const from = c.from ?? NO_STAGE;
  const rows: RollupRow[] = [["move", `${from}>${c.to}`, day, "moves", 1], ["stage", c.to, day, "entered", 1], ["stage_cohort", c.to, day, "entered", 1]];
  if (c.from && c.fromAt != null) {
    rows.push(["stage", c.from, day, "left", 1], ["stage", c.from, day, `dwell:${durationBucket(c.at - c.fromAt)}`, 1]);
    rows.push(["stage_cohort", c.from, dayOf(c.fromAt), `moved:${c.to}`, 1]);
  }
  return rows;
}

/** A consent change: opt-ins by source (acquisition), and opt-outs by the source of the grant they ended (source quality). */
export function consentFacts(c: ConsentChangeRecord): RollupRow[] {
  if (c.action === "revoke" && c.endedSource && c.purpose !== "transactional") return [["source", c.endedSource, dayOf(c.at), "opted_out", 1]];
  // An opt-in is a person becoming opted in: a repeat grant from someone already granted is not one.
  if (c.state !== "granted" || c.before === "granted" || (c.action !== "grant" && c.action !== "confirm") || c.purpose === "transactional") return [];
  const day = dayOf(c.at);
  return [["job", "acquisition", day, "opted_in", 1], ["source", c.source, day, "opted_in", 1]];
}

/** A gate decision other than "sent": deferred and skipped by reason, for the brand and the flow. */
export function decisionFacts(d: DecisionRecord): RollupRow[] {
  if (d.outcome === "sent") return [];
  const day = dayOf(d.at);
  const rows: RollupRow[] = [["all", "brand", day, `${d.outcome}:${d.reason}`, 1]];
  if (d.flowKey) rows.push(["flow", d.flowKey, day, `${d.outcome}:${d.reason}`, 1]);
  return rows;
}
