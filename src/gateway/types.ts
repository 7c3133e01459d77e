/** Wire types between the send consumer, the gateways and a contact's Durable Object. */

/** A short link the consumer stores before the message reaches the gateway. */
export interface PreparedLink {
  code: string;
  url: string;
  messageId: string;
  contactId: string;
  templateKey: string;
  flowKey: string | null;
  expiresAt: number;
}

/** What the send consumer gets back when it asks to send a message. */
export type Prepared =
  | { action: "send"; messageId: string; to: string; body: string; expiresAt: number; purpose: string; attempt: number; links: PreparedLink[] }
  | { action: "drop"; status: string; reason?: string }
  | { action: "later"; delaySeconds: number }
  /** `gateway`: the gateway (and sender) the lost attempt went through, as recorded when it was marked dispatching. */
  | { action: "reconcile"; messageId: string; to: string; body: string; since: number; gateway: string | null };

/** How long an attempt may be in flight before its outcome counts as unknown (above any gateway timeout). */
export const DISPATCH_TIMEOUT_MS = 60_000;

/** How long a dead-lettered message in doubt waits before it is reconciled with its gateway again. */
export const RECONCILE_RETRY_MS = 10 * 60_000;

/** What the gateway said about one message. */
export type DispatchResult =
  | { ok: true; gateway: string; providerId: string; status: "sent" | "delivered" | "failed"; at: number; errorCode?: string; errorMessage?: string }
  | { ok: false; transient: true; gateway: string; errorCode?: string; errorMessage?: string }
  | { ok: false; transient: false; gateway: string; errorCode: string; errorMessage: string; effect?: "stopped" | "undeliverable" };
