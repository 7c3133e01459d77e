/**
 * A reply from a person, inside their ContactDO's transaction: recorded once per provider message,
 * keywords applied (STOP, START, HELP, YES, revocations in other words), the event `SMS Received`
 * handed to flows, and at most one reply text returned for the provider to send back.
 */
import { replyOutcome } from "../reports/outcomes";
import { now } from "../clock";
import { restoreStop, stopAll } from "../consent/actions";
import { consentOf, purposesOf } from "../consent/ledger";
import { type Session, createMessage } from "../contacts/session";
import { recordEvent } from "../contacts/event-log";
import { newId } from "../ids";
import { setFlag } from "../rules/flags";
import { intentOf } from "../tasks/settings";
import { createTask } from "../tasks/tasks";
import { askToJoin, confirmPending } from "./join";
import { type ReplyKind, classifyReply, matchJoin } from "./keywords";

/** An inbound SMS as a provider delivered it. */
export interface InboundSms {
  provider: string;
  /** The provider's id for the message (dedupe key). */
  providerId: string;
  from: string;
  to: string;
  body: string;
  /** The keyword the provider already answered itself (Twilio's OptOutType), if any. */
  providerAnswered?: "stop" | "start" | "help";
  /** How a reply goes back: in the webhook's answer (Twilio's TwiML) or as a message Tidings sends (SMSAPI). */
  replyVia?: "answer" | "send";
}

/** What happened with a reply. */
export interface ReceiveResult {
  kind: ReplyKind | "join";
  duplicate: boolean;
  /** The text to send back, if any (one per opt-out; none when the provider answered). */
  reply?: string;
}

const HELP_EVERY_MS = 24 * 3600_000;

/** Record one inbound SMS and act on it. */
export function receive(s: Session, sms: InboundSms): ReceiveResult {
  const messageId = `sms:${sms.provider}:${sms.providerId}`;
  if (s.store.first("SELECT 1 FROM events WHERE message_id = ?", messageId)) return { kind: "message", duplicate: true };
  const settings = s.config.settings.keywords;
  let kind: ReplyKind | "join" = classifyReply(sms.body, settings);
  // A join keyword (JOIN, or a brand word for the number it was texted to) starts a double opt-in.
  const join = kind === "message" ? matchJoin(sms.body, sms.to, settings.join, s.config.settings.senders.senders) : undefined;
  if (join) kind = "join";
  const at = now();
  const text = (t: string) => t.replaceAll("{brand}", s.config.settings.brand.name).replaceAll("{support}", s.config.settings.brand.support);
  // A consent reply changes consent for the number it came from, and no other (a contact may have had several).
  const number = sms.from;
  let reply: string | undefined;

  if (kind === "yes") {
    const of = consentOf(s, number);
    const pending = s.store.all<{ purpose: string }>("SELECT DISTINCT purpose FROM consent WHERE phone IS ?", number).map((r) => r.purpose).filter((p) => of(p) === "pending");
    if (pending.length) confirmPending(s, pending, messageId, number);
    else if (purposesOf(s).some((p) => of(p) === "stopped")) kind = "start"; // YES from a stopped number means START
    else kind = "message"; // an ordinary "yes" is a reply for routing
  }
  if (join) {
    // Answered at once, like HELP: a reply to the person's own text is not held for quiet hours.
    reply = askToJoin(s, join, messageId, number);
  } else if (kind === "stop" || kind === "revocation") {
    const fresh = stopAll(s, kind === "stop" ? "keyword" : "keyword:reasonable_means", messageId, number);
    // Revocations in other words are honoured at once and flagged for a person to review.
    if (kind === "revocation") setFlag(s, "revocation_review", true, "keyword");
    if (fresh && sms.providerAnswered !== "stop") reply = text(settings.replies.stop);
  } else if (kind === "start") {
    if (restoreStop(s, "keyword", messageId, number) && sms.providerAnswered !== "start") reply = text(settings.replies.start);
  } else if (kind === "help" && sms.providerAnswered !== "help") {
    const last = s.store.first<{ at: number }>("SELECT at FROM seen WHERE key = 'help_reply'")?.at;
    if (last === undefined || at - last >= HELP_EVERY_MS) {
      s.store.run("INSERT INTO seen (key, at) VALUES ('help_reply', ?) ON CONFLICT(key) DO UPDATE SET at = excluded.at", at);
      reply = text(settings.replies.help);
    }
  }

  // An ordinary reply is routed: its intent, and a task for the owner when it is high-intent.
  const routing = s.config.settings.routing;
  const intent = kind === "message" ? intentOf(sms.body, routing) : undefined;
  if (intent && routing.highIntent.includes(intent)) createTask(s, { intent, reply: sms.body, source: "reply" });
  if (kind === "message") replyOutcome(s, messageId, at, intent);
  const properties = { body: sms.body, from: sms.from, to: sms.to, provider: sms.provider, provider_id: sms.providerId, keyword: kind, ...(intent ? { intent } : {}) };
  recordEvent(s, { messageId, type: "track", name: "SMS Received", properties, at });
  // A join request is counted as a consent prompt (acquisition); other replies are service.
  const [template, job] = join ? ["system:join_request", "acquisition"] : ["system:keyword_reply", "service"];
  if (reply && sms.replyVia === "send") {
    // A message Tidings sends goes to the contact's current number; a former number gets no reply from here.
    if (number === s.contact.phone) createMessage(s, { idemKey: `reply:${sms.provider}:${sms.providerId}`, template, purpose: "transactional", job, expiresInMs: 3600_000, properties: { body: reply } });
    return { kind, duplicate: false };
  }
  if (reply) recordReply(s, sms, reply, template, job);
  return { kind, duplicate: false, reply };
}

/** The reply goes back in the provider's answer (TwiML); it is recorded as a sent message for the timeline. */
function recordReply(s: Session, sms: InboundSms, body: string, template: string, job: string): void {
  const id = newId("m");
  const t = now();
  s.store.run(
    `INSERT INTO messages (id, idem_key, template_key, purpose, job, stage, properties, expires_at, status, body, "to", gateway, created_at, sent_at, updated_at)
     VALUES (?, ?, ?, 'transactional', ?, ?, '{}', ?, 'sent', ?, ?, ?, ?, ?, ?)`,
    id, `reply:${sms.provider}:${sms.providerId}`, template, job, s.contact.stage, t, body, sms.from, `${sms.provider}:reply`, t, t, t,
  );
  s.store.touchMessage(id, {});
}
