/**
 * What stays with a phone number when it changes hands, inside a ContactDO's transaction.
 *
 * Consent is given per number. A number's STOP and revocations stay with the number: whoever
 * claims it next takes them over (they come from the contact that held it before). A grant
 * authorises only the contact it was given to, and only while that contact keeps the number: a
 * contact that loses a number has its grants for it lapse, so getting the number back (perhaps a
 * recycled one) needs a new grant. The suppression list is per number already (D1, read on claim).
 */
import { now } from "../clock";
import { type ConsentRow, ledger, readConsent } from "../consent/ledger";
import type { Session } from "./session";


/** What a number carries to its next owner. */
export interface NumberHistory {
  /** The revocations (STOP included) in force for the number. */
  consent: ConsentRow[];
  /** The provider said the number cannot receive SMS. */
  undeliverable: boolean;
}

/** A claim of a number, made at its alias before the claiming contact's transaction. */
export interface NumberClaim {
  phone: string;
  /** The alias's version after this claim (see AliasClaim). */
  version: number;
  /** Whether the number is on the suppression list. */
  suppressed: boolean;
  /** What the contact that held the number before recorded about it. */
  history: NumberHistory;
}

/** Nothing recorded about a number. */
export const NO_HISTORY: NumberHistory = { consent: [], undeliverable: false };

const LOST = (phone: string) => `number_lost:${phone}`;
const HELD = (phone: string) => `number_held:${phone}`;

/** The revocations in force for `phone` in this contact's ledger, and whether it is undeliverable. */
export function numberHistory(s: Session, phone: string): NumberHistory {
  const entries = ledger(s);
  const purposes = new Set(entries.filter((e) => e.phone === phone).map((e) => e.purpose));
  const consent: ConsentRow[] = [];
  for (const purpose of purposes) {
    const { state } = readConsent(entries, purpose, phone, s.config.settings.consent.implied);
    if (state !== "revoked" && state !== "stopped") continue;
    const row = s.store.first<ConsentRow>(
      "SELECT * FROM consent WHERE purpose = ? AND phone = ? AND action = 'revoke' AND stop = ? ORDER BY at DESC, seq DESC LIMIT 1",
      purpose, phone, state === "stopped" ? 1 : 0,
    );
    if (row) consent.push(row);
  }
  return { consent, undeliverable: s.contact.undeliverable === phone };
}

/**
 * Take a claimed number: its history joins the ledger, its suppression and deliverability are
 * the contact's. False (nothing changed) when another contact claimed the number after this claim.
 */
export function takeNumber(s: Session, claim: NumberClaim): boolean {
  const lost = s.store.first<{ at: number }>("SELECT at FROM seen WHERE key = ?", LOST(claim.phone))?.at;
  if (lost !== undefined && lost > claim.version) return false;
  joinLedger(s, claim.history.consent);
  noteHeld(s.store, claim.phone);
  s.store.run(
    "UPDATE contact SET phone = ?, suppressed = ?, undeliverable = CASE WHEN ? THEN ? ELSE undeliverable END",
    claim.phone, claim.suppressed ? 1 : 0, claim.history.undeliverable ? 1 : 0, claim.phone,
  );
  s.contact = s.store.contact()!;
  lapseOtherNumbers(s);
  s.store.touchContact();
  return true;
}

/** Another contact claimed `phone` (at alias version `version`): this contact no longer has it. */
export function loseNumber(s: Session, phone: string, version: number): void {
  noteLost(s.store, phone, version);
  if (s.contact.phone !== phone) return;
  s.store.run("UPDATE contact SET phone = NULL");
  s.contact = s.store.contact()!;
  lapseOtherNumbers(s);
  s.store.touchContact();
}

/** Remember that `phone` went to another contact at `version`, so an older claim of this contact cannot take it back. */
export function noteLost(store: Session["store"], phone: string, version: number): void {
  store.run("INSERT INTO seen (key, at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET at = max(at, excluded.at)", LOST(phone), version);
}

/** Remember that this contact (or the person it merged with) held `phone`, so an erasure covers it after it changed. */
export function noteHeld(store: Session["store"], phone: string): void {
  store.run("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", HELD(phone), now());
}

/**
 * Every number this contact holds or held, as far as it recorded: its current one, numbers it took
 * or lost, and numbers its consent ledger and messages name (an erasure covers them all).
 */
export function numbersHeld(store: Session["store"]): string[] {
  const phones = new Set<string>();
  const current = store.contact()?.phone;
  if (current) phones.add(current);
  const rows = store.all<{ p: string | null }>(
    `SELECT phone AS p FROM consent UNION SELECT "to" FROM messages
     UNION SELECT substr(key, instr(key, ':') + 1) FROM seen WHERE key LIKE 'number_held:%' OR key LIKE 'number_lost:%'`,
  );
  for (const r of rows) if (r.p) phones.add(r.p);
  return [...phones];
}

/** Put the contact's number on or off the suppression list's effect here (the list itself is D1's); false when nothing changed. */
export function setSuppressed(s: Session, on: boolean): boolean {
  if ((s.contact.suppressed === 1) === on) return false;
  s.store.run("UPDATE contact SET suppressed = ?", on ? 1 : 0);
  s.contact = s.store.contact()!;
  s.store.touchContact();
  return true;
}

/**
 * Add ledger rows from elsewhere (a merged contact, a number's previous holder) once each. The
 * ledger is kept in the order entries happened: rows older than what is there are put in their place,
 * so an old grant arriving late never reads as newer than a STOP.
 */
export function joinLedger(s: Session, rows: readonly ConsentRow[]): number {
  if (!rows.length) return 0;
  const newest = s.store.first<{ at: number | null }>("SELECT max(at) AS at FROM consent")?.at ?? null;
  let added = 0;
  let older = false;
  for (const r of [...rows].sort((a, b) => a.at - b.at)) {
    if (insertRow(s, r) === 0) continue;
    added++;
    if (newest !== null && r.at < newest) older = true;
  }
  if (older) {
    // Renumber in time order; new sequence numbers are all above the old ones, so none is reused.
    const all = s.store.all<ConsentRow>("SELECT * FROM consent ORDER BY at, seq");
    s.store.run("DELETE FROM consent");
    for (const r of all) insertRow(s, r);
  }
  if (added) s.store.touchContact();
  return added;
}

function insertRow(s: Session, r: ConsentRow): number {
  return s.store.run(
    "INSERT OR IGNORE INTO consent (id, purpose, action, state, source, phone, text, proof, stop, at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    r.id, r.purpose, r.action, r.state, r.source, r.phone, r.text, r.proof, r.stop, r.at, r.recorded_at,
  );
}

/**
 * Grants (and pending grants) for numbers the contact does not have any more lapse: back to no
 * explicit consent. Revocations are left alone, so nothing here can undo a STOP.
 */
export function lapseOtherNumbers(s: Session): void {
  const entries = ledger(s);
  const pairs = s.store.all<{ purpose: string; phone: string; seq: number }>(
    "SELECT purpose, phone, max(seq) AS seq FROM consent WHERE phone IS NOT NULL AND phone IS NOT ? GROUP BY purpose, phone",
    s.contact.phone,
  );
  for (const p of pairs) {
    const { state } = readConsent(entries, p.purpose, p.phone, []);
    if (state !== "granted" && state !== "pending") continue;
    s.store.run(
      "INSERT OR IGNORE INTO consent (id, purpose, action, state, source, phone, text, proof, stop, at, recorded_at) VALUES (?, ?, 'lapse', 'restored', 'identity', ?, NULL, NULL, 0, ?, ?)",
      `lapse:${p.seq}:${p.purpose}`, p.purpose, p.phone, now(), now(),
    );
    s.store.touchContact();
  }
}
