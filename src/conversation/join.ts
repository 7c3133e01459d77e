/**
 * Text-to-join, inside the ContactDO's transaction: a join keyword (JOIN, a brand word such as DEALS)
 * asks for consent at once, and the person's YES grants it with the keyword as provenance and records
 * the event `Subscribed` that acquisition flows trigger on. The same double opt-in ends a sign-up page.
 */
import { now } from "../clock";
import { changeConsent } from "../consent/actions";
import { consentOf, ledger, readConsent } from "../consent/ledger";
import { consentMessage } from "../consent/settings";
import type { Session } from "../contacts/session";
import { maxSeq, onEvent } from "../flows/runner";
import type { JoinWord } from "./keywords";

/**
 * A join keyword from `number`: the purpose becomes pending (even after a STOP: the person asks
 * again from their own number, and only their YES grants it) and the answer is the consent request.
 * Already granted: the answer says so. `ref` is the inbound message's dedupe key.
 */
export function askToJoin(s: Session, join: JoinWord, ref: string, number: string): string {
  const brand = s.config.settings.brand.name;
  const c = s.config.settings.consent;
  if (consentOf(s, number)(join.purpose) === "granted") return consentMessage("optin_confirmation", brand, c);
  const request = consentMessage("consent_request", brand, c);
  changeConsent(s, {
    purpose: join.purpose, action: "grant", source: `keyword:${join.word.toUpperCase()}`, text: request, phone: number,
    dedupeKey: `join:${ref}:${join.purpose}`, confirmFirst: true, requestAnswered: true,
  });
  return request;
}

/**
 * YES from `number`: every purpose pending for it is confirmed, with the provenance of the grant it
 * confirms (`keyword:JOIN`, a sign-up page's `page:<program>`, else `keyword`), and each one granted records the event
 * `Subscribed` (purpose, source) for flows. Returns the purposes it granted.
 */
export function confirmPending(s: Session, purposes: readonly string[], ref: string, number: string): string[] {
  const entries = ledger(s);
  const implied = s.config.settings.consent.implied;
  const granted: string[] = [];
  for (const purpose of purposes) {
    const asked = readConsent(entries, purpose, number, implied).basis?.source ?? "keyword";
    const source = /^(keyword|page):/.test(asked) ? asked : "keyword";
    const out = changeConsent(s, { purpose, action: "confirm", source, phone: number, dedupeKey: `${ref}:${purpose}` });
    if (out.applied && out.state === "granted") {
      granted.push(purpose);
      subscribedEvent(s, `subscribed:${ref}:${purpose}`, { purpose, source });
    }
  }
  return granted;
}

/** The event `Subscribed`, recorded on the contact (once per key) and handed to flows; consent is already recorded. */
function subscribedEvent(s: Session, key: string, properties: Record<string, unknown>): void {
  const at = now();
  const wrote = s.store.run(
    "INSERT OR IGNORE INTO events (message_id, type, name, properties, at, received_at) VALUES (?, 'track', 'Subscribed', ?, ?, ?)",
    key, JSON.stringify(properties), at, at,
  );
  if (wrote) onEvent(s, { seq: maxSeq(s), name: "Subscribed", properties, at });
}
