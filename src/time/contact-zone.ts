/**
 * Where a contact is in time: the zones their local time may be in, and the jurisdiction whose
 * quiet hours apply. Order: explicit `timezone` trait → the events' `context.timezone` → address →
 * the phone number's candidate zones (and, for US/CA numbers, the area code's state).
 */
import { getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { candidateZones } from "./phone-zones";
import { type QuietHoursRules, jurisdictionFor } from "./quiet-hours";
import { isValidTimeZone } from "./zoned";

/** What a contact's local time is known from. */
export interface ContactTime {
  timezone: string | null;
  tzSource: string | null;
  traits: Record<string, unknown>;
  phone: string | null;
}

/** The zones to honour and the jurisdiction, with where they came from. */
export interface ZoneResolution {
  zones: string[];
  jurisdiction: string;
  source: "trait" | "context" | "address" | "phone" | "brand";
}

function addressOf(traits: Record<string, unknown>): { country?: string; state?: string } {
  const a = traits.address;
  if (!a || typeof a !== "object") return {};
  const { country, state } = a as Record<string, unknown>;
  return {
    country: typeof country === "string" && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : undefined,
    state: typeof state === "string" && /^[A-Za-z]{2}$/.test(state) ? state.toUpperCase() : undefined,
  };
}

/** Resolve a contact's zones and jurisdiction; `brandZone` when nothing better is known. */
export function resolveZones(c: ContactTime, brandZone: string, rules: QuietHoursRules): ZoneResolution {
  const address = addressOf(c.traits);
  const phoneCountry = c.phone ? parsePhoneNumberFromString(c.phone)?.country : undefined;
  const hint = address.country ? (address.state ? `${address.country}-${address.state}` : address.country) : phoneCountry;
  const jurisdiction = jurisdictionFor(c.phone ?? "", hint, rules);
  if (c.timezone && isValidTimeZone(c.timezone)) {
    return { zones: [c.timezone], jurisdiction, source: c.tzSource === "context" ? "context" : "trait" };
  }
  if (address.country) {
    try {
      const zones = candidateZones(`+${getCountryCallingCode(address.country as never)}`);
      if (zones.length === 1) return { zones, jurisdiction, source: "address" };
    } catch {
      // Not a country libphonenumber knows: fall through to the phone.
    }
  }
  const zones = c.phone ? candidateZones(c.phone) : [];
  return zones.length ? { zones, jurisdiction, source: "phone" } : { zones: [brandZone], jurisdiction, source: "brand" };
}
