/** The one small interface every SMS gateway implements (sandbox now; Twilio and SMSAPI later). */
import type { DispatchResult } from "../contacts/contact-do";
import type { Config } from "../settings/config";
import { sandbox } from "./sandbox";

/** One SMS to send. */
export interface OutboundSms {
  messageId: string;
  to: string;
  body: string;
  expiresAt: number;
}

/** A gateway: send, and find out whether an earlier attempt went out (never a blind resend). */
export interface Gateway {
  name: string;
  send(sms: OutboundSms): Promise<DispatchResult>;
  /** The result of an earlier attempt whose answer was lost, or undefined when it never arrived. */
  reconcile(messageId: string): Promise<DispatchResult | undefined>;
}

/** The gateway configured for this deployment. */
export function gatewayFor(env: Env, config: Config): Gateway {
  switch (env.GATEWAY) {
    case "sandbox":
      return sandbox(env, config);
    default:
      throw new Error(`GATEWAY=${env.GATEWAY} is not available yet; use sandbox`);
  }
}
