/** A short link opened, inside its contact's transaction: recorded for reports; a person's click is the event `Link Clicked`. */
import { recordEvent } from "../contacts/event-log";
import type { Session } from "../contacts/session";
import { DELIVERY_PREVIEW_MS } from "./bots";

/** One opening of a short link, as the redirect route saw it. */
export interface LinkHit {
  code: string;
  messageId: string;
  url: string;
  at: number;
  userAgent?: string;
  /** Why the route already took it for a preview (a known bot), if it did. */
  previewReason?: string;
}

/** Record an opening: a preview (a bot, or within a second of delivery) is only recorded; a click also reaches flows. */
export function linkOpened(s: Session, hit: LinkHit): "click" | "preview" {
  const m = s.store.message(hit.messageId);
  let reason = hit.previewReason;
  if (!reason && m?.delivered_at && hit.at - m.delivered_at < DELIVERY_PREVIEW_MS) reason = "within_1s_of_delivery";
  const kind = reason ? "preview" : "click";
  s.store.record({
    kind: "click", id: `${hit.code}:${hit.at}:${kind}`, code: hit.code, messageId: hit.messageId, contactId: s.contact.id,
    flowKey: m?.flow_key ?? null, templateKey: m?.template_key ?? null, click: kind, reason: reason ?? null, userAgent: hit.userAgent ?? null, at: hit.at,
    job: m?.job ?? null, stage: m?.stage ?? null,
  });
  if (kind === "click") {
    const properties = { url: hit.url, code: hit.code, message_id: hit.messageId, template: m?.template_key ?? null, flow: m?.flow_key ?? null };
    recordEvent(s, { messageId: `click:${hit.code}:${hit.at}`, type: "track", name: "Link Clicked", properties, at: hit.at });
  }
  return kind;
}
