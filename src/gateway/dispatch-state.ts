/**
 * A message's way through the gateway, inside its contact's transaction: the last check and the
 * render before the call (`dispatching`), what the gateway answered, delivery receipts, and the
 * dead-letter queue. A message already past `queued` is never handed out again: an attempt whose
 * answer was lost is reconciled with the gateway that made it.
 */
import { now } from "../clock";
import { stopAll } from "../consent/actions";
import { consentMessage as consentText } from "../consent/settings";
import { recordEvent } from "../contacts/event-log";
import { type Session, consentMessageKind, gateMessage } from "../contacts/session";
import type { MessageRow } from "../contacts/store";
import { parseDuration } from "../duration";
import { rewriteLinks } from "../links/rewrite";
import { composeMessage } from "../templates/compose";
import type { TemplateVersion } from "../templates/schema";
import { segmentInfo } from "../templates/segments";
import { DISPATCH_TIMEOUT_MS, type DispatchResult, type Prepared, RECONCILE_RETRY_MS } from "./types";

/** A delivery receipt from the provider. */
export interface Receipt {
  status: "sent" | "delivered" | "undelivered" | "failed";
  providerId?: string;
  errorCode?: string;
  errorMessage?: string;
  at: number;
}

/** Statuses a message ends in (nothing moves it after). */
const SETTLED = ["sent", "delivered", "failed", "skipped", "undelivered"];

/** How far along a message is, for receipts: they only move it forward. */
const RECEIPT_RANK: Record<string, number> = { dispatching: 0, dispatch_unknown: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2 };

const DISPATCHED = (messageId: string) => `dispatched:${messageId}`;

/**
 * The consumer is about to call the gateway `via`: re-check the gate, render the body (with `tpl`,
 * the version the message pinned) and mark the message `dispatching`, recording `via` on it. A
 * message in flight elsewhere waits; one whose attempt may have reached the gateway is reconciled.
 */
export function prepareDispatch(s: Session, messageId: string, via: string | undefined, tpl: TemplateVersion | undefined): Prepared {
  const m = s.store.message(messageId);
  if (!m) return { action: "drop", status: "unknown" };
  if (m.status === "dispatching" && now() - m.updated_at < DISPATCH_TIMEOUT_MS) {
    // Another delivery of this queue message is sending it right now.
    return { action: "later", delaySeconds: Math.ceil(DISPATCH_TIMEOUT_MS / 1000) };
  }
  if (m.status === "dispatching" || m.status === "dispatch_unknown") {
    // A previous attempt may have reached the gateway: never a blind resend.
    const since = s.store.first<{ at: number }>("SELECT at FROM seen WHERE key = ?", DISPATCHED(messageId))?.at ?? m.updated_at;
    if (m.status === "dispatching") s.store.touchMessage(messageId, { status: "dispatch_unknown" });
    return { action: "reconcile", messageId, to: m.to ?? s.contact.phone ?? "", body: m.body ?? "", since, gateway: m.gateway };
  }
  if (m.status !== "queued") return { action: "drop", status: m.status, reason: m.reason ?? undefined };
  const decision = gateMessage(s, messageId, "send");
  const system = consentMessageKind(m.template_key);
  if (decision.outcome !== "sent" || (!tpl && !system)) return { action: "drop", status: decision.outcome, reason: decision.reason };
  // Links are shortened before counting segments: the count is of the text actually sent.
  const codes: Record<string, string> = m.links ? JSON.parse(m.links) : {};
  const settings = s.config.settings;
  const shorten = (body: string) => rewriteLinks(body, settings.links, { campaign: m.flow_key ?? "api", content: m.template_key }, codes);
  const systemBody = system === "keyword_reply" ? String(JSON.parse(m.properties).body ?? "") : system ? consentText(system, settings.brand.name, settings.consent) : "";
  const text = system
    ? { ...segmentInfo(systemBody), body: systemBody, links: [] }
    : composeMessage(tpl!, { traits: JSON.parse(s.contact.traits), properties: JSON.parse(m.properties), brand: settings.brand }, settings, shorten);
  const row = s.store.touchMessage(messageId, {
    status: "dispatching", to: s.contact.phone, body: text.body, segments: text.segments, encoding: text.encoding, attempts: m.attempts + 1,
    links: JSON.stringify(codes), ...(via ? { gateway: via } : {}),
  });
  // When this attempt started: a reconciliation looks for it at the gateway from then on.
  s.store.run("INSERT OR REPLACE INTO seen (key, at) VALUES (?, ?)", DISPATCHED(messageId), now());
  const ttl = parseDuration(settings.links.ttl)!;
  const links = text.links.map((l) => ({
    code: l.code, url: l.url, messageId, contactId: s.contact.id, templateKey: m.template_key, flowKey: m.flow_key, expiresAt: now() + ttl,
  }));
  return { action: "send", messageId, to: row.to!, body: text.body, expiresAt: m.expires_at, purpose: m.purpose, attempt: row.attempts, links };
}

/**
 * What the gateway answered (or what reconciliation found): the message's status now, and a
 * number the provider said opted out that this contact does not have (its owner gets the STOP).
 */
export function dispatchAnswered(s: Session, messageId: string, result: DispatchResult): { status: string; stoppedElsewhere?: string } {
  const m = s.store.message(messageId);
  if (!m || (m.status !== "dispatching" && m.status !== "dispatch_unknown")) return { status: m?.status ?? "unknown" };
  // The attempt is settled: its start is no longer needed (the next attempt records its own).
  s.store.run("DELETE FROM seen WHERE key = ?", DISPATCHED(messageId));
  if (!result.ok && result.transient) {
    // Not sent: it may go again, and the consumer retries the queue message.
    s.store.touchMessage(messageId, { status: "queued", gateway: result.gateway, error_code: result.errorCode ?? null, error_message: result.errorMessage ?? null });
    return { status: "queued" };
  }
  if (!result.ok) {
    s.store.touchMessage(messageId, { status: "failed", gateway: result.gateway, error_code: result.errorCode, error_message: result.errorMessage });
    noteDelivery(s, m, "failed");
    let stoppedElsewhere: string | undefined;
    // The provider's word about the number outlives this message; an opt-out is about the number it went to, and reaches whoever has it now.
    if (result.effect === "stopped" && m.to && (m.to !== s.contact.phone || s.contact.merged_into)) stoppedElsewhere = m.to;
    else if (result.effect === "stopped") stopAll(s, `provider:${result.errorCode}`, `${result.gateway}:${messageId}`, m.to ?? s.contact.phone);
    if (result.effect === "undeliverable" && m.to) {
      s.store.run("UPDATE contact SET undeliverable = ?", m.to);
      s.contact = s.store.contact()!;
      s.store.touchContact();
    }
    return stoppedElsewhere ? { status: "failed", stoppedElsewhere } : { status: "failed" };
  }
  s.store.touchMessage(messageId, {
    status: result.status, gateway: result.gateway, provider_id: result.providerId, sent_at: result.at,
    delivered_at: result.status === "delivered" ? result.at : null,
    error_code: result.errorCode ?? null, error_message: result.errorMessage ?? null,
  });
  if (result.status !== "sent") noteDelivery(s, m, result.status);
  return { status: result.status };
}

/**
 * A delivery receipt. Statuses only move forward (a late `sent` after `delivered` changes nothing;
 * duplicates change nothing); a final status becomes an event. A receipt for an attempt whose
 * answer was lost settles it.
 */
export function receiptArrived(s: Session, messageId: string, r: Receipt): string {
  const m = s.store.message(messageId);
  if (!m) return "unknown";
  if (RECEIPT_RANK[r.status]! <= (RECEIPT_RANK[m.status] ?? 99)) return m.status;
  // A receipt settles an attempt in doubt as well as the gateway's answer would.
  if (m.status === "dispatching" || m.status === "dispatch_unknown") s.store.run("DELETE FROM seen WHERE key = ?", DISPATCHED(messageId));
  s.store.touchMessage(messageId, {
    status: r.status, provider_id: m.provider_id ?? r.providerId ?? null, sent_at: m.sent_at ?? r.at,
    delivered_at: r.status === "delivered" ? r.at : m.delivered_at, error_code: r.errorCode ?? m.error_code, error_message: r.errorMessage ?? m.error_message,
  });
  if (r.status !== "sent") noteDelivery(s, m, r.status === "delivered" ? "delivered" : "failed");
  return r.status;
}

/**
 * The send queue gave up on a message. One that never reached the gateway fails; one whose attempt
 * may have reached it stays `dispatch_unknown`, and a timer sends it back through the consumer to
 * be reconciled with the gateway of that attempt.
 */
export function deadLettered(s: Session, messageId: string, why: string): void {
  const m = s.store.message(messageId);
  if (!m || SETTLED.includes(m.status)) return;
  if (m.status === "dispatching" || m.status === "dispatch_unknown") {
    s.store.touchMessage(messageId, { status: "dispatch_unknown", error_code: "dead_letter", error_message: `${why}; reconciling with the gateway` });
    s.store.setTimer(`reconcile:${messageId}`, now() + RECONCILE_RETRY_MS, "reconcile", messageId);
    return;
  }
  s.store.touchMessage(messageId, { status: "failed", error_code: "dead_letter", error_message: why });
  noteDelivery(s, m, "failed");
}

/** A message in doubt goes back through the send consumer, which reconciles it before anything else. */
export function reconcileAgain(s: Session, messageId: string): void {
  const m = s.store.message(messageId);
  if (!m || (m.status !== "dispatching" && m.status !== "dispatch_unknown")) return;
  s.store.enqueueSend({ contactId: s.contact.id, messageId, to: m.to, purpose: m.purpose });
}

/** A final delivery status becomes an event on the contact, so flows can wait for or branch on it. */
function noteDelivery(s: Session, m: MessageRow, status: string): void {
  const name = status === "delivered" ? "Message Delivered" : "Message Failed";
  const properties = { message_id: m.id, template: m.template_key, flow: m.flow_key, status };
  recordEvent(s, { messageId: `receipt:${m.id}:${status}`, type: "track", name, properties, at: now() });
}
