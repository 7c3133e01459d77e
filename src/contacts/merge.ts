/**
 * Merging an anonymous contact into a known one, inside each contact's transaction: what the
 * merged contact hands over, and how the surviving contact takes it. Everything that belongs to the
 * person follows them (events, consent with its provenance, flags, traits, a later stage, active
 * runs with their timers, messages not yet at the gateway); the number's rules are numbers.ts's.
 */
import { now } from "../clock";
import { activeRuns, maxSeq, refreshAbsenceTimers } from "../flows/runner";
import { newId } from "../ids";
import { stagesOf } from "../settings/schema";
import { TRAITS_BYTES, fillWithin, kb } from "../size-limits";
import type { ConsentRow } from "../consent/ledger";
import { type NumberClaim, joinLedger, lapseOtherNumbers, noteHeld, takeNumber } from "./numbers";
import { type Session, cancelMessage, gateMessage, setStage } from "./session";
import type { ContactRow, EventRow, MessageRow, RunRow, TimerRow } from "./store";

/** Everything a merged contact hands to the contact it merged into. */
export interface HandOver {
  contact: ContactRow;
  events: EventRow[];
  consent: ConsentRow[];
  flags: Array<{ name: string; source: string; at: number }>;
  runs: RunRow[];
  timers: TimerRow[];
  /** Messages that had not reached the gateway: skipped here (reason `merged`), decided again there. */
  messages: MessageRow[];
}

/**
 * Mark this contact merged into `intoId` (it forwards from now on), end its active runs and the
 * messages that have not reached the gateway, and say what it hands over. Repeating it hands over
 * the same things, so a merge interrupted half-way can be run again.
 */
export function handOver(s: Session, intoId: string): HandOver {
  if (!s.contact.merged_into) {
    s.store.run("UPDATE contact SET merged_into = ?", intoId);
    s.contact = s.store.contact()!;
    for (const r of activeRuns(s)) {
      s.store.run("UPDATE runs SET status = 'merged', ended_at = ? WHERE id = ?", now(), r.id);
      s.store.touchRun(r.id, "merged");
    }
    // None of them is sent from here: the send job that reaches this contact finds them skipped.
    for (const m of s.store.all<{ id: string }>("SELECT id FROM messages WHERE status IN ('pending', 'queued', 'deferred')")) {
      cancelMessage(s, m.id, `merged into ${intoId}`, "merged");
    }
    s.store.touchContact();
  }
  return {
    contact: s.contact,
    events: s.store.all<EventRow>("SELECT * FROM events ORDER BY seq"),
    consent: s.store.all<ConsentRow>("SELECT * FROM consent ORDER BY seq"),
    flags: s.store.all<{ name: string; source: string; at: number }>("SELECT * FROM flags"),
    runs: s.store.all<RunRow>("SELECT * FROM runs WHERE status = 'merged'"),
    timers: s.store.all<TimerRow>("SELECT * FROM timers WHERE kind = 'run'"),
    messages: s.store.all<MessageRow>("SELECT * FROM messages WHERE status = 'skipped' AND reason = 'merged' ORDER BY created_at"),
  };
}

/**
 * Take what the contact `fromId` handed over. `claim` is its number, claimed for this contact when
 * it had none (a contact that has a number keeps it; the merged contact's is left unowned).
 */
export function absorb(s: Session, dump: HandOver, fromId: string, claim: NumberClaim | undefined): void {
  const base = maxSeq(s);
  for (const e of dump.events) {
    s.store.run(
      "INSERT OR IGNORE INTO events (message_id, type, name, properties, at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
      e.message_id, e.type, e.name, e.properties, e.at, e.received_at,
    );
  }
  // Consent travels with its provenance, still tied to the number it was given for, in the order it happened.
  joinLedger(s, dump.consent);
  for (const f of dump.flags) s.store.run("INSERT OR IGNORE INTO flags (name, source, at) VALUES (?, ?, ?)", f.name, f.source, f.at);
  // The known contact's traits win; the anonymous one fills gaps while they fit under the cap.
  const { traits, dropped } = fillWithin(JSON.parse(s.contact.traits), JSON.parse(dump.contact.traits));
  if (dropped.length) console.warn(`merge ${fromId} into ${s.contact.id}: traits over the ${kb(TRAITS_BYTES)} cap left out: ${dropped.join(", ")}`);
  const order = stagesOf(s.config.settings);
  const later = order.indexOf(dump.contact.stage ?? "") > order.indexOf(s.contact.stage ?? "");
  s.store.run("UPDATE contact SET traits = ?, timezone = coalesce(timezone, ?)", JSON.stringify(traits), dump.contact.timezone);
  s.contact = s.store.contact()!;
  if (claim) takeNumber(s, claim);
  // The merged contact's number is the person's too, kept or not: an erasure of this contact covers it.
  else if (dump.contact.phone) noteHeld(s.store, dump.contact.phone);
  if (later && dump.contact.stage) setStage(s, dump.contact.stage, `merge:${fromId}`);
  for (const r of dump.runs) {
    if (s.store.first("SELECT 1 FROM runs WHERE flow_key = ? AND status = 'active'", r.flow_key)) continue;
    // Once-only flows (broadcasts) the known contact already ran are not run twice.
    if (s.config.flows.get(r.flow_key)?.reentry === "never" && s.store.first("SELECT 1 FROM runs WHERE flow_key = ?", r.flow_key)) continue;
    s.store.run(
      "INSERT OR IGNORE INTO runs (id, flow_key, version, status, pc, started_at, started_seq, trigger, holdout) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)",
      r.id, r.flow_key, r.version, r.pc, r.started_at, base, r.trigger, r.holdout ?? 0,
    );
    for (const t of dump.timers.filter((t) => t.ref === r.id)) s.store.setTimer(t.id, t.due_at, t.kind, t.ref);
  }
  // A message of a run that stayed behind (this contact already runs that flow) is not sent twice.
  for (const m of dump.messages) if (!m.run_id || s.store.first("SELECT 1 FROM runs WHERE id = ?", m.run_id)) adopt(s, m);
  // The merged contact's grants for a number this contact does not have lapse with it.
  lapseOtherNumbers(s);
  s.store.run("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", `absorbed:${fromId}`, now());
  s.store.touchContact();
  refreshAbsenceTimers(s);
}

/** A message of the merged contact, decided again here: this contact's number, consent, caps and quiet hours. */
function adopt(s: Session, m: MessageRow): void {
  // Its idempotency key comes along, so a client repeating the request finds it here.
  const idemKey = m.idem_key ?? `merge:${m.id}`;
  if (s.store.first("SELECT 1 FROM messages WHERE idem_key = ?", idemKey)) return;
  const id = newId("m");
  s.store.run(
    `INSERT INTO messages (id, idem_key, fingerprint, run_id, flow_key, step, template_key, template_version, purpose, job, stage,
      properties, expires_at, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    id, idemKey, m.fingerprint, m.run_id, m.flow_key, m.step, m.template_key, m.template_version, m.purpose, m.job, s.contact.stage,
    m.properties, m.expires_at, m.created_at, now(),
  );
  gateMessage(s, id, "flow");
}
