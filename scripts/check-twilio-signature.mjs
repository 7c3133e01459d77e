// CI: our Twilio signatures (src/kit.ts, plain Node) against Twilio's own helper library (`twilio`),
// over generated URLs (with and without ports; queries with reserved, unicode and apostrophe
// characters, left as written) and POST parameters (repeated ones included):
//  - a signature from Twilio's getExpectedTwilioSignature is one we compute byte for byte, and one we
//    accept for that URL as written and with its port toggled the way Twilio's libraries toggle it;
//    Twilio's validateRequest accepts the same;
//  - a tampered request (a parameter, the URL, the token or the signature changed) is refused by us
//    and by validateRequest.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import twilio from "twilio";

const kit = await import("../src/kit.ts");
const { twilioSignature } = await import("../src/gateway/twilio-signature.ts");
const { getExpectedTwilioSignature, validateRequest } = twilio;
const runs = Number(process.env.NUM_RUNS ?? 300);

// URL text as someone types it into Twilio's console: unreserved and reserved characters, an
// apostrophe, a space, unicode and ready-made escapes, all kept exactly as written.
const queryChar = fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@/? é☕".split(/(?:)/u), "%20", "%27", "%C3%A9", "%2F");
const url = fc
  .record({
    scheme: fc.constantFrom("https", "http", "HTTPS"),
    host: fc.constantFrom("tidings.example", "sms.brand.example", "127.0.0.1", "[::1]"),
    port: fc.constantFrom("", "", ":443", ":80", ":8443"),
    path: fc.array(fc.stringMatching(/^[a-z0-9'._~-]{1,8}$/), { maxLength: 3 }),
    query: fc.option(fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z_]{1,6}$/), fc.string({ unit: queryChar, maxLength: 10 })), { minLength: 1, maxLength: 4 }), { nil: undefined }),
  })
  .map(({ scheme, host, port, path, query }) => `${scheme}://${host}${port}/webhooks/${path.join("/")}${query ? `?${query.map(([k, v]) => `${k}=${v}`).join("&")}` : ""}`)
  .filter((u) => URL.canParse(u)); // validateRequest falls back to `new URL`, which throws on anything else

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/).filter((k) => k !== "__proto__");
const value = fc.string({ unit: "grapheme", maxLength: 20 });
const params = fc.dictionary(name, fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.array(value, { minLength: 1, maxLength: 3 }) }), { maxKeys: 8 });
const token = fc.string({ minLength: 1, maxLength: 40 });

/** scheme://, host and port (":8443" or "") and the rest, split as text. */
function split(u) {
  const [, scheme, authority, rest] = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(u);
  const colon = authority.indexOf(":", authority.lastIndexOf("]") + 1);
  return { scheme, host: colon === -1 ? authority : authority.slice(0, colon), port: colon === -1 ? "" : authority.slice(colon), rest };
}
const defaultPort = (scheme) => (scheme.toLowerCase() === "https://" ? ":443" : ":80");
/** The other form Twilio's libraries try: the default port written in, or the port removed (only the same URL when that port is the default). */
function otherForm(u) {
  const { scheme, host, port, rest } = split(u);
  if (port && port !== defaultPort(scheme)) return u;
  return scheme + host + (port ? "" : defaultPort(scheme)) + rest;
}

// Twilio's signature for the URL it called: ours is the same string, and both sides accept it in either port form.
await fc.assert(
  fc.asyncProperty(token, url, params, fc.boolean(), async (tok, u, p, toggle) => {
    const signature = getExpectedTwilioSignature(tok, u, p);
    assert.equal(await twilioSignature(tok, u, p), signature, `our signature differs for ${u}`);
    const received = toggle ? otherForm(u) : u;
    assert.equal(await kit.verifyTwilioSignature(tok, received, p, signature), true, `we refused Twilio's signature of ${u} at ${received}`);
    assert.equal(validateRequest(tok, signature, received, p), true, `validateRequest refused ${received}`);
  }),
  { numRuns: runs },
);

// Tampered requests: both refuse. "Tampered" is judged by Twilio's own library: Twilio would sign
// the changed request differently (its scheme concatenates names and values, so a few changes are
// not changes at all).
const tampering = fc.constantFrom("param value", "extra param", "dropped param", "url", "token", "signature");
await fc.assert(
  fc.asyncProperty(token, url, params, tampering, async (tok, u, p, how) => {
    const signature = getExpectedTwilioSignature(tok, u, p);
    const keys = Object.keys(p);
    let [t2, u2, p2, s2] = [tok, u, { ...p }, signature];
    if (how === "param value" && keys.length) p2[keys[0]] = `${[p[keys[0]]].flat()[0]}x`;
    else if (how === "extra param") p2.Zz = "1";
    else if (how === "dropped param" && keys.length) delete p2[keys[0]];
    else if (how === "url") u2 = u.replace("/webhooks/", "/webhooks/x");
    else if (how === "token") t2 = `${tok}x`;
    else if (how === "signature") s2 = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    fc.pre(s2 !== getExpectedTwilioSignature(t2, u2, p2));
    assert.equal(await kit.verifyTwilioSignature(t2, u2, p2, s2), false, `we accepted a request with its ${how} changed`);
    assert.equal(validateRequest(t2, s2, u2, p2), false, `validateRequest accepted a request with its ${how} changed`);
  }),
  { numRuns: runs },
);

const version = JSON.parse(readFileSync(new URL("../node_modules/twilio/package.json", import.meta.url), "utf8")).version;
console.log(`Twilio signatures agree with twilio ${version}'s helpers over ${runs} valid and ${runs} tampered generated requests`);
