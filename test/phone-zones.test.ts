import { describe, expect, it } from "vitest";
import { candidateZones, countryOfNumber, e164Digits, nanpCountry, nanpRegion } from "../src/time/phone-zones";
import { isValidTimeZone } from "../src/time/zoned";
import { numberZones } from "../src/time/contact-zone";

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

// Numbers not tied to a place: libphonenumber's map names one zone for whole mobile ranges ("614" →
// Sydney for every Australian mobile), so such a number's candidates are every zone of its calling
// code's entry. Expected lists are the reference file's lines, quoted.
describe("numberZones: where a number may be", () => {
  const AU = ["Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"]; // 61|…
  const RU = candidateZones("+7"); // 7|Asia/Almaty&…&Europe/Samara (16 zones)

  it("an Australian mobile may be in Perth as well as Sydney; a Perth landline is in the west", () => {
    expect(candidateZones("+61412345678")).toEqual(["Australia/Sydney"]); // 614|Australia/Sydney: the map alone
    expect(numberZones("+61412345678")).toEqual(AU);
    expect(numberZones("+61892345678")).toEqual(["Australia/Adelaide", "Australia/Perth"]); // 6189|Australia/Adelaide&Australia/Perth
    expect(numberZones("+61298765432")).toEqual(["Australia/Sydney"]); // 612|Australia/Sydney
  });

  it("Russia: a mobile anywhere in the country, a Moscow landline in Moscow; Kazakhstan keeps its own entry on the shared +7", () => {
    expect(RU).toHaveLength(16);
    expect(numberZones("+79161234567")).toEqual(RU); // 79|Europe/Moscow would say Moscow only
    expect(numberZones("+74951234567")).toEqual(["Europe/Moscow"]); // 749|Europe/Moscow
    expect(numberZones("+77011234567")).toEqual(["Asia/Almaty", "Asia/Aqtobe"]); // 77|Asia/Almaty&Asia/Aqtobe
  });

  it("Indonesia: 08 mobiles are nationwide; a Jakarta landline is in Jakarta", () => {
    expect(numberZones("+6281234567890")).toEqual(["Asia/Jakarta", "Asia/Jayapura", "Asia/Makassar"]); // 62|…, not 628|Asia/Jakarta
    expect(numberZones("+62215551234")).toEqual(["Asia/Jakarta"]);
  });

  it("mobiles that carry an area code keep it: Brazil (DDD), Mexico, Argentina", () => {
    expect(numberZones("+5511987654321")).toEqual(["America/Sao_Paulo"]); // 551|America/Sao_Paulo
    expect(numberZones("+5568999123456")).toEqual(["America/Rio_Branco"]); // 5568|America/Rio_Branco (Acre)
    expect(numberZones("+523312345678")).toEqual(["America/Mexico_City"]); // 523|America/Mexico_City (Guadalajara)
    expect(numberZones("+5491123456789")).toEqual(["America/Buenos_Aires"]); // 54|America/Buenos_Aires
  });

  it("US and Canada: area-code based (mobiles cannot be told from landlines); a toll-free number is anywhere on +1", () => {
    expect(numberZones("+14155552671")).toEqual(["America/Los_Angeles"]); // 1415|America/Los_Angeles
    expect(numberZones("+16045551234")).toEqual(candidateZones("+16045551234")); // Vancouver
    expect(numberZones("+18005551234")).toEqual(candidateZones("+1")); // TOLL_FREE: every NANP zone
  });

  it("one-zone countries, and same-clock zones, are unchanged", () => {
    expect(numberZones("+33612345678")).toEqual(["Europe/Paris"]);
    expect(numberZones("+4915112345678")).toEqual(["Europe/Berlin"]);
    expect(numberZones("+447700123456")).toEqual(["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"]); // 44|…
    expect(numberZones("+64211234567")).toEqual(["Pacific/Auckland", "Pacific/Chatham"]); // 64|…
  });

  it("what the map cannot parse it answers as before", () => {
    expect(numberZones("+1")).toEqual(candidateZones("+1"));
    expect(numberZones("hello")).toEqual([]);
  });
});
