/**
 * Gate decisions in plain words for people who never read the reason codes:
 * `{ outcome: "deferred", reason: "quiet_hours:US-FL", until }` → "deferred: quiet hours in Florida until 08:00 (Wed 25 Nov)".
 */

/** A decision as the timeline (`until` in epoch ms) or a contact's recentDecisions (`until` ISO) carry it. */
export interface DecisionLike {
  outcome: string;
  reason: string;
  until?: number | string | null;
  detail?: string | null;
}

const US_STATES: Record<string, string> = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado", CT: "Connecticut", DE: "Delaware",
  DC: "the District of Columbia", FL: "Florida", GA: "Georgia", HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa",
  KS: "Kansas", KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts", MI: "Michigan", MN: "Minnesota",
  MS: "Mississippi", MO: "Missouri", MT: "Montana", NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey",
  NM: "New Mexico", NY: "New York", NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma", OR: "Oregon",
  PA: "Pennsylvania", RI: "Rhode Island", SC: "South Carolina", SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah",
  VT: "Vermont", VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming", PR: "Puerto Rico",
};

/** A jurisdiction code (US, US-FL, FR) as a place name. */
export function placeName(code: string): string {
  const [country, sub] = code.split("-");
  if (country === "US" && sub) return US_STATES[sub] ?? code;
  if (country === "US") return "the United States";
  try {
    const name = new Intl.DisplayNames(["en"], { type: "region" }).of(country ?? code);
    if (name && name !== country && !/unknown/i.test(name)) return sub ? `${name} (${sub})` : name;
  } catch {
    // Not a region Intl knows: the code itself is still readable.
  }
  return code;
}

/** An instant as local wall-clock time in a zone: "08:00 (Wed 25 Nov)"; the day is left out when it is `today`. */
export function localTime(at: number, timeZone: string, nowMs?: number): string {
  const zone = safeZone(timeZone);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
  const dayOf = (t: number) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", day: "numeric", month: "short" }).format(t);
  const day = dayOf(at);
  return nowMs !== undefined && dayOf(nowMs) === day ? time : `${time} (${day})`;
}

function safeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

function untilMs(until: DecisionLike["until"]): number | undefined {
  if (until === undefined || until === null) return undefined;
  const t = typeof until === "number" ? until : Date.parse(until);
  return Number.isFinite(t) ? t : undefined;
}

/** What a reason code means, in words (without the outcome). */
export function reasonInWords(reason: string): string {
  const [code, arg = ""] = splitReason(reason);
  switch (code) {
    case "ok":
      return "cleared every check";
    case "quiet_hours":
      return `quiet hours in ${placeName(arg)}`;
    case "cap":
      return `the frequency cap “${arg}”`;
    case "no_consent":
      return `no ${arg} consent on record for this number`;
    case "pending_consent":
      return `${arg} consent is waiting for the person to confirm (double opt-in)`;
    case "rule":
      return `the eligibility rule “${arg}” (a flag on the contact blocks it)`;
    case "suppressed":
      return "the number is on the suppression list";
    case "expired":
      return "the message expired before it could go";
    case "stopped":
      return "the person replied STOP: no texts at all";
    case "invalid_phone":
      return "no valid phone number";
    case "template_draft":
      return "its template is still a draft";
    case "template_retired":
      return "its template is retired";
    case "template_missing":
      return "its template does not exist";
    case "holdout":
      return "the contact is in the flow's holdout group (kept from messages to measure lift)";
    case "cancelled":
      return "cancelled";
    default:
      return reason;
  }
}

function splitReason(reason: string): [string, string?] {
  const i = reason.indexOf(":");
  return i < 0 ? [reason] : [reason.slice(0, i), reason.slice(i + 1)];
}

/** One decision as a sentence, local times in `timeZone` (the contact's). */
export function explainDecision(d: DecisionLike, opts: { timeZone?: string; now?: number } = {}): string {
  const zone = opts.timeZone ?? "UTC";
  const until = untilMs(d.until);
  const detail = d.detail ? ` (${d.detail})` : "";
  const words = reasonInWords(d.reason);
  if (d.outcome === "sent") return d.reason === "ok" ? `sent: cleared every check${detail}` : `sent: ${words}${detail}`;
  if (d.outcome === "deferred") {
    const when = until !== undefined ? ` until ${localTime(until, zone, opts.now)}` : "";
    return `deferred: ${words}${when}${detail}`;
  }
  if (d.outcome === "skipped") {
    if (d.reason === "holdout") return `held out: ${words}`;
    return `not sent: ${words}${detail}`;
  }
  return `${d.outcome}: ${words}${detail}`;
}
