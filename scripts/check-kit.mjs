// CI: src/kit.ts must load and work in plain Node (no Workers runtime, no bundler).
import assert from "node:assert/strict";

const kit = await import("../src/kit.ts");
assert.deepEqual(kit.segmentInfo("Hello"), { encoding: "GSM-7", segments: 1, units: 5 });
assert.deepEqual(kit.segmentInfo("It’s here"), { encoding: "UCS-2", segments: 1, units: 9 });
assert.equal(kit.zonedToInstant("2026-03-08T02:30", "America/New_York"), "2026-03-08T07:30:00.000Z"); // skipped hour: later instant
assert.equal(kit.zonedToInstant("2026-11-01T01:30", "America/New_York"), "2026-11-01T05:30:00.000Z"); // repeated hour: earlier instant
assert.throws(() => kit.zonedToInstant("2026-13-01T00:00", "UTC"), RangeError);
// Twilio's documented example (security/signature_validation, api-snippets 3.x).
const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675310", Digits: "1234", From: "+14158675310", To: "+18005551212" };
assert.equal(await kit.verifyTwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params, "GvWf1cFY/Q7PnoempGyD5oXAezc="), true);
assert.equal(await kit.verifyTwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params, "GvWf1cFY/Q7PnoempGyD5oXAezd="), false);
// Shopify (base64 HMAC-SHA256) and Segment (hex HMAC-SHA1) webhook signatures, checked against node:crypto.
const { createHmac } = await import("node:crypto");
const raw = '{"id":820982911946154508,"total_price":"90.16","note":"caf\u00e9 ☕"}';
const shopifyMac = createHmac("sha256", "shpss_example").update(raw, "utf8").digest("base64");
assert.equal(await kit.verifyShopifyHmac("shpss_example", raw, shopifyMac), true);
assert.equal(await kit.verifyShopifyHmac("shpss_example", raw.replace("90.16", "9.16"), shopifyMac), false); // tampered body
assert.equal(await kit.verifyShopifyHmac("shpss_example", JSON.stringify(JSON.parse(raw)), shopifyMac), false); // re-serialised
assert.equal(await kit.verifyShopifyHmac("shpss_example", raw, createHmac("sha256", "shpss_example").update(raw).digest("hex")), false); // hex
assert.equal(await kit.verifyShopifyHmac("other", raw, shopifyMac), false);
assert.equal(await kit.verifyShopifyHmac("shpss_example", raw, ""), false);
const segmentSig = createHmac("sha1", "seg_secret").update(raw, "utf8").digest("hex");
assert.equal(await kit.verifySegmentSignature("seg_secret", raw, segmentSig), true);
assert.equal(await kit.verifySegmentSignature("seg_secret", raw, segmentSig.toUpperCase()), true);
assert.equal(await kit.verifySegmentSignature("seg_secret", raw + " ", segmentSig), false);
assert.equal(await kit.verifySegmentSignature("seg_secret", raw, createHmac("sha1", "seg_secret").update(raw).digest("base64")), false);
assert.equal(await kit.verifySegmentSignature("seg_secret", raw, ""), false);
console.log("kit.ts works in plain Node");
