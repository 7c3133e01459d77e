/**
 * Phone number → plausible time zones (libphonenumber's prefix map), NANP area code → state or
 * province, and calling code → country. Lookups walk the number's own prefixes, longest first,
 * against Maps built once from the generated tables: O(prefix length), never a scan of the table.
 */
import { NANP_TABLE } from "./data/nanp-regions";
import { MAX_PREFIX_LENGTH, PREFIX_TABLE, ZONE_NAMES, ZONE_SETS } from "./data/phone-zones";

let prefixZones: Map<string, readonly string[]> | undefined;
let nanp: Map<string, string> | undefined;

// Built on first use rather than at import, so Workers that never look up a number pay nothing.
function zoneMap(): Map<string, readonly string[]> {
  if (prefixZones) return prefixZones;
  const sets = ZONE_SETS.map((s) => Object.freeze(s.split(".").map((i) => ZONE_NAMES[Number(i)] as string)));
  const map = new Map<string, readonly string[]>();
  for (const entry of PREFIX_TABLE.split(",")) {
    const colon = entry.indexOf(":");
    const zones = sets[Number(entry.slice(colon + 1))];
    if (zones) map.set(entry.slice(0, colon), zones);
  }
  return (prefixZones = map);
}

function nanpMap(): Map<string, string> {
  if (nanp) return nanp;
  const map = new Map<string, string>();
  for (const entry of NANP_TABLE.split(",")) {
    const colon = entry.indexOf(":");
    map.set(entry.slice(0, colon), entry.slice(colon + 1));
  }
  return (nanp = map);
}

/** Digits of an E.164 number ("+" then 1–15 digits; spaces, dots, dashes and parentheses ignored), or undefined. */
export function e164Digits(e164: string): string | undefined {
  if (typeof e164 !== "string") return undefined;
  const m = /^\+(\d{1,15})$/.exec(e164.replace(/[\s().-]/g, ""));
  return m?.[1];
}

/** Time zones the number may be in, from the longest matching libphonenumber prefix ("+1" alone lists every NANP zone); [] when none. */
export function candidateZones(e164: string): string[] {
  const digits = e164Digits(e164);
  if (!digits) return [];
  const map = zoneMap();
  for (let n = Math.min(digits.length, MAX_PREFIX_LENGTH); n > 0; n--) {
    const zones = map.get(digits.slice(0, n));
    if (zones) return [...zones];
  }
  return [];
}

/** The ISO 3166-2 region ("US-FL", "CA-ON") of a US or Canadian number's area code; undefined if unknown or if the area code spans several provinces. */
export function nanpRegion(e164: string): string | undefined {
  const r = nanpEntry(e164);
  return r && r.includes("-") ? r : undefined;
}

/** "US" or "CA" for a NANP number whose area code is in the US/Canada table; undefined otherwise (e.g. Caribbean area codes). */
export function nanpCountry(e164: string): "US" | "CA" | undefined {
  const r = nanpEntry(e164);
  return r ? (r.slice(0, 2) as "US" | "CA") : undefined;
}

function nanpEntry(e164: string): string | undefined {
  const digits = e164Digits(e164);
  if (!digits || digits[0] !== "1" || digits.length < 4) return undefined;
  return nanpMap().get(digits.slice(1, 4));
}

// Calling code → the country that owns it (ISO 3166-1). Hand-kept: only codes we can name without a
// library, each mapped to its main country (small territories sharing a code, such as Jersey on +44
// or Åland on +358, are not split out). NANP (+1) is resolved by area code instead.
const CALLING_CODES = new Map<string, string>(
  Object.entries({
    "7": "RU", "76": "KZ", "77": "KZ", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR",
    "34": "ES", "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE",
    "47": "NO", "48": "PL", "49": "DE", "51": "PE", "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL",
    "57": "CO", "58": "VE", "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH",
    "81": "JP", "82": "KR", "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "212": "MA", "234": "NG",
    "254": "KE", "351": "PT", "352": "LU", "353": "IE", "354": "IS", "356": "MT", "357": "CY", "358": "FI",
    "359": "BG", "370": "LT", "371": "LV", "372": "EE", "380": "UA", "385": "HR", "386": "SI", "420": "CZ",
    "421": "SK", "423": "LI", "966": "SA", "971": "AE", "972": "IL",
  }),
);

/** ISO 3166-1 country of a number from its calling code (NANP via area code: "US"/"CA"); undefined when not known here. */
export function countryOfNumber(e164: string): string | undefined {
  const digits = e164Digits(e164);
  if (!digits) return undefined;
  if (digits[0] === "1") return nanpCountry(e164);
  for (let n = Math.min(digits.length, 3); n > 0; n--) {
    const c = CALLING_CODES.get(digits.slice(0, n));
    if (c) return c;
  }
  return undefined;
}
