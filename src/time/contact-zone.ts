/**
 * Where a contact is in time: the zones their local time may be in, and the jurisdiction whose
 * quiet hours apply. Order: explicit `timezone` trait → the events' `context.timezone` → address →
 * the phone number's candidate zones (and, for US/CA numbers, the area code's state). A number not
 * tied to a place (a mobile without an area code, toll-free, VoIP…) may be anywhere in its country.
 */
import { type PhoneNumber, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { SHARED_CODE_MAIN } from "./data/calling-codes";
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

/** Number types libphonenumber ties to a place (NANP's mobiles cannot be told from its landlines: area-coded both). */
const GEOGRAPHIC_TYPES = new Set(["FIXED_LINE", "FIXED_LINE_OR_MOBILE"]);

/**
 * Calling codes whose mobile numbers carry an area code: libphonenumber's "geographical mobile"
 * countries (PhoneNumberUtil.isNumberGeographical) less Indonesia, whose 08 mobiles are nationwide
 * (libphonenumber: "some prefixes only"), and China, which has one zone.
 */
const AREA_CODED_MOBILES = new Set(["52", "54", "55"]);

let mainOfCode: Map<string, string> | undefined;

/** The main country of a calling code several countries share ("7" → RU), else undefined. */
function mainCountryOf(code: string): string | undefined {
  mainOfCode ??= new Map(SHARED_CODE_MAIN.split(",").map((e) => e.split(":") as [string, string]));
  return mainOfCode.get(code);
}

/** Whether a number's range is tied to a place, so the zone map's prefix for it can be trusted. */
export function isGeographicNumber(n: PhoneNumber): boolean {
  const type = n.getType();
  if (!type) return true; // unknown type (an invalid range): the prefix is all there is
  return GEOGRAPHIC_TYPES.has(type) || (type === "MOBILE" && AREA_CODED_MOBILES.has(n.countryCallingCode));
}

/**
 * The time zones a number may be in. A geographic number: the zone map's longest prefix (an Australian
 * landline in Perth is in Perth). A number not tied to a place (every `+61 4…` mobile is mapped to
 * Sydney, every `+7 9…` to Moscow): every zone of its calling code's entry, except for a smaller
 * country on a shared code (Kazakhstan on +7), which has its own entry.
 */
export function numberZones(e164: string, parsed: PhoneNumber | undefined = parsePhoneNumberFromString(e164)): string[] {
  if (!parsed || isGeographicNumber(parsed)) return candidateZones(e164);
  const code = parsed.countryCallingCode;
  const main = mainCountryOf(code);
  if (main && parsed.country && parsed.country !== main) return candidateZones(e164);
  const zones = candidateZones(`+${code}`);
  return zones.length ? zones : candidateZones(e164);
}

/** Resolve a contact's zones and jurisdiction; `brandZone` when nothing better is known. */
export function resolveZones(c: ContactTime, brandZone: string, rules: QuietHoursRules): ZoneResolution {
  const address = addressOf(c.traits);
  const parsed = c.phone ? parsePhoneNumberFromString(c.phone) : undefined;
  const phoneCountry = parsed?.country;
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
  const zones = c.phone ? numberZones(c.phone, parsed) : [];
  return zones.length ? { zones, jurisdiction, source: "phone" } : { zones: [brandZone], jurisdiction, source: "brand" };
}
