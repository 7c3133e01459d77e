/** The one small interface every SMS gateway implements (sandbox now; Twilio and SMSAPI later). */
import type { DispatchResult } from "./types";
import type { Config } from "../settings/config";
import { sandbox } from "./sandbox";
import { smsapi } from "./smsapi";
import { twilio } from "./twilio";

/** One SMS to send. */
export interface OutboundSms {
  messageId: string;
  contactId: string;
  to: string;
  body: string;
  expiresAt: number;
  /** The sender chosen for it (settings.senders), overriding the gateway's own settings. */
  from?: string;
  messagingServiceSid?: string;
}

/** An earlier attempt whose answer was lost. */
export interface LostAttempt {
  messageId: string;
  to: string;
  body: string;
  /** When that attempt started. */
  since: number;
}

/** A gateway: send, and find out whether an earlier attempt went out (never a blind resend). */
export interface Gateway {
  name: string;
  send(sms: OutboundSms): Promise<DispatchResult>;
  /** The result of an earlier attempt whose answer was lost, or undefined when it never arrived. */
  reconcile(attempt: LostAttempt): Promise<DispatchResult | undefined>;
}

/** A gateway by name; without one, the deployment's: settings.gateway.use, else the GATEWAY variable. */
export function gatewayFor(env: Env, config: Config, name: string = config.settings.gateway.use ?? env.GATEWAY): Gateway {
  switch (name) {
    case "sandbox":
      return sandbox(env, config);
    case "twilio":
      return twilio(env, config);
    case "smsapi":
      return smsapi(env, config);
    default:
      throw new Error(`GATEWAY=${name} is not available; use sandbox, twilio or smsapi`);
  }
}
