/**
 * Identify and track calls, and import rows, inside the contact's transaction: traits (refused
 * whole when they would pass their cap), a claimed number, the time zone, flags, `Subscribed` /
 * `Unsubscribed` consent, and the event handed to flows.
 */
import { now } from "../clock";
import { changeConsent } from "../consent/actions";
import { SOURCE } from "../consent/ledger";
import type { IngestCall } from "../events/schema";
import { refreshAbsenceTimers, retimeTraitWaits } from "../flows/runner";
import { applyFlagEvents } from "../rules/flags";
import { TRAITS_BYTES, jsonBytes, traitsRefusal, utf8Bytes } from "../size-limits";
import { isValidTimeZone } from "../time/zoned";
import { logEvent, recordEvent, trimEventLog } from "./event-log";
import type { ImportRecord } from "./import";
import { type NumberClaim, takeNumber } from "./numbers";
import type { JsonBag, TraitsRefusal } from "./rpc-types";
import { type Session, setStage } from "./session";
import type { ContactRow } from "./store";

/** Record an identify or track call once (by messageId) and run what it triggers; an identify over the traits cap stores nothing. */
export function ingestCall(s: Session, call: IngestCall, claim: NumberClaim | undefined): { duplicate: boolean; refused?: TraitsRefusal } {
  if (s.store.first("SELECT 1 FROM events WHERE message_id = ?", call.messageId)) return { duplicate: true };
  // Checked again inside the transaction: another identify may have landed while the call waited.
  const refused = refusedTraits(s.contact, call);
  if (refused) return { duplicate: false, refused };
  const at = Math.min(call.at ?? now(), now());
  const e = { messageId: call.messageId, type: call.type, name: call.event ?? null, properties: call.properties, at };
  const event = call.type === "track" ? call.event : undefined;
  if (event) {
    recordEvent(s, { ...e, name: event }, () => {
      noteTimeZone(s, call);
      applyFlagEvents(s, event);
      consentEvent(s, event, call.properties, call.messageId, at);
    });
  } else {
    logEvent(s, e);
    if (call.type === "identify") identify(s, call, claim);
    else refreshAbsenceTimers(s);
  }
  trimEventLog(s);
  return { duplicate: false };
}

/**
 * Apply import rows in order: how many were new (a row imported before changes nothing), and the
 * rows refused because they would take the traits over their cap (nothing of them applied).
 * `claims`: the numbers of new rows, claimed at their aliases before the transaction.
 */
export function importRecords(s: Session, rows: ImportRecord[], claims: Map<string, NumberClaim>): { applied: number; refused: Array<{ line: number } & TraitsRefusal> } {
  let applied = 0;
  const refused: Array<{ line: number } & TraitsRefusal> = [];
  for (const row of rows) {
    // Import rows are remembered in `seen`, not the bounded event log, so no re-import repeats one.
    const messageId = importKey(row);
    const call: IngestCall = { type: "identify", messageId, properties: {}, traits: row.traits, phone: row.phone };
    if (s.store.first("SELECT 1 FROM seen WHERE key = ?", messageId)) continue;
    const refusal = refusedTraits(s.contact, call);
    if (refusal) {
      refused.push({ line: row.line, ...refusal });
      continue;
    }
    s.store.run("INSERT INTO seen (key, at) VALUES (?, ?)", messageId, now());
    identify(s, call, row.phone ? claims.get(row.phone) : undefined);
    if (row.stage) setStage(s, row.stage, "import");
    for (const g of row.consent) {
      changeConsent(s, { ...g, action: "grant", silent: true, dedupeKey: `import:${g.purpose}:${g.source}:${g.at}:${s.contact.phone}:${g.text ?? ""}` });
    }
    applied++;
  }
  return { applied, refused };
}

/** The number an identify not seen before would give a contact now at `current`: claimed at its alias before the transaction. */
export function numberToClaim(store: Session["store"], call: IngestCall, current: string | null | undefined): string | undefined {
  if (call.type !== "identify" || !call.phone || call.phone === current) return undefined;
  return store.first("SELECT 1 FROM events WHERE message_id = ?", call.messageId) ? undefined : call.phone;
}

/** The numbers of import rows not applied before that the contact (now at `current`) would take: claimed before the transaction. */
export function numbersToClaim(store: Session["store"], rows: readonly ImportRecord[], current: string | null | undefined): string[] {
  const phones = new Set<string>();
  for (const row of rows) if (row.phone && row.phone !== current && !store.first("SELECT 1 FROM seen WHERE key = ?", importKey(row))) phones.add(row.phone);
  return [...phones];
}

/** The key an import row is remembered by (a re-imported row is not applied again). */
export function importKey(row: ImportRecord): string {
  return `import:${row.hash}`;
}

/** Why an identify may not be stored on this contact, if it would take the traits over their cap. */
export function refusedTraits(contact: ContactRow | undefined, call: IngestCall): TraitsRefusal | undefined {
  if (call.type !== "identify") return undefined;
  // Most identifies are far from the cap: the stored and the written traits together fit, no merge needed.
  if (utf8Bytes(contact?.traits ?? "{}") + jsonBytes(call.traits) + jsonBytes(call.locale ?? "") + 20 <= TRAITS_BYTES) return undefined;
  const before: JsonBag = contact ? JSON.parse(contact.traits) : {};
  return traitsRefusal(before, identifiedTraits(before, call), call.traits);
}

/** The traits an identify leaves a contact with. */
function identifiedTraits(stored: JsonBag, call: IngestCall): JsonBag {
  const traits = { ...stored, ...call.traits };
  delete traits.phone; // the phone lives in its own column, owned through the phone alias
  if (call.locale && traits.locale === undefined) traits.locale = call.locale;
  return traits;
}

/** An identify call: traits, and a new number when the call carried one this contact claimed. */
function identify(s: Session, call: IngestCall, claim: NumberClaim | undefined): void {
  const traits = identifiedTraits(JSON.parse(s.contact.traits), call);
  s.store.run("UPDATE contact SET traits = ?", JSON.stringify(traits));
  s.contact = s.store.contact()!;
  if (call.phone && call.phone !== s.contact.phone && claim?.phone === call.phone) takeNumber(s, claim);
  noteTimeZone(s, call);
  s.store.touchContact();
  refreshAbsenceTimers(s);
  retimeTraitWaits(s);
}

/** The contact's time zone: an explicit `timezone` trait wins over the events' `context.timezone`. */
function noteTimeZone(s: Session, call: IngestCall): void {
  const trait = call.traits.timezone;
  let next: [string, string] | undefined;
  if (typeof trait === "string" && isValidTimeZone(trait)) next = [trait, "trait"];
  else if (call.timezone && isValidTimeZone(call.timezone) && s.contact.tz_source !== "trait") next = [call.timezone, "context"];
  if (!next || (next[0] === s.contact.timezone && next[1] === s.contact.tz_source)) return;
  s.store.run("UPDATE contact SET timezone = ?, tz_source = ?", next[0], next[1]);
  s.contact = s.store.contact()!;
  s.store.touchContact();
}

/** Segment Spec `Subscribed` / `Unsubscribed` events change consent for `properties.purpose`. */
function consentEvent(s: Session, event: string, p: Record<string, unknown>, messageId: string, at: number): void {
  if (event !== "Subscribed" && event !== "Unsubscribed") return;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const purpose = str(p.purpose) ?? "marketing";
  const source = str(p.source) && SOURCE.test(String(p.source)) ? String(p.source) : event === "Subscribed" ? "form" : "api";
  changeConsent(s, {
    purpose, action: event === "Subscribed" ? "grant" : "revoke", source, text: str(p.text) ?? str(p.consent_text),
    proof: str(p.ip) || str(p.url) ? { ip: str(p.ip), url: str(p.url) } : undefined, at, dedupeKey: `event:${messageId}`,
  });
}
