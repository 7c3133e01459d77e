/**
 * Outcomes inside a ContactDO: conversions, opt-outs and replies credited to the message that led to
 * them (last touch, ./attribution.ts), and the service and B2B events the job reports count. Each
 * becomes an `outcome` record, keyed so that a redelivered event or batch counts once.
 */
import { matches } from "../conditions";
import { parseDuration } from "../duration";
import type { Session } from "../contacts/session";
import type { Config } from "../settings/config";
import type { MessageRow } from "../contacts/store";
import type { OutcomeRecord } from "../records/types";
import { type Touch, lastTouch } from "./attribution";

const DAY = 86_400_000;

/** An event as outcomes see it. */
interface OutcomeEvent {
  seq: number;
  name: string;
  properties: Record<string, unknown>;
  at: number;
}

/** Revenue and currency of a conversion event. */
export function revenueOf(properties: Record<string, unknown>): { revenue: number | null; currency: string | null } {
  const revenue = Number(properties.revenue ?? properties.total ?? properties.value);
  const currency = typeof properties.currency === "string" && /^[A-Za-z]{3}$/.test(properties.currency) ? properties.currency.toUpperCase() : null;
  return { revenue: Number.isFinite(revenue) ? revenue : null, currency: Number.isFinite(revenue) ? (currency ?? "XXX") : null };
}

/** Names of the events that can be outcomes, per config snapshot: most events are none, and leave at once. */
const outcomeNames = new WeakMap<Config, Set<string>>();

function namesOf(config: Config): Set<string> {
  let names = outcomeNames.get(config);
  if (!names) {
    const a = config.settings.attribution;
    names = new Set([...a.conversions.map((c) => c.event), a.appointments.booked, a.appointments.missed, a.b2b.meeting, a.b2b.opportunity, a.b2b.won]);
    for (const f of config.flows.values()) if (f.goal) names.add(f.goal.event);
    outcomeNames.set(config, names);
  }
  return names;
}

/** Record what an event means for the reports: a conversion (credited), an appointment, a no-show, a B2B step. */
export function eventOutcomes(s: Session, e: OutcomeEvent): void {
  if (!namesOf(s.config).has(e.name)) return;
  const a = s.config.settings.attribution;
  const subject = { event: e.name, properties: e.properties };
  const brandWide = a.conversions.some((c) => c.event === e.name && matches(c.where, subject));
  const goal = [...s.config.flows.values()].some((f) => (f.status === "active" || (f.status as string) === "broadcast") && f.goal?.event === e.name && matches(f.goal.where, subject));
  if (brandWide || goal) {
    const touch = lastTouch(e.at, touchesBefore(s, e.at), { click: parseDuration(a.clickWindow)!, delivery: parseDuration(a.deliveryWindow)! });
    emit(s, `${e.seq}:conversion`, "conversion", e.name, e.at, touch, revenueOf(e.properties));
  }
  if (e.name === a.appointments.booked) {
    // Counted on the appointment's own day, so "appointments whose time passed" is a range query; one per time.
    const time = Date.parse(String(e.properties[a.appointments.timeProperty] ?? ""));
    if (Number.isFinite(time)) emit(s, `appointment:${time}`, "appointment", e.name, time);
  }
  if (e.name === a.appointments.missed) {
    // One no-show per appointment: keyed by its id or time when the event names it, else by the event.
    const appointment = e.properties.appointment_id ?? e.properties[a.appointments.timeProperty];
    emit(s, appointment !== undefined ? `no_show:${String(appointment)}` : `${e.seq}:no_show`, "no_show", e.name, e.at);
  }
  if (e.name === a.b2b.meeting) emit(s, `${e.seq}:meeting`, "meeting", e.name, e.at);
  if (e.name === a.b2b.opportunity) emit(s, `${e.seq}:opportunity`, "opportunity", e.name, e.at);
  if (e.name === a.b2b.won) emit(s, `${e.seq}:won`, "won", e.name, e.at);
}

/** An opt-out (`key` identifies it: one per STOP, however many purposes it revoked), charged to the last message sent within the governance window. */
export function optOutOutcome(s: Session, key: string, at: number): void {
  const window = s.config.settings.governance.optOutWindowDays * DAY;
  emit(s, `opt_out:${key}`, "opt_out", "opt_out", at, lastSent(s, at, window));
}

/** A reply, counted for the last message sent within the reply window; its intent rides along for the webhook. */
export function replyOutcome(s: Session, key: string, at: number, intent?: string): void {
  emit(s, `reply:${key}`, "reply", "SMS Received", at, lastSent(s, at, parseDuration(s.config.settings.attribution.replyWindow)!), undefined, intent);
}

function touchesBefore(s: Session, at: number): Touch[] {
  const since = at - 31 * DAY;
  const deliveries = s.store
    .all<{ id: string; delivered_at: number }>("SELECT id, delivered_at FROM messages WHERE delivered_at BETWEEN ? AND ?", since, at)
    .map((m) => ({ messageId: m.id, kind: "delivery" as const, at: m.delivered_at }));
  const clicks = s.store
    .all<{ message_id: string | null; at: number }>(
      "SELECT json_extract(properties, '$.message_id') AS message_id, at FROM events WHERE name = 'Link Clicked' AND at BETWEEN ? AND ?", since, at,
    )
    .flatMap((c) => (c.message_id ? [{ messageId: c.message_id, kind: "click" as const, at: c.at }] : []));
  return [...deliveries, ...clicks];
}

/** What an outcome is credited to: a click or delivery (conversions), or the last message sent (opt-outs, replies). */
type Credit = { messageId: string; kind: "click" | "delivery" | "sent"; at: number };

function lastSent(s: Session, at: number, window: number): Credit | undefined {
  const m = s.store.first<{ id: string; sent_at: number }>(
    "SELECT id, sent_at FROM messages WHERE sent_at BETWEEN ? AND ? AND template_key NOT LIKE 'system:%' ORDER BY sent_at DESC LIMIT 1", at - window, at,
  );
  return m ? { messageId: m.id, kind: "sent", at: m.sent_at } : undefined;
}

function emit(
  s: Session, key: string, type: OutcomeRecord["type"], event: string, at: number, touch?: Credit,
  money: { revenue: number | null; currency: string | null } = { revenue: null, currency: null }, intent?: string,
): void {
  const m = touch ? s.store.message(touch.messageId) : undefined;
  s.store.record({
    kind: "outcome", id: `${s.contact.id}:${key}`, contactId: s.contact.id, type, event, at, ...money,
    messageId: m?.id ?? null, flowKey: m?.flow_key ?? null, templateKey: m?.template_key ?? null, templateVersion: m?.template_version ?? null,
    stage: m ? m.stage : s.contact.stage, job: m?.job ?? null, touch: m ? touch!.kind : null, touchAt: m ? touch!.at : null,
    ...(type === "reply" ? { intent: intent ?? null } : {}),
  });
}
