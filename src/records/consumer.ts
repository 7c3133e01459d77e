/**
 * The records consumer: one D1 batch per queue batch. Inserts are `ON CONFLICT DO NOTHING` by id and
 * projections are upserts guarded by `rev`, so redelivery and out-of-order batches are harmless.
 * Report rollups are added to in the same batch, each right after the statement that proves the record
 * is new (an insert that inserted, a `counted` bit that was not yet set): SQLite's `changes()`.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import * as t from "../db/schema";
import type { MessageRecord, RecordMessage } from "./types";
import { getConfig } from "../settings/config";
import { costOf } from "../templates/prices";
import { countryOfNumber } from "../time/phone-zones";
import * as facts from "../reports/facts";
import { emitRecordEvents } from "../outbound/deliveries";

/** A statement of the batch: a drizzle query, or raw SQL with its parameters. */
type Op = BatchItem<"sqlite"> | { raw: string; params: unknown[] };

/** Add rows to the rollups if the statement just before it changed a row (the record is news). */
function rollup(rows: facts.RollupRow[]): Op[] {
  if (!rows.length) return [];
  return [{
    raw: `INSERT INTO rollups (dim, key, day, metric, value)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) WHERE changes() = 1
      ON CONFLICT (dim, day, key, metric) DO UPDATE SET value = rollups.value + excluded.value`,
    params: [JSON.stringify(rows)],
  }];
}

/** What a sent message cost, from the price table in settings (provider from its gateway, country from its number). */
async function costFinder(env: Env, records: RecordMessage[]): Promise<(m: MessageRecord) => { amount: number; currency: string } | undefined> {
  if (!records.some((r) => r.kind === "message" && r.sentAt !== null)) return () => undefined;
  const table = (await getConfig(env.DB)).settings.templates.prices;
  return (m) => {
    if (!m.gateway || !m.to || !m.segments) return undefined;
    const cost = costOf(table, m.gateway.split(":")[0]!, countryOfNumber(m.to), m.segments);
    return cost ? { amount: cost.total, currency: cost.currency } : undefined;
  };
}

/** Write a batch of records to D1 in one transaction. */
export async function writeRecords(env: Env, records: RecordMessage[]): Promise<void> {
  const db = drizzle(env.DB);
  const ops: Op[] = [];
  const costOfMessage = await costFinder(env, records);
  for (const r of records) {
    switch (r.kind) {
      case "decision":
        ops.push(
          db.insert(t.decisions).values({
            id: r.id, contactId: r.contactId, messageId: r.messageId ?? null, flowKey: r.flowKey ?? null,
            outcome: r.outcome, reason: r.reason, until: r.until ?? null, detail: r.detail ?? null, at: r.at,
          }).onConflictDoNothing(),
          ...rollup(facts.decisionFacts(r)),
        );
        break;
      case "stage_change":
        ops.push(
          db.insert(t.stageChanges).values({ id: r.id, contactId: r.contactId, fromStage: r.from, toStage: r.to, reason: r.reason, at: r.at, fromAt: r.fromAt ?? null })
            .onConflictDoNothing(),
          ...rollup(facts.stageFacts(r)),
        );
        break;
      case "contact": {
        if (r.mergedInto) {
          ops.push(db.delete(t.contacts).where(sql`${t.contacts.id} = ${r.contactId}`));
          break;
        }
        const row = {
          id: r.contactId, stage: r.stage, phone: r.phone, timezone: r.timezone, traits: r.traits, consent: r.consent, flags: r.flags,
          suppressed: r.suppressed, createdAt: r.createdAt, updatedAt: r.updatedAt, rev: r.rev,
        };
        const { id: _id, createdAt: _c, ...changes } = row;
        ops.push(
          db.insert(t.contacts).values(row).onConflictDoUpdate({
            target: t.contacts.id,
            set: changes,
            setWhere: sql`excluded.rev > ${t.contacts.rev}`,
          }),
        );
        break;
      }
      case "message": {
        const { kind: _k, ...row } = r;
        const { id: _id, contactId: _c, createdAt: _cr, ...changes } = row;
        ops.push(
          db.insert(t.messages).values(row).onConflictDoUpdate({
            target: t.messages.id,
            set: changes,
            setWhere: sql`excluded.rev > ${t.messages.rev}`,
          }),
        );
        for (const f of facts.messageFacts(r, costOfMessage(r))) {
          ops.push({ raw: "UPDATE messages SET counted = counted | ?1 WHERE id = ?2 AND (counted & ?1) = 0", params: [f.bit, r.id] }, ...rollup(f.rows));
        }
        break;
      }
      case "run": {
        const { kind: _k, ...row } = r;
        ops.push(
          db.insert(t.flowRuns).values(row).onConflictDoUpdate({
            target: t.flowRuns.id,
            set: { step: row.step, status: row.status, updatedAt: row.updatedAt, rev: row.rev, version: row.version },
            setWhere: sql`excluded.rev > ${t.flowRuns.rev}`,
          }),
          { raw: "UPDATE flow_runs SET counted = 1 WHERE id = ? AND counted = 0", params: [r.id] },
          ...rollup(facts.runFacts(r)),
        );
        break;
      }
      case "conversion": {
        const { kind: _k, ...row } = r;
        ops.push(db.insert(t.conversions).values(row).onConflictDoNothing(), ...rollup(facts.conversionFacts(r)));
        break;
      }
      case "outcome": {
        const { kind: _k, intent: _i, ...row } = r;
        ops.push(db.insert(t.outcomes).values(row).onConflictDoNothing(), ...rollup(facts.outcomeFacts(r)));
        break;
      }
      case "click": {
        const { kind: _k, click, ...row } = r;
        ops.push(db.insert(t.clicks).values({ ...row, kind: click }).onConflictDoNothing(), ...rollup(facts.clickFacts(r)));
        break;
      }
      case "task": {
        const { kind: _k, ...row } = r;
        const { id: _id, contactId: _c, createdAt: _cr, ...changes } = row;
        ops.push(db.insert(t.tasks).values(row).onConflictDoUpdate({ target: t.tasks.id, set: changes, setWhere: sql`excluded.rev > ${t.tasks.rev}` }));
        break;
      }
      case "consent": {
        const { kind: _k, ...row } = r;
        ops.push(db.insert(t.consentChanges).values(row).onConflictDoNothing(), ...rollup(facts.consentFacts(r)));
        break;
      }
      case "ping":
        ops.push(
          db.insert(t.meta).values({ key: "records_ping", value: r.id })
            .onConflictDoUpdate({ target: t.meta.key, set: { value: r.id } }),
        );
        break;
    }
  }
  // A late or redelivered record of an erased contact must not bring its number back: scrub it in the same batch.
  const touched = [...new Set(records.flatMap((r) => (r.kind === "contact" || r.kind === "message" || r.kind === "task" || r.kind === "click" ? [r.contactId] : [])))];
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < touched.length; i += 50) ops.push(...scrubErased(db, touched.slice(i, i + 50)));
  // One D1 batch (a transaction), in order: raw SQL where drizzle has no builder (json_each, changes()).
  if (ops.length) {
    await env.DB.batch(ops.map((op) => {
      const q = "raw" in op ? { sql: op.raw, params: op.params } : (op as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
      return env.DB.prepare(q.sql).bind(...q.params);
    }));
  }
}

/**
 * Statements that anonymise the D1 rows of those of `ids` that were erased: rows from before the
 * erasure only, so a new contact under the same id (the same userId later) is kept. A no-op otherwise.
 */
export function scrubErased(db: ReturnType<typeof drizzle>, ids: string[]): BatchItem<"sqlite">[] {
  const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
  // Qualified by hand: an unqualified contact_id inside the subquery would name erasures' own column.
  const before = (table: string, id: string) => sql.raw(`EXISTS (SELECT 1 FROM erasures e WHERE e.contact_id = "${table}"."${id}" AND "${table}"."created_at" <= e.at)`);
  return [
    db.delete(t.contacts).where(sql`${t.contacts.id} IN (${list}) AND ${before("contacts", "id")}`),
    db.update(t.messages).set({ to: null, body: null })
      .where(sql`${t.messages.contactId} IN (${list}) AND (${t.messages.to} IS NOT NULL OR ${t.messages.body} IS NOT NULL) AND ${before("messages", "contact_id")}`),
    db.update(t.tasks).set({ reply: null })
      .where(sql`${t.tasks.contactId} IN (${list}) AND ${t.tasks.reply} IS NOT NULL AND ${before("tasks", "contact_id")}`),
    db.update(t.clicks).set({ userAgent: null })
      .where(sql`${t.clicks.contactId} IN (${list}) AND ${t.clicks.userAgent} IS NOT NULL AND ${sql.raw(`EXISTS (SELECT 1 FROM erasures e WHERE e.contact_id = "clicks"."contact_id" AND "clicks"."at" <= e.at)`)}`),
  ];
}

/** Queue handler for the records queue: all or nothing per batch (D1 batches are transactions). */
export async function consumeRecords(batch: MessageBatch<RecordMessage>, env: Env): Promise<void> {
  try {
    const records = batch.messages.map((m) => m.body);
    await writeRecords(env, records);
    // The outbound event stream is derived from the same records (idempotent: a redelivery adds nothing).
    await emitRecordEvents(env, records);
    batch.ackAll();
  } catch (err) {
    console.error("records batch failed, retrying", err);
    batch.retryAll({ delaySeconds: 2 });
  }
}
