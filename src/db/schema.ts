/** D1 tables: what is shared or queried across contacts. Migrations are generated from this file. */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Small named values: `config_version` (bumped on every settings/flow/template write), `records_ping`. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** Settings sections, one row per version. */
export const settings = sqliteTable(
  "settings",
  {
    section: text("section").notNull(),
    version: integer("version").notNull(),
    body: text("body", { mode: "json" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.section, t.version] })],
);

/** Flow versions; the highest version of a key is the current one. */
export const flows = sqliteTable(
  "flows",
  {
    key: text("key").notNull(),
    version: integer("version").notNull(),
    status: text("status").notNull(),
    body: text("body", { mode: "json" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.version] })],
);

/** Template versions; the highest version of a key is the current one. */
export const templates = sqliteTable(
  "templates",
  {
    key: text("key").notNull(),
    version: integer("version").notNull(),
    status: text("status").notNull(),
    body: text("body", { mode: "json" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.version] })],
);

/** The contact projection: enough for lists by stage and broadcasts; the ContactDO holds the truth. */
export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(),
    stage: text("stage"),
    phone: text("phone"),
    timezone: text("timezone"),
    traits: text("traits", { mode: "json" }).notNull(),
    /** Consent state per purpose, e.g. {"marketing":"granted"}. */
    consent: text("consent", { mode: "json" }).notNull().default("{}"),
    flags: text("flags", { mode: "json" }).notNull().default("[]"),
    suppressed: integer("suppressed", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    rev: integer("rev").notNull(),
  },
  (t) => [index("contacts_stage").on(t.stage, t.id)],
);

/** Every stage change with its reason. */
export const stageChanges = sqliteTable(
  "stage_changes",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    fromStage: text("from_stage"),
    toStage: text("to_stage").notNull(),
    reason: text("reason").notNull(),
    at: integer("at").notNull(),
    /** When the contact had entered `from_stage`. */
    fromAt: integer("from_at"),
  },
  (t) => [index("stage_changes_contact").on(t.contactId, t.at), index("stage_changes_at").on(t.at)],
);

/** Every gate decision. */
export const decisions = sqliteTable(
  "decisions",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    messageId: text("message_id"),
    flowKey: text("flow_key"),
    outcome: text("outcome").notNull(),
    reason: text("reason").notNull(),
    until: integer("until"),
    detail: text("detail"),
    at: integer("at").notNull(),
  },
  (t) => [index("decisions_contact").on(t.contactId, t.at), index("decisions_reason").on(t.reason, t.at), index("decisions_at").on(t.at)],
);

/** Messages and their delivery status, projected from the ContactDO (rev guards against stale batches). */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    flowKey: text("flow_key"),
    runId: text("run_id"),
    step: text("step"),
    templateKey: text("template_key").notNull(),
    templateVersion: integer("template_version"),
    purpose: text("purpose").notNull(),
    job: text("job").notNull(),
    stage: text("stage"),
    to: text("to"),
    body: text("body"),
    segments: integer("segments"),
    encoding: text("encoding"),
    status: text("status").notNull(),
    reason: text("reason"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    gateway: text("gateway"),
    providerId: text("provider_id"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    sentAt: integer("sent_at"),
    deliveredAt: integer("delivered_at"),
    updatedAt: integer("updated_at").notNull(),
    rev: integer("rev").notNull(),
    /** The consent the message relied on: {purpose, state, source, at, text} or {purpose, state: "implied"}. */
    consent: text("consent", { mode: "json" }),
    /** Which of this message's facts (created, sent, delivered, failed: bits of reports/facts.ts COUNTED) the rollups hold. */
    counted: integer("counted").notNull().default(0),
    /** The variant (A–D) of a send step's variant test (migration 0015). */
    variant: text("variant"),
  },
  (t) => [index("messages_contact").on(t.contactId, t.createdAt), index("messages_flow").on(t.flowKey, t.createdAt), index("messages_sent").on(t.sentAt), index("messages_created").on(t.createdAt)],
);

/** Flow runs: where each run is, so the runs waiting at each step can be counted. */
export const flowRuns = sqliteTable(
  "flow_runs",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    flowKey: text("flow_key").notNull(),
    version: integer("version").notNull(),
    step: text("step").notNull(),
    status: text("status").notNull(),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    rev: integer("rev").notNull(),
    /** In the flow's control group: the run went through the flow without sending. */
    holdout: integer("holdout", { mode: "boolean" }).notNull().default(false),
    job: text("job"),
    /** 1 once the run's entry is in the rollups. */
    counted: integer("counted").notNull().default(0),
  },
  (t) => [index("flow_runs_flow").on(t.flowKey, t.status, t.step), index("flow_runs_updated").on(t.updatedAt)],
);

/** Goal events reached by runs. */
export const conversions = sqliteTable(
  "conversions",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    runId: text("run_id"),
    flowKey: text("flow_key"),
    event: text("event").notNull(),
    revenue: real("revenue"),
    currency: text("currency"),
    at: integer("at").notNull(),
    holdout: integer("holdout", { mode: "boolean" }).notNull().default(false),
    startedAt: integer("started_at"),
    job: text("job"),
  },
  (t) => [index("conversions_flow").on(t.flowKey, t.at), index("conversions_at").on(t.at)],
);

/**
 * Outcomes: conversions (with revenue), opt-outs and replies credited by last touch to the message
 * that led to them (message columns null: nothing in window), and appointments, no-shows and B2B steps.
 */
export const outcomes = sqliteTable(
  "outcomes",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    type: text("type").notNull(),
    event: text("event").notNull(),
    at: integer("at").notNull(),
    revenue: real("revenue"),
    currency: text("currency"),
    messageId: text("message_id"),
    flowKey: text("flow_key"),
    templateKey: text("template_key"),
    templateVersion: integer("template_version"),
    stage: text("stage"),
    job: text("job"),
    /** How the message earned the credit: click, delivery (conversions) or sent (opt-outs, replies). */
    touch: text("touch"),
    touchAt: integer("touch_at"),
  },
  (t) => [index("outcomes_at").on(t.type, t.at), index("outcomes_flow").on(t.flowKey, t.at), index("outcomes_time").on(t.at)],
);

/**
 * Report rollups: amounts per dimension, key, UTC day and metric, added to by the records consumer
 * in the same D1 batch as the records themselves (each record counts once). Reports sum a day range.
 */
export const rollups = sqliteTable(
  "rollups",
  {
    dim: text("dim").notNull(),
    key: text("key").notNull(),
    day: integer("day").notNull(),
    metric: text("metric").notNull(),
    value: real("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.dim, t.day, t.key, t.metric] })],
);

/** What the sandbox gateway "sent": the local stand-in for a phone. */
export const sandboxMessages = sqliteTable(
  "sandbox_messages",
  {
    id: text("id").primaryKey(),
    to: text("to").notNull(),
    body: text("body").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("sandbox_messages_at").on(t.at)],
);

/** Numbers never texted, kept only as a keyed HMAC-SHA256 of the E.164 number. */
export const suppressions = sqliteTable("suppressions", {
  hash: text("hash").primaryKey(),
  reason: text("reason").notNull(),
  source: text("source").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Contact imports and their progress (rows are applied by the import queue). */
export const imports = sqliteTable("imports", {
  id: text("id").primaryKey(),
  status: text("status").notNull(),
  rows: integer("rows").notNull().default(0),
  accepted: integer("accepted").notNull().default(0),
  rejected: integer("rejected").notNull().default(0),
  applied: integer("applied").notNull().default(0),
  unchanged: integer("unchanged").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  errors: text("errors", { mode: "json" }).notNull().default("[]"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Import chunks already counted, so a redelivered chunk is not counted twice. */
export const importChunks = sqliteTable(
  "import_chunks",
  { importId: text("import_id").notNull(), chunk: integer("chunk").notNull() },
  (t) => [primaryKey({ columns: [t.importId, t.chunk] })],
);

/** Link destinations, each stored once (a template's URL is shared by every message that links to it). */
export const linkTargets = sqliteTable(
  "link_targets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    url: text("url").notNull(),
  },
  (t) => [uniqueIndex("link_targets_url").on(t.url)],
);

/** Short links: one per message and destination. Written before the message reaches the gateway. */
export const links = sqliteTable(
  "links",
  {
    code: text("code").primaryKey(),
    messageId: text("message_id").notNull(),
    contactId: text("contact_id").notNull(),
    /** The destination: `link_targets.id`. */
    target: integer("target").notNull(),
    templateKey: text("template_key"),
    flowKey: text("flow_key"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("links_expires").on(t.expiresAt), index("links_target").on(t.target)],
);

/** Link hits: `click` (a person) or `preview` (a bot, a HEAD request, a fetch right after delivery). */
export const clicks = sqliteTable(
  "clicks",
  {
    id: text("id").primaryKey(),
    code: text("code").notNull(),
    messageId: text("message_id").notNull(),
    contactId: text("contact_id").notNull(),
    flowKey: text("flow_key"),
    templateKey: text("template_key"),
    kind: text("kind").notNull(),
    reason: text("reason"),
    userAgent: text("user_agent"),
    at: integer("at").notNull(),
    job: text("job"),
    stage: text("stage"),
  },
  (t) => [index("clicks_message").on(t.messageId), index("clicks_flow").on(t.flowKey, t.at), index("clicks_at").on(t.at)],
);

/** Tasks for owners, projected from the ContactDO (rev guards against stale batches). */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    intent: text("intent").notNull(),
    owner: text("owner"),
    reply: text("reply"),
    source: text("source").notNull(),
    stage: text("stage"),
    state: text("state").notNull(),
    slaDueAt: integer("sla_due_at").notNull(),
    createdAt: integer("created_at").notNull(),
    ackedAt: integer("acked_at"),
    doneAt: integer("done_at"),
    breachedAt: integer("breached_at"),
    rev: integer("rev").notNull(),
  },
  (t) => [index("tasks_owner").on(t.owner, t.state, t.slaDueAt), index("tasks_done").on(t.doneAt).where(sql`${t.doneAt} IS NOT NULL`)],
);

/** Managed API keys: only the SHA-256 of the key is stored; the key is shown once, at creation. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    hash: text("hash").notNull().unique(),
    /** The first characters of the key (`tid_ab12…`), so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
    /** Browser keys: the origins (JSON array) whose pages may use the key. */
    origins: text("origins"),
    /** Browser keys: calls a minute one client address may send. */
    ratePerMinute: integer("rate_per_minute"),
  },
);

/** Admin changes made through the API: who, what, when, before and after. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    keyId: text("key_id").notNull(),
    role: text("role").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull(),
    before: text("before", { mode: "json" }),
    after: text("after", { mode: "json" }),
  },
  (t) => [index("audit_at").on(t.at, t.id), index("audit_action").on(t.action, t.at), index("audit_target").on(t.target, t.at), index("audit_key").on(t.keyId, t.at)],
);

/** Consent ledger changes without the number or the text (governance: opt-out rates, provenance). */
export const consentChanges = sqliteTable(
  "consent_changes",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id").notNull(),
    purpose: text("purpose").notNull(),
    action: text("action").notNull(),
    state: text("state").notNull(),
    source: text("source").notNull(),
    /** Whether the entry carries the text agreed to, and proof (IP, page, user agent). */
    hasText: integer("has_text", { mode: "boolean" }).notNull(),
    hasProof: integer("has_proof", { mode: "boolean" }).notNull(),
    at: integer("at").notNull(),
    /** The purpose's state before the change (null for rows written before it was recorded). */
    before: text("before"),
    /** For a revocation of a granted purpose: the source of the grant it ended (migration 0015). */
    endedSource: text("ended_source"),
  },
  (t) => [index("consent_changes_at").on(t.action, t.at), index("consent_changes_contact").on(t.contactId, t.at), index("consent_changes_time").on(t.at)],
);

/** Stored governance reports (monthly, by the Cron Trigger). */
export const governanceReports = sqliteTable("governance_reports", {
  id: text("id").primaryKey(),
  fromAt: integer("from_at").notNull(),
  toAt: integer("to_at").notNull(),
  createdAt: integer("created_at").notNull(),
  body: text("body", { mode: "json" }).notNull(),
});

/** Erased contacts (ids only): late records for them are scrubbed as they are written. */
export const erasures = sqliteTable("erasures", {
  contactId: text("contact_id").primaryKey(),
  at: integer("at").notNull(),
});

/** Broadcasts: a template to a segment at a time; each runs as the flow `broadcast-<id>`. */
export const broadcasts = sqliteTable("broadcasts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** draft → running → done (fan-out complete; sends continue at each recipient's time); paused; cancelled. */
  status: text("status").notNull(),
  body: text("body", { mode: "json" }).notNull(),
  flowKey: text("flow_key").notNull(),
  /** The dry run's state: null (none), running, done. */
  dryRun: text("dry_run"),
  /** Last contact id the fan-out reached (resume continues after it) and its page number. */
  cursor: text("cursor"),
  page: integer("page").notNull().default(0),
  /** 1 once every page was fanned out (a resume after a pause then goes back to done, not on). */
  fanoutDone: integer("fanout_done").notNull().default(0),
  idempotencyKey: text("idempotency_key").unique(),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  launchedAt: integer("launched_at"),
});

/** What each page of a broadcast's fan-out found (outcome:reason → contacts), per phase; a redelivered page replaces its own row. */
export const broadcastPages = sqliteTable(
  "broadcast_pages",
  {
    broadcastId: text("broadcast_id").notNull(),
    phase: text("phase").notNull(),
    page: integer("page").notNull(),
    contacts: integer("contacts").notNull(),
    counts: text("counts", { mode: "json" }).notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.phase, t.page] })],
);

/**
 * Idempotency-Keys of one-off sends, global to the deployment (`messages:<key>`), each with the
 * fingerprint of the request that first used it. Kept 24 h: an older row is forgotten when read.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").primaryKey(),
    fingerprint: text("fingerprint").notNull(),
    /** The contact the request went to, once known (a replay goes to the same contact). */
    contactId: text("contact_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("idempotency_keys_created").on(t.createdAt)],
);
