/** A one-off message (`POST /v1/messages`) inside its contact's transaction: created once per Idempotency-Key. */
import type { MessageRow } from "../contacts/store";
import type { OneOff } from "../contacts/rpc-types";
import { type Session, createMessage } from "../contacts/session";
import type { Decision } from "../gate/decision";

/** What a one-off send answers: the message, its first decision, and whether the key was used before (with another body: `conflict`). */
export interface OneOffResult {
  conflict: boolean;
  message: MessageRow;
  decision?: Decision;
  replayed: boolean;
}

/** Create and gate a one-off message; the same idempotency key answers what it answered the first time. */
export function sendOneOff(s: Session, req: OneOff): OneOffResult {
  const idemKey = req.idempotencyKey ? `api:${req.idempotencyKey}` : `api:${crypto.randomUUID()}`;
  const prior = s.store.first<MessageRow>("SELECT * FROM messages WHERE idem_key = ?", idemKey);
  if (prior) {
    const decision = s.store.first<Decision>("SELECT outcome, reason, until, detail FROM decisions WHERE message_id = ? ORDER BY at LIMIT 1", prior.id);
    return { conflict: prior.fingerprint !== req.fingerprint, message: prior, decision, replayed: true };
  }
  const { message, decision } = createMessage(s, { ...req, idemKey, flowKey: undefined });
  return { conflict: false, message: s.store.message(message.id)!, decision, replayed: false };
}
