import { describe, expect, it } from "vitest";
import { candidateZones, countryOfNumber, e164Digits, nanpCountry, nanpRegion } from "../src/time/phone-zones";
import { isValidTimeZone } from "../src/time/zoned";

// Expected values were read straight from shared/reference/phone/*.txt (quoted in comments).
describe("candidateZones", () => {
  it("a Florida number (305) is in America/New_York", () => {
    // 1305|America/New_York
    expect(candidateZones("+13055551234")).toEqual(["America/New_York"]);
  });

  it("the Florida panhandle (850) splits by exchange: longest prefix wins", () => {
    // 1850200|America/Chicago beats 1850|America/New_York
    expect(candidateZones("+18502001234")).toEqual(["America/Chicago"]);
    // 1850999 / 185099 / 18509 absent → 1850|America/New_York
    expect(candidateZones("+18509991234")).toEqual(["America/New_York"]);
  });

  it("Idaho (208): 7-, 5- digit prefixes, and a fallback to +1 when the area code alone is not a key", () => {
    expect(candidateZones("+12082012345")).toEqual(["America/Denver"]); // 1208201|America/Denver
    expect(candidateZones("+12082999999")).toEqual(["America/Boise", "America/Los_Angeles"]); // 12082|…
    expect(candidateZones("+1208")).toEqual(candidateZones("+1")); // no "1208" key → "1"
  });

  it('"+1" alone lists every NANP zone, from Pago Pago and Hawaii to Newfoundland and Guam', () => {
    const all = candidateZones("+1");
    expect(all).toHaveLength(42); // the "1|…" line lists 42 zones
    for (const z of ["Pacific/Honolulu", "America/St_Johns", "America/New_York", "Pacific/Guam", "Pacific/Pago_Pago", "America/Phoenix"])
      expect(all).toContain(z);
  });

  it("Poland and France", () => {
    expect(candidateZones("+48601234567")).toEqual(["Europe/Warsaw"]); // 48|Europe/Warsaw
    expect(candidateZones("+33612345678")).toEqual(["Europe/Paris"]); // 33|Europe/Paris
  });

  it("multi-zone countries", () => {
    // 442|Europe/London (London landline) beats 44|…
    expect(candidateZones("+442071234567")).toEqual(["Europe/London"]);
    // 4477|Europe/Guernsey&Europe/Isle_of_Man&Europe/London (no Jersey, unlike the "44" line)
    expect(candidateZones("+447700900123")).toEqual(["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"]);
    // Ireland: 353|Europe/Guernsey&Europe/Isle_of_Man&Europe/London, as the reference file has it
    // (a known upstream libphonenumber regression; same wall clock as Europe/Dublin).
    expect(candidateZones("+353851234567")).toEqual(["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"]);
    // 1907|America/Adak&America/Anchorage
    expect(candidateZones("+19075551234")).toEqual(["America/Adak", "America/Anchorage"]);
    // 77|Asia/Almaty&Asia/Aqtobe beats the 16-zone "7" line
    expect(candidateZones("+77011234567")).toEqual(["Asia/Almaty", "Asia/Aqtobe"]);
  });

  it("returns a fresh array each time (callers may mutate it)", () => {
    const a = candidateZones("+1");
    a.length = 0;
    expect(candidateZones("+1")).toHaveLength(42);
  });

  it("tolerates formatting characters, rejects non-E.164 input", () => {
    expect(candidateZones("+1 (305) 555-1234")).toEqual(["America/New_York"]);
    expect(candidateZones("13055551234")).toEqual([]);
    expect(candidateZones("+")).toEqual([]);
    expect(candidateZones("+1234567890123456")).toEqual([]); // 16 digits
    expect(candidateZones("hello")).toEqual([]);
    expect(e164Digits("+48 601 234 567")).toBe("48601234567");
  });

  it("every zone in the table is known to this runtime's Intl", () => {
    for (const prefix of ["1", "7", "61", "55", "52", "62"]) for (const z of candidateZones(`+${prefix}`)) expect(isValidTimeZone(z), z).toBe(true);
  });
});

describe("nanpRegion / nanpCountry", () => {
  it("maps area codes to ISO 3166-2", () => {
    expect(nanpRegion("+13055551234")).toBe("US-FL"); // 1305|Florida
    expect(nanpRegion("+15615551234")).toBe("US-FL"); // 1561|Palm Beach, FL
    expect(nanpRegion("+12145551234")).toBe("US-TX"); // 1214|Texas
    expect(nanpRegion("+12105551234")).toBe("US-TX"); // 1210|San Antonio, TX
    expect(nanpRegion("+12125551234")).toBe("US-NY"); // 1212|New York, NY
    expect(nanpRegion("+12065551234")).toBe("US-WA"); // 1206|Washington State
    expect(nanpRegion("+12025551234")).toBe("US-DC"); // 1202|Washington D.C.
    expect(nanpRegion("+14165551234")).toBe("CA-ON"); // 1416|Ontario
    expect(nanpRegion("+12575551234")).toBe("CA-BC"); // 1257|British Colombia (sic)
  });

  it("an area code spanning provinces gives the country only", () => {
    expect(nanpRegion("+19025551234")).toBeUndefined(); // 1902|Nova Scotia/Prince Edward Island
    expect(nanpCountry("+19025551234")).toBe("CA");
  });

  it("non-US/CA NANP and non-NANP numbers have no region", () => {
    expect(nanpRegion("+18765551234")).toBeUndefined(); // Jamaica: not in the US/CA table
    expect(nanpCountry("+18765551234")).toBeUndefined();
    expect(nanpRegion("+33612345678")).toBeUndefined();
    expect(nanpRegion("+1")).toBeUndefined();
  });

  it("countryOfNumber", () => {
    expect(countryOfNumber("+13055551234")).toBe("US");
    expect(countryOfNumber("+14165551234")).toBe("CA");
    expect(countryOfNumber("+33612345678")).toBe("FR");
    expect(countryOfNumber("+48601234567")).toBe("PL");
    expect(countryOfNumber("+77011234567")).toBe("KZ");
    expect(countryOfNumber("+74951234567")).toBe("RU");
    expect(countryOfNumber("+35312345678")).toBe("IE");
    expect(countryOfNumber("+99912345")).toBeUndefined();
  });
});
