/**
 * SMSAPI's inbound-message callback. Its parameter names are UNVERIFIED in the reference
 * (../shared/reference/smsapi/smsapi_reference.json: sms_from, sms_to, sms_text, sms_date,
 * username, MsgId), so this is the one place that reads them: it accepts those names and a few
 * obvious variants, and logs any field it does not know so a real callback can correct it.
 */

const NAMES = {
  from: ["sms_from", "from", "phone_number"],
  to: ["sms_to", "to"],
  text: ["sms_text", "text", "message"],
  id: ["MsgId", "msg_id", "id"],
  date: ["sms_date", "date"],
} as const;
const KNOWN = new Set<string>([...Object.values(NAMES).flat(), "username", "secret"]);

/** An inbound SMS read from SMSAPI's parameters, or what is missing. */
export function parseSmsapiInbound(params: Record<string, string>): { from: string; to: string; text: string; id: string; at?: number } | { missing: string[] } {
  const pick = (names: readonly string[]) => names.map((n) => params[n]).find((v) => v !== undefined && v !== "");
  const unknown = Object.keys(params).filter((k) => !KNOWN.has(k));
  if (unknown.length) console.warn(`SMSAPI inbound: unknown fields ${unknown.join(", ")} (the parameter names are unverified; see src/conversation/smsapi-inbound.ts)`);
  const from = pick(NAMES.from);
  const text = pick(NAMES.text);
  const id = pick(NAMES.id);
  const missing = [!from && "sms_from", text === undefined && "sms_text", !id && "MsgId"].filter((x): x is string => Boolean(x));
  if (missing.length) return { missing };
  const date = Number(pick(NAMES.date));
  return { from: from!, to: pick(NAMES.to) ?? "", text: text ?? "", id: id!, ...(Number.isFinite(date) && date > 0 ? { at: date * 1000 } : {}) };
}
