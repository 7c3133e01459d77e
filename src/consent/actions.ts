/**
 * Consent changes inside a ContactDO transaction: append to the ledger (never rewrite), and send the
 * one message each change calls for — the double opt-in request, or the opt-in confirmation.
 * What an entry does is decided by reading the ledger (./ledger.ts), so an entry that may not change
 * the state (a grant without proof after a STOP) is still recorded, with the reason.
 */
import { optOutOutcome } from "../reports/outcomes";
import { now } from "../clock";
import type { Session } from "../contacts/session";
import { createMessage } from "../contacts/session";
import { type ConsentEntry, type ConsentReading, type ConsentState, type EntryEffect, consentOf, ledger, purposesOf, readConsent } from "./ledger";

/** A grant, confirmation or revocation as it arrives (API, event, import, keyword, provider). */
export interface ConsentChange {
  purpose: string;
  /** `restore`: START undoing a STOP (keywords only). */
  action: "grant" | "confirm" | "revoke" | "restore";
  source: string;
  /** The text the person agreed to. */
  text?: string;
  proof?: { ip?: string; url?: string; userAgent?: string };
  /** When it happened (default: now); a time in the future counts as now. */
  at?: number;
  /** The number it is for (default: the contact's current number); a reply changes its own number only. */
  phone?: string | null;
  /** The same key twice records once (re-imports, redelivered webhooks). */
  dedupeKey?: string;
  /** A revocation of every purpose (STOP). */
  stop?: boolean;
  /**
   * Record consent that already exists elsewhere (imports): no double opt-in request and no opt-in
   * confirmation, so importing a list never texts it.
   */
  silent?: boolean;
  /** A grant that waits for the person's YES whatever `settings.consent.doubleOptIn` says (join keywords, sign-up pages). */
  confirmFirst?: boolean;
  /** The caller sends the confirmation request itself, as the answer to the person's own text (join keywords). */
  requestAnswered?: boolean;
  /** A STOP: the source of the grant this purpose had before the STOP began (reports: opt-outs by source). */
  endedSource?: string;
}

/** What a change did: the purpose's state afterwards, and whether the change is what that state now rests on. */
export interface ConsentOutcome {
  state: ConsentState;
  applied: boolean;
  /** Why not (see EntryEffect), or `superseded` when a newer entry decides the state. */
  reason?: string;
}

/**
 * When a change recorded now happened: now, or just after the newest entry for the number when the
 * clock has not moved since (a START right after its STOP must come after it).
 */
function liveAt(s: Session, phone: string | null): number {
  const newest = s.store.first<{ at: number | null }>("SELECT max(at) AS at FROM consent WHERE phone IS ?", phone)?.at;
  return newest != null && newest >= now() ? newest + 1 : now();
}

/** Whether a state reflects what an action asked for. */
function reflects(action: ConsentChange["action"], state: ConsentState): boolean {
  if (action === "revoke") return state === "revoked" || state === "stopped";
  if (action === "restore") return state !== "stopped";
  return action === "confirm" ? state === "granted" : state === "granted" || state === "pending";
}

/** Record a consent change and act on it; returns the purpose's state afterwards and whether the change took effect. */
export function changeConsent(s: Session, c: ConsentChange): ConsentOutcome {
  const phone = c.phone === undefined ? s.contact.phone : c.phone;
  const prior = readConsent(ledger(s), c.purpose, phone, s.config.settings.consent.implied);
  const before = prior.state;
  const id = c.dedupeKey ?? crypto.randomUUID();
  if (s.store.first("SELECT 1 FROM consent WHERE id = ?", id)) return outcome(c, before, prior.effects.get(id));
  if (c.action === "confirm" && before !== "pending") return { state: before, applied: false, reason: "not_pending" };
  if (c.action === "restore" && before !== "stopped") return { state: before, applied: false, reason: "not_stopped" };
  const settings = s.config.settings.consent;
  let intent: ConsentEntry["state"];
  if (c.action === "revoke") intent = "revoked";
  else if (c.action === "confirm") intent = "granted";
  else if (c.action === "restore") intent = prior.restoresTo ?? "restored";
  else intent = before === "granted" || c.silent || !(c.confirmFirst || settings.doubleOptIn.includes(c.purpose)) ? "granted" : "pending";
  const live = liveAt(s, phone);
  const ended = c.endedSource ?? (c.action === "revoke" && before === "granted" ? prior.basis?.source : undefined);
  const after = append(s, { ...c, phone, at: c.at === undefined ? live : Math.min(c.at, live) }, id, intent, before, ended);
  // Consent messages go to the current number only, for a grant or confirmation that changed the state.
  if (!c.silent && phone === s.contact.phone && (c.action === "grant" || c.action === "confirm")) {
    if (after.state === "pending" && before !== "pending" && !c.requestAnswered) consentMessage(s, "consent_request", c.purpose, id);
    if (after.state === "granted" && before !== "granted" && settings.confirmOptIn.includes(c.purpose)) consentMessage(s, "optin_confirmation", c.purpose, id);
  }
  return outcome(c, after.state, after.effects.get(id));
}

function outcome(c: ConsentChange, state: ConsentState, effect: EntryEffect | undefined): ConsentOutcome {
  return effect?.applied && reflects(c.action, state) ? { state, applied: true } : { state, applied: false, reason: effect?.reason ?? "superseded" };
}

/** Append one entry (its time and number resolved), send its record to D1, and read the purpose again. */
function append(s: Session, c: ConsentChange & { at: number; phone: string | null }, id: string, intent: ConsentEntry["state"], before: ConsentState, endedSource?: string): ConsentReading {
  s.store.run(
    "INSERT INTO consent (id, purpose, action, state, source, phone, text, proof, stop, at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    id, c.purpose, c.action, intent, c.source, c.phone, c.text ?? null, c.proof ? JSON.stringify(c.proof) : null, c.stop ? 1 : 0, c.at, now(),
  );
  const after = readConsent(ledger(s), c.purpose, c.phone, s.config.settings.consent.implied);
  // Keyed by the ledger position: dedupe keys can hold the number, which D1 must not get.
  const seq = s.store.first<{ seq: number }>("SELECT seq FROM consent WHERE id = ?", id)!.seq;
  s.store.record({
    kind: "consent", id: `${s.contact.id}:${seq}`, contactId: s.contact.id, purpose: c.purpose, action: c.action, state: after.state,
    source: c.source, hasText: Boolean(c.text), hasProof: Boolean(c.proof), at: c.at, before,
    ...(endedSource && after.state !== "granted" ? { endedSource } : {}),
  });
  s.store.touchContact();
  // A revocation outside a STOP (which counts once, in stopAll) is an opt-out for the reports.
  if (c.action === "revoke" && !c.stop && after.state === "revoked" && before !== "revoked" && before !== "stopped") optOutOutcome(s, `revoke:${seq}`, c.at);
  return after;
}

function consentMessage(s: Session, kind: "consent_request" | "optin_confirmation", purpose: string, entryId: string): void {
  createMessage(s, { idemKey: `${kind}:${entryId}`, template: `system:${kind}`, purpose, job: "acquisition", expiresInMs: 24 * 3600_000, properties: {} });
}

/**
 * STOP: revoke every purpose the number could be texted for (`stop`: a later START can restore
 * exactly what this revoked). `ref` keys the change so a repeated STOP records once. True when it
 * stopped something that was not stopped already.
 */
export function stopAll(s: Session, source: string, ref: string, phone: string | null = s.contact.phone): boolean {
  const of = consentOf(s, phone);
  const purposes = purposesOf(s);
  const fresh = purposes.some((p) => of(p) !== "stopped");
  const at = liveAt(s, phone);
  // Read before the first entry: the STOP holds for every purpose as soon as one is recorded.
  const entries = ledger(s);
  const implied = s.config.settings.consent.implied;
  const ended = new Map(purposes.map((p) => {
    const r = readConsent(entries, p, phone, implied);
    return [p, r.state === "granted" ? r.basis?.source : undefined];
  }));
  for (const purpose of purposes) {
    changeConsent(s, { purpose, action: "revoke", source, stop: true, at, phone, dedupeKey: `stop:${ref}:${purpose}`, endedSource: ended.get(purpose) });
  }
  if (fresh) optOutOutcome(s, `stop:${ref}`, at);
  return fresh;
}

/**
 * START: undo the STOP in force on the number. Each purpose goes back to its state before that STOP
 * (granted stays granted, revoked stays revoked, implied becomes implied again); one re-granted since
 * is left alone. One entry per purpose, at one instant (one START). True when something was stopped.
 */
export function restoreStop(s: Session, source: string, ref: string, phone: string | null = s.contact.phone): boolean {
  const entries = ledger(s);
  const implied = s.config.settings.consent.implied;
  const stopped = purposesOf(s)
    .map((purpose) => ({ purpose, reading: readConsent(entries, purpose, phone, implied) }))
    .filter((p) => p.reading.state === "stopped");
  const at = liveAt(s, phone);
  for (const { purpose, reading } of stopped) {
    const id = `start:${ref}:${purpose}`;
    if (!s.store.first("SELECT 1 FROM consent WHERE id = ?", id)) append(s, { purpose, action: "restore", source, at, phone }, id, reading.restoresTo ?? "restored", "stopped");
  }
  return stopped.length > 0;
}
