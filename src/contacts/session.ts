/**
 * One unit of work inside a ContactDO: the store, the config snapshot and the pinned flows it needs,
 * all synchronous so a change commits in one transaction. Stage changes and message gating live here;
 * flow runs in ../flows/runner.ts.
 */
import { now } from "../clock";
import { parseDuration } from "../duration";
import { consentBasis, consentOf } from "../consent/ledger";
import { capsFor } from "../caps/caps";
import { type ConsentMessage, decide } from "../gate/gate";
import type { TimingInput } from "../gate/timing";
import { resolveZones } from "../time/contact-zone";
import { flagsOf } from "../rules/flags";
import type { Decision } from "../gate/decision";
import { newId } from "../ids";
import type { CompiledFlow, Config } from "../settings/config";
import { DEFAULT_EXPIRY, type Job, stagesOf } from "../settings/schema";
import { project } from "./projection";
import type { ContactRow, ContactStore, MessageRow } from "./store";

/** What a unit of work runs with. */
export interface Session {
  store: ContactStore;
  config: Config;
  /** Flow versions of this contact's active runs, preloaded (D1 reads are async). */
  flows: Map<string, CompiledFlow>;
  contact: ContactRow;
}

/**
 * Run `fn` as one unit of work on this contact (call it inside a transaction). A contact not stored
 * yet is created in the first stage, unless `create` is false (then this throws: the contact is
 * gone). When the work changed the contact, its projection is queued once at the end.
 */
export function inSession<T>(store: ContactStore, config: Config, flows: Map<string, CompiledFlow>, contactId: string, create: boolean, fn: (s: Session) => T): T {
  store.contactTouched = false;
  let contact = store.contact();
  if (!contact) {
    if (!create) throw new Error(`contact ${contactId} was erased while this call was in flight`);
    const t = now();
    const first = stagesOf(config.settings)[0] ?? null;
    store.run("INSERT INTO contact (id, created_at, stage, stage_at) VALUES (?, ?, ?, ?)", contactId, t, first, t);
    contact = store.contact()!;
    store.run("INSERT INTO stage_history (id, from_stage, to_stage, reason, at) VALUES (?, NULL, ?, 'created', ?)", `s_${contactId}`, first, t);
    store.touchContact();
  }
  const session: Session = { store, config, flows, contact };
  const result = fn(session);
  if (store.contactTouched) project(session);
  return result;
}

/** The flow a run pinned. */
export function flowOf(s: Session, key: string, version: number): CompiledFlow | undefined {
  return s.flows.get(`${key}@${version}`);
}

/** Move the contact to a stage (no-op when already there); recorded with its reason. */
export function setStage(s: Session, stage: string, reason: string): boolean {
  if (s.contact.stage === stage) return false;
  if (!stagesOf(s.config.settings).includes(stage)) {
    console.warn(`stage ${stage} is not configured; ignored`);
    return false;
  }
  const at = now();
  const id = newId("s");
  s.store.run("INSERT INTO stage_history (id, from_stage, to_stage, reason, at) VALUES (?, ?, ?, ?, ?)", id, s.contact.stage, stage, reason, at);
  s.store.run("UPDATE contact SET stage = ?, stage_at = ?", stage, at);
  s.store.record({ kind: "stage_change", id, contactId: s.contact.id, from: s.contact.stage, to: stage, reason, at, fromAt: s.contact.stage ? s.contact.stage_at : null });
  s.contact = { ...s.contact, stage, stage_at: at };
  s.store.touchContact();
  return true;
}

/** What a new outgoing message needs. */
export interface NewMessage {
  idemKey: string;
  fingerprint?: string;
  runId?: string;
  flowKey?: string;
  step?: string;
  template: string;
  purpose?: string;
  job?: string;
  expiresInMs?: number;
  properties: Record<string, unknown>;
  /** The variant label (A–D) of a send step's variant test. */
  variant?: string;
}

/** Create a message (once per idempotency key) and run it through the gate. */
export function createMessage(s: Session, m: NewMessage): { message: MessageRow; decision?: Decision; existed: boolean } {
  const existing = s.store.first<MessageRow>("SELECT * FROM messages WHERE idem_key = ?", m.idemKey);
  if (existing) return { message: existing, existed: true };
  const tpl = s.config.templates.get(m.template);
  const job = (m.job ?? tpl?.job ?? "transactional") as Job;
  const expiry = m.expiresInMs ?? parseDuration(s.config.settings.messages.expiry[job] ?? DEFAULT_EXPIRY[job])!;
  const t = now();
  const id = newId("m");
  s.store.run(
    `INSERT INTO messages (id, idem_key, fingerprint, run_id, flow_key, step, template_key, template_version, purpose, job, stage,
      properties, expires_at, status, created_at, updated_at, variant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    id, m.idemKey, m.fingerprint ?? null, m.runId ?? null, m.flowKey ?? null, m.step ?? null, m.template, tpl?.version ?? null,
    m.purpose ?? tpl?.purpose ?? "transactional", job, s.contact.stage, JSON.stringify(m.properties), t + expiry, t, t, m.variant ?? null,
  );
  const decision = gateMessage(s, id, "flow");
  return { message: s.store.message(id)!, decision, existed: false };
}

/**
 * Decide a message now and act on it: queue it for the gateway, set a timer for a deferral, or skip it.
 * `phase` is "flow" when first decided, "send" at the consumer's re-check.
 */
export function gateMessage(s: Session, messageId: string, phase: "flow" | "send" | "timer"): Decision {
  const m = s.store.message(messageId)!;
  const decision = decisionFor(s, m);
  // Consumer re-checks that pass are not news; every other outcome is recorded.
  if (!(phase === "send" && decision.outcome === "sent")) recordDecision(s, m, decision);
  if (decision.outcome === "sent") {
    if (phase !== "send") {
      s.store.touchMessage(m.id, { status: "queued", reason: null, consent: JSON.stringify(consentBasis(s, m.purpose)), cleared_at: now() });
      s.store.enqueueSend({ contactId: s.contact.id, messageId: m.id, to: s.contact.phone, purpose: m.purpose, ...(m.flow_key?.startsWith("broadcast-") ? { broadcast: m.flow_key.slice(10), expiresAt: m.expires_at } : {}) });
    }
  } else if (decision.outcome === "deferred") {
    s.store.setTimer(`send:${m.id}`, decision.until!, "send", m.id);
    s.store.touchMessage(m.id, { status: "deferred", reason: decision.reason });
  } else {
    s.store.touchMessage(m.id, { status: "skipped", reason: decision.reason });
  }
  return decision;
}

/** The gate's decision for a message row at an instant (default now), without acting on it (dry runs use it too). */
export function decisionFor(s: Session, m: MessageRow, at = now()): Decision {
  const tpl = m.template_version == null ? undefined : s.config.templates.get(m.template_key);
  return decide({
    timing: timingInput(s, m, tpl?.tags ?? [], at),
    now: at,
    message: { purpose: m.purpose, job: m.job, expiresAt: m.expires_at, tags: tpl?.tags ?? [], consentMessage: consentMessageKind(m.template_key) },
    contact: {
      phone: s.contact.phone && s.contact.phone !== s.contact.undeliverable ? s.contact.phone : null,
      suppressed: s.contact.suppressed === 1, stage: s.contact.stage, flags: flagsOf(s),
    },
    consent: consentOf(s),
    template: tpl,
    rules: s.config.settings.rules.rules,
  });
}

/** Statuses of messages that went (or are going) to the gateway: what frequency caps count. */
const COUNTED = "('queued', 'dispatching', 'dispatch_unknown', 'sent', 'delivered')";

/** Caps and quiet hours for one message: the contact's zones, its send history, the flow's policy. */
function timingInput(s: Session, m: MessageRow, tags: readonly string[], at: number): TimingInput {
  const settings = s.config.settings;
  const flow = m.flow_key ? s.config.flows.get(m.flow_key) : undefined;
  const subject = { purpose: m.purpose, job: m.job, stage: s.contact.stage, flow: m.flow_key, tags };
  const history = s.store
    .all<{ purpose: string; job: string; stage: string | null; flow_key: string | null; template_key: string; cleared_at: number }>(
      `SELECT purpose, job, stage, flow_key, template_key, cleared_at FROM messages
       WHERE cleared_at >= ? AND id != ? AND status IN ${COUNTED}`,
      at - 31 * 86_400_000, m.id,
    )
    .map((h) => ({ ...h, flow: h.flow_key, at: h.cleared_at, tags: s.config.templates.get(h.template_key)?.tags ?? [] }));
  const q = settings.quietHours;
  const where = resolveZones(
    { timezone: s.contact.timezone, tzSource: s.contact.tz_source, traits: JSON.parse(s.contact.traits), phone: s.contact.phone },
    settings.brand.defaultTimeZone,
    q,
  );
  return {
    now: at,
    expiresAt: m.expires_at,
    caps: capsFor(settings.caps.rules, subject, flow?.cap),
    history,
    capPolicy: flow?.on_cap ?? "defer",
    quiet: q.exempt.includes(m.purpose)
      ? undefined
      : { zones: where.zones, jurisdiction: where.jurisdiction, rules: q, brandWindow: q.brandWindow, fallbackZone: settings.brand.defaultTimeZone },
  };
}

/** Which consent message a template key names (`system:consent_request`, `system:optin_confirmation`), if any; a join request is a keyword reply. */
export function consentMessageKind(templateKey: string): ConsentMessage | undefined {
  if (templateKey === "system:join_request") return "keyword_reply";
  return templateKey === "system:consent_request" || templateKey === "system:optin_confirmation" || templateKey === "system:keyword_reply"
    ? (templateKey.slice(7) as ConsentMessage)
    : undefined;
}

/** Record a decision on the contact and in D1: about a message, or (message id null) about a flow step that sent none. */
export function recordDecision(s: Session, m: Pick<MessageRow, "flow_key"> & { id: string | null }, d: Decision): void {
  const id = newId("d");
  const at = now();
  s.store.run(
    "INSERT INTO decisions (id, message_id, flow_key, outcome, reason, until, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    id, m.id, m.flow_key, d.outcome, d.reason, d.until ?? null, d.detail ?? null, at,
  );
  s.store.record({
    kind: "decision", id, contactId: s.contact.id, messageId: m.id ?? undefined, flowKey: m.flow_key ?? undefined,
    outcome: d.outcome, reason: d.reason, until: d.until, detail: d.detail, at,
  });
}

/**
 * Cancel a message that has not reached the gateway (its broadcast was cancelled, its contact
 * merged into another): skipped, with the decision recorded.
 */
export function cancelMessage(s: Session, messageId: string, detail: string, reason = "cancelled"): boolean {
  const m = s.store.message(messageId);
  if (!m || !["pending", "queued", "deferred"].includes(m.status)) return false;
  recordDecision(s, m, { outcome: "skipped", reason, detail });
  s.store.clearTimer(`send:${m.id}`);
  s.store.touchMessage(m.id, { status: "skipped", reason });
  return true;
}
