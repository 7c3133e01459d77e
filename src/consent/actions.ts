/**
 * Consent changes inside a ContactDO transaction: append to the ledger (never rewrite), and send the
 * one message each change calls for — the double opt-in request, or the opt-in confirmation.
 */
import { optOutOutcome } from "../reports/outcomes";
import { now } from "../clock";
import type { Session } from "../contacts/session";
import { createMessage } from "../contacts/session";
import { type ConsentEntry, type ConsentState, consentState } from "./ledger";

/** A grant, confirmation or revocation as it arrives (API, event, import, keyword, provider). */
export interface ConsentChange {
  purpose: string;
  action: "grant" | "confirm" | "revoke";
  source: string;
  /** The text the person agreed to. */
  text?: string;
  proof?: { ip?: string; url?: string; userAgent?: string };
  at?: number;
  /** The same key twice records once (re-imports, redelivered webhooks). */
  dedupeKey?: string;
  /** A revocation of every purpose (STOP). */
  stop?: boolean;
  /**
   * Record consent that already exists elsewhere (imports): no double opt-in request and no opt-in
   * confirmation, so importing a list never texts it.
   */
  silent?: boolean;
}

/** Ledger entries in the order they were recorded. */
export function ledger(s: Session): ConsentEntry[] {
  return s.store
    .all<{ purpose: string; action: string; state: string; source: string; phone: string | null; stop: number; at: number }>(
      "SELECT purpose, action, state, source, phone, stop, at FROM consent ORDER BY seq",
    )
    .map((r) => ({ ...r, action: r.action as ConsentEntry["action"], state: r.state as ConsentEntry["state"], stop: r.stop === 1 }));
}

/** A function giving the consent state of any purpose for the contact's current phone. */
export function consentOf(s: Session): (purpose: string) => ConsentState {
  const entries = ledger(s);
  return (purpose) => consentState(entries, purpose, s.contact.phone, s.config.settings.consent.implied);
}

/** Record a consent change and act on it; returns the purpose's state afterwards. */
export function changeConsent(s: Session, c: ConsentChange): ConsentState {
  const before = consentOf(s)(c.purpose);
  const id = c.dedupeKey ?? crypto.randomUUID();
  if (s.store.first("SELECT 1 FROM consent WHERE id = ?", id)) return before;
  const settings = s.config.settings.consent;
  let state: ConsentEntry["state"];
  if (c.action === "revoke") state = "revoked";
  else if (c.action === "confirm") {
    if (before !== "pending") return before; // nothing to confirm
    state = "granted";
  } else state = before === "granted" || c.silent || !settings.doubleOptIn.includes(c.purpose) ? "granted" : "pending";
  s.store.run(
    "INSERT INTO consent (id, purpose, action, state, source, phone, text, proof, stop, at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    id, c.purpose, c.action, state, c.source, s.contact.phone, c.text ?? null, c.proof ? JSON.stringify(c.proof) : null,
    c.stop ? 1 : 0, c.at ?? now(), now(),
  );
  // Keyed by the ledger position: dedupe keys can hold the number, which D1 must not get.
  const seq = s.store.first<{ seq: number }>("SELECT seq FROM consent WHERE id = ?", id)!.seq;
  s.store.record({ kind: "consent", id: `${s.contact.id}:${seq}`, contactId: s.contact.id, purpose: c.purpose, action: c.action, state, source: c.source, hasText: Boolean(c.text), hasProof: Boolean(c.proof), at: c.at ?? now(), before });
  s.store.touchContact();
  // A revocation outside a STOP (which counts once, in stopAll) is an opt-out for the reports.
  if (c.action === "revoke" && !c.stop && before !== "revoked" && before !== "stopped") optOutOutcome(s, `revoke:${seq}`, c.at ?? now());
  if (c.silent) return state;
  if (state === "pending" && before !== "pending") consentMessage(s, "consent_request", c.purpose, id);
  if (state === "granted" && before !== "granted" && settings.confirmOptIn.includes(c.purpose)) {
    consentMessage(s, "optin_confirmation", c.purpose, id);
  }
  return state === "revoked" && c.stop ? "stopped" : state;
}

function consentMessage(s: Session, kind: "consent_request" | "optin_confirmation", purpose: string, entryId: string): void {
  createMessage(s, { idemKey: `${kind}:${entryId}`, template: `system:${kind}`, purpose, job: "acquisition", expiresInMs: 24 * 3600_000, properties: {} });
}

/** The consent a message relies on: the ledger entry in force for the purpose and current number. */
export interface ConsentBasis {
  purpose: string;
  state: string;
  source?: string;
  at?: string;
  text?: string;
}

/** The consent basis of `purpose` right now (what a message that clears the gate relied on). */
export function consentBasis(s: Session, purpose: string): ConsentBasis {
  const row = s.store.first<{ state: string; source: string; at: number; text: string | null }>(
    "SELECT state, source, at, text FROM consent WHERE purpose = ? AND phone IS ? ORDER BY seq DESC LIMIT 1",
    purpose, s.contact.phone,
  );
  if (!row) return { purpose, state: s.config.settings.consent.implied.includes(purpose) ? "implied" : "none" };
  return { purpose, state: row.state, source: row.source, at: new Date(row.at).toISOString(), ...(row.text ? { text: row.text } : {}) };
}

/**
 * STOP: revoke every purpose for the contact's number (`stop`: a later START can restore exactly
 * what this revoked). `ref` keys the change so a repeated STOP records once.
 */
export function stopAll(s: Session, source: string, ref: string): void {
  const purposes = new Set(["transactional", "marketing", ...s.config.settings.consent.topics, ...ledger(s).map((e) => e.purpose)]);
  const wasStopped = consentOf(s)("transactional") === "stopped";
  for (const purpose of purposes) changeConsent(s, { purpose, action: "revoke", source, stop: true, dedupeKey: `stop:${ref}:${purpose}` });
  if (!wasStopped) optOutOutcome(s, `stop:${ref}`, now());
}

/** The consent summary for the D1 projection: state per purpose that has entries. */
export function consentSummary(s: Session): Record<string, ConsentState> {
  const of = consentOf(s);
  const purposes = new Set(ledger(s).map((e) => e.purpose));
  return Object.fromEntries([...purposes].map((p) => [p, of(p)]));
}
