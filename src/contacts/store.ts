/**
 * The ContactDO's SQLite tables and typed access to them. Everything here is synchronous so that a
 * whole change (event, run step, timer, outbox rows) commits in one `transactionSync`.
 */
import { now } from "../clock";
import type { RecordMessage } from "../records/types";

/**
 * The ContactDO's schema, as migrations: a stored contact runs only the ones it has not run yet,
 * so a new column or table reaches existing contacts when they next wake.
 */
export const MIGRATIONS = [
  `CREATE TABLE contact (id TEXT PRIMARY KEY, phone TEXT, timezone TEXT, traits TEXT NOT NULL DEFAULT '{}', stage TEXT,
    stage_at INTEGER, created_at INTEGER NOT NULL, rev INTEGER NOT NULL DEFAULT 0, merged_into TEXT,
    suppressed INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE stage_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, from_stage TEXT,
    to_stage TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    name TEXT, properties TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL);
  CREATE INDEX events_name ON events (name, at);
  CREATE TABLE runs (id TEXT PRIMARY KEY, flow_key TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
    pc INTEGER NOT NULL, started_at INTEGER NOT NULL, started_seq INTEGER NOT NULL, ended_at INTEGER, trigger TEXT NOT NULL,
    rev INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX runs_flow ON runs (flow_key, status);
  CREATE TABLE timers (id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL);
  CREATE INDEX timers_due ON timers (due_at);
  CREATE TABLE messages (id TEXT PRIMARY KEY, idem_key TEXT UNIQUE, fingerprint TEXT, run_id TEXT, flow_key TEXT,
    step TEXT, template_key TEXT NOT NULL, template_version INTEGER, purpose TEXT NOT NULL, job TEXT NOT NULL, stage TEXT,
    properties TEXT NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, body TEXT, segments INTEGER,
    encoding TEXT, "to" TEXT, gateway TEXT, provider_id TEXT, error_code TEXT, error_message TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, sent_at INTEGER, delivered_at INTEGER, updated_at INTEGER NOT NULL, rev INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE decisions (id TEXT PRIMARY KEY, message_id TEXT, flow_key TEXT, outcome TEXT NOT NULL,
    reason TEXT NOT NULL, until INTEGER, detail TEXT, at INTEGER NOT NULL);
  CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL);
  CREATE TABLE seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE consent (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, purpose TEXT NOT NULL,
    action TEXT NOT NULL, state TEXT NOT NULL, source TEXT NOT NULL, phone TEXT, text TEXT, proof TEXT,
    stop INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, recorded_at INTEGER NOT NULL);
  CREATE TABLE flags (name TEXT PRIMARY KEY, source TEXT NOT NULL, at INTEGER NOT NULL);`,
  // The consent a message relied on, recorded when it cleared the gate.
  `ALTER TABLE messages ADD COLUMN consent TEXT;`,
  // When a message cleared the gate (frequency caps count these), and where the contact's time zone came from.
  `ALTER TABLE messages ADD COLUMN cleared_at INTEGER;
  ALTER TABLE contact ADD COLUMN tz_source TEXT;`,
  // Short-link codes given to a message's URLs (JSON {url: code}), so a retry keeps its links.
  `ALTER TABLE messages ADD COLUMN links TEXT;`,
  // A number the provider said cannot receive SMS (21211, 21614): never texted while the contact has it.
  `ALTER TABLE contact ADD COLUMN undeliverable TEXT;`,
  // Tasks for the contact's owner (high-intent replies, flow route steps), each with an SLA timer.
  `CREATE TABLE tasks (id TEXT PRIMARY KEY, intent TEXT NOT NULL, owner TEXT, reply TEXT, source TEXT NOT NULL, stage TEXT,
    state TEXT NOT NULL, sla_due_at INTEGER NOT NULL, created_at INTEGER NOT NULL, acked_at INTEGER, done_at INTEGER,
    breached_at INTEGER, rev INTEGER NOT NULL DEFAULT 0);`,
  // Runs in a flow's control group (holdout): they go through the flow without sending.
  `ALTER TABLE runs ADD COLUMN holdout INTEGER NOT NULL DEFAULT 0;`,
  // The outbox is flushed per queue and cut by bytes; a row that can never be sent is set aside
  // (kept, counted on the contact) instead of blocking the rows behind it. See ./outbox.ts.
  `ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE contact ADD COLUMN set_aside INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE outbox_aside (seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL,
    reason TEXT NOT NULL, attempts INTEGER NOT NULL, at INTEGER NOT NULL);`,
  // Events without AUTOINCREMENT: it wrote sqlite_sequence on every event, a third billed row beside
  // the event and its message_id index (bench:capacity). A seq is now max(seq) + 1, still increasing
  // because the log is trimmed from its oldest end (see EVENT_LOG_LIMIT).
  `CREATE TABLE events_next (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    name TEXT, properties TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL);
  INSERT INTO events_next SELECT seq, message_id, type, name, properties, at, received_at FROM events;
  DROP TABLE events;
  ALTER TABLE events_next RENAME TO events;`,
  // The variant (A–D) a message of a send step's variant test was given.
  `ALTER TABLE messages ADD COLUMN variant TEXT;`,
];

/**
 * The schema a brand-new contact gets in one go: the result of every migration above, with no
 * per-contact indexes (each table holds a handful of rows, up to the event log's 1,000). Creating a
 * contact is the hot path of ingestion, and each DDL statement costs; test/contact-schema.test.ts
 * checks this equals the migrations.
 */
export const FRESH = `
  CREATE TABLE contact (id TEXT PRIMARY KEY, phone TEXT, timezone TEXT, traits TEXT NOT NULL DEFAULT '{}', stage TEXT,
    stage_at INTEGER, created_at INTEGER NOT NULL, rev INTEGER NOT NULL DEFAULT 0, merged_into TEXT,
    suppressed INTEGER NOT NULL DEFAULT 0, tz_source TEXT, undeliverable TEXT, set_aside INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE stage_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, from_stage TEXT,
    to_stage TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    name TEXT, properties TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL);
  CREATE TABLE runs (id TEXT PRIMARY KEY, flow_key TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
    pc INTEGER NOT NULL, started_at INTEGER NOT NULL, started_seq INTEGER NOT NULL, ended_at INTEGER, trigger TEXT NOT NULL,
    rev INTEGER NOT NULL DEFAULT 0, holdout INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE timers (id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL);
  CREATE TABLE messages (id TEXT PRIMARY KEY, idem_key TEXT UNIQUE, fingerprint TEXT, run_id TEXT, flow_key TEXT,
    step TEXT, template_key TEXT NOT NULL, template_version INTEGER, purpose TEXT NOT NULL, job TEXT NOT NULL, stage TEXT,
    properties TEXT NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, body TEXT, segments INTEGER,
    encoding TEXT, "to" TEXT, gateway TEXT, provider_id TEXT, error_code TEXT, error_message TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, sent_at INTEGER, delivered_at INTEGER, updated_at INTEGER NOT NULL, rev INTEGER NOT NULL DEFAULT 0,
    consent TEXT, cleared_at INTEGER, links TEXT, variant TEXT);
  CREATE TABLE decisions (id TEXT PRIMARY KEY, message_id TEXT, flow_key TEXT, outcome TEXT NOT NULL,
    reason TEXT NOT NULL, until INTEGER, detail TEXT, at INTEGER NOT NULL);
  CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE outbox_aside (seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL,
    reason TEXT NOT NULL, attempts INTEGER NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE consent (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, purpose TEXT NOT NULL,
    action TEXT NOT NULL, state TEXT NOT NULL, source TEXT NOT NULL, phone TEXT, text TEXT, proof TEXT,
    stop INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, recorded_at INTEGER NOT NULL);
  CREATE TABLE flags (name TEXT PRIMARY KEY, source TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE tasks (id TEXT PRIMARY KEY, intent TEXT NOT NULL, owner TEXT, reply TEXT, source TEXT NOT NULL, stage TEXT,
    state TEXT NOT NULL, sla_due_at INTEGER NOT NULL, created_at INTEGER NOT NULL, acked_at INTEGER, done_at INTEGER,
    breached_at INTEGER, rev INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE _schema (version INTEGER NOT NULL);`;

/**
 * How many events a contact keeps (dedupe, wait_for, count and absence triggers). The log is trimmed
 * from its oldest end and never emptied, so an event's seq (max + 1) only grows: runs remember the
 * seq they started at. Whatever prunes events must keep the newest one.
 */
export const EVENT_LOG_LIMIT = 1000;

/** The contact row. */
export interface ContactRow {
  id: string;
  phone: string | null;
  timezone: string | null;
  traits: string;
  stage: string | null;
  stage_at: number | null;
  created_at: number;
  rev: number;
  merged_into: string | null;
  suppressed: number;
  tz_source: string | null;
  undeliverable: string | null;
  /** Outbox rows that could never be sent and were set aside (see ./outbox.ts). */
  set_aside: number;
}

/** A message row. */
export interface MessageRow {
  id: string;
  idem_key: string | null;
  fingerprint: string | null;
  run_id: string | null;
  flow_key: string | null;
  step: string | null;
  template_key: string;
  template_version: number | null;
  purpose: string;
  job: string;
  stage: string | null;
  properties: string;
  expires_at: number;
  status: string;
  reason: string | null;
  body: string | null;
  segments: number | null;
  encoding: string | null;
  to: string | null;
  gateway: string | null;
  provider_id: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  created_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  updated_at: number;
  rev: number;
  /** JSON: the consent the message relied on. */
  consent: string | null;
  cleared_at: number | null;
  links: string | null;
  /** The variant (A–D) of a send step's variant test, if any. */
  variant: string | null;
}

/** A run row. */
export interface RunRow {
  id: string;
  flow_key: string;
  version: number;
  status: string;
  pc: number;
  started_at: number;
  started_seq: number;
  ended_at: number | null;
  trigger: string;
  rev: number;
  holdout: number;
}

/** An event row. */
export interface EventRow {
  seq: number;
  message_id: string;
  type: string;
  name: string | null;
  properties: string;
  at: number;
  received_at: number;
}

/** A timer row: `kind` says what to do when `due_at` passes, `ref` names the run or message. */
export interface TimerRow {
  id: string;
  due_at: number;
  kind: "run" | "send" | "absence" | "dormant" | "sla" | "reconcile";
  ref: string;
}

/** Statuses after which a message is never rendered again (a message skipped for a merge is re-created, with its properties, at the contact it merged into). */
const SETTLED = new Set(["sent", "delivered", "failed", "undelivered", "skipped"]);

/** Typed access to one contact's tables. */
export class ContactStore {
  constructor(readonly sql: SqlStorage) {
    const tables = new Set(sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name as string));
    if (!tables.has("contact")) {
      // A new contact: the whole current schema at once.
      sql.exec(FRESH);
      sql.exec("INSERT INTO _schema (version) VALUES (?)", MIGRATIONS.length);
      return;
    }
    sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)");
    // A contact stored before versions were kept has the first migration's tables.
    const done = (sql.exec("SELECT max(version) AS v FROM _schema").one().v as number | null) ?? 1;
    MIGRATIONS.slice(done).forEach((m, i) => {
      sql.exec(m);
      sql.exec("INSERT INTO _schema (version) VALUES (?)", done + i + 1);
    });
  }

  /** Rows of a query. */
  all<T>(query: string, ...binds: unknown[]): T[] {
    return this.sql.exec(query, ...binds).toArray() as T[];
  }

  /** First row of a query, if any. */
  first<T>(query: string, ...binds: unknown[]): T | undefined {
    return this.all<T>(query, ...binds)[0];
  }

  /** Run a statement; returns rows written. */
  run(query: string, ...binds: unknown[]): number {
    return this.sql.exec(query, ...binds).rowsWritten;
  }

  /** The contact row, if this contact exists. */
  contact(): ContactRow | undefined {
    return this.first<ContactRow>("SELECT * FROM contact LIMIT 1");
  }

  /** One message of this contact, by id. */
  message(id: string): MessageRow | undefined {
    return this.first<MessageRow>("SELECT * FROM messages WHERE id = ?", id);
  }

  /** Queue a record for D1 (sent after the transaction commits). */
  record(r: RecordMessage): void {
    this.run("INSERT INTO outbox (queue, body) VALUES ('records', ?)", JSON.stringify(r));
  }

  /** Queue a message for the send queue (with where it goes and why, so the consumer can pace its sender). */
  enqueueSend(body: { contactId: string; messageId: string; to: string | null; purpose: string; broadcast?: string; expiresAt?: number }): void {
    this.run("INSERT INTO outbox (queue, body) VALUES ('send', ?)", JSON.stringify(body));
  }

  /** Set or move a timer. */
  setTimer(id: string, dueAt: number, kind: TimerRow["kind"], ref: string): void {
    this.run(
      "INSERT INTO timers (id, due_at, kind, ref) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET due_at = excluded.due_at, kind = excluded.kind, ref = excluded.ref",
      id, dueAt, kind, ref,
    );
  }

  /** Remove a timer; true when it existed. */
  clearTimer(id: string): boolean {
    return this.run("DELETE FROM timers WHERE id = ?", id) > 0;
  }

  /** Mark the contact changed: its projection is rebuilt once, when the transaction's work is done. */
  touchContact(): void {
    this.contactTouched = true;
  }

  /** Whether the contact changed in this unit of work (cleared by the caller when it queues the projection). */
  contactTouched = false;

  /**
   * Bump a message's revision and queue its row for D1. A message that reached a final status drops
   * the trigger properties it was created with (only rendering needs them; the body is kept).
   */
  touchMessage(id: string, update: Partial<MessageRow>): MessageRow {
    const final = update.status !== undefined && SETTLED.has(update.status) && !(update.status === "skipped" && update.reason === "merged");
    const changes = final ? { ...update, properties: "{}" } : update;
    const sets = Object.keys(changes).map((k) => `"${k}" = ?`);
    this.run(`UPDATE messages SET ${[...sets, "updated_at = ?", "rev = rev + 1"].join(", ")} WHERE id = ?`, ...Object.values(changes), now(), id);
    const m = this.message(id)!;
    const contactId = this.contact()!.id;
    this.record({
      kind: "message", id: m.id, rev: m.rev, contactId, flowKey: m.flow_key, runId: m.run_id, step: m.step,
      templateKey: m.template_key, templateVersion: m.template_version, purpose: m.purpose, job: m.job, stage: m.stage,
      to: m.to, body: m.body, segments: m.segments, encoding: m.encoding, status: m.status, reason: m.reason,
      errorCode: m.error_code, errorMessage: m.error_message, gateway: m.gateway, providerId: m.provider_id,
      createdAt: m.created_at, expiresAt: m.expires_at, sentAt: m.sent_at, deliveredAt: m.delivered_at, updatedAt: m.updated_at,
      consent: m.consent ? JSON.parse(m.consent) : null, variant: m.variant ?? null,
    });
    return m;
  }

  /** Bump a run's revision and queue its position for D1. */
  touchRun(id: string, step: string, job?: string): void {
    this.run("UPDATE runs SET rev = rev + 1 WHERE id = ?", id);
    const r = this.first<RunRow>("SELECT * FROM runs WHERE id = ?", id)!;
    this.record({
      kind: "run", id: r.id, rev: r.rev, contactId: this.contact()!.id, flowKey: r.flow_key, version: r.version,
      step, status: r.status, startedAt: r.started_at, updatedAt: now(), job, holdout: r.holdout === 1,
    });
  }
}
