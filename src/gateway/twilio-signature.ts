/**
 * Twilio's webhook signature (X-Twilio-Signature): base64 HMAC-SHA1, keyed by the auth token, of
 * the URL Twilio called followed by every POST parameter name and value, sorted by name (a repeated
 * parameter contributes each distinct value, sorted). The URL is used exactly as written, never
 * re-parsed: `new URL` would re-encode it (`'` becomes `%27`) and drop a default port, and Twilio
 * signs the text it was given. As Twilio's helper libraries do, the URL is tried without its port
 * and with the default one (`:443` for https, `:80` otherwise), since Twilio signs either form.
 * Plain Web Crypto: runs in Workers and in Node (src/kit.ts).
 */
import { sameSecret } from "../webhooks/signatures.ts";

const encoder = new TextEncoder();

/** A URL split as text, without normalising it: scheme, user info, host, port (":443" or "") and the rest. */
function splitUrl(url: string): { scheme: string; userInfo: string; host: string; port: string; rest: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!m) return undefined;
  const [prefix, scheme, authority] = m as unknown as [string, string, string];
  const at = authority.lastIndexOf("@");
  const hostPort = authority.slice(at + 1);
  // In an IPv6 literal ([::1]:8443) only a colon after the closing bracket starts the port.
  const colon = hostPort.indexOf(":", hostPort.lastIndexOf("]") + 1);
  return {
    scheme,
    userInfo: authority.slice(0, at + 1),
    host: colon === -1 ? hostPort : hostPort.slice(0, colon),
    port: colon === -1 ? "" : hostPort.slice(colon),
    rest: url.slice(prefix.length),
  };
}

/** The URL with the scheme's default port written in, unless it names a port already. */
function withPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  return `${p.scheme}${p.userInfo}${p.host}${p.scheme.toLowerCase() === "https://" ? ":443" : ":80"}${p.rest}`;
}

/** The URL without any port. */
function withoutPort(url: string): string {
  const p = splitUrl(url);
  return p ? `${p.scheme}${p.userInfo}${p.host}${p.rest}` : url;
}

/** The path, query and fragment of a URL exactly as written (what follows `scheme://authority`). */
export function pathOf(url: string): string {
  return splitUrl(url)?.rest ?? url;
}

/** The string Twilio signs for `url` (as written) and `params`. */
export function signedData(url: string, params: Record<string, string | string[]>): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key]!;
    data += Array.isArray(v) ? [...new Set(v)].sort().map((x) => key + x).join("") : key + v;
  }
  return data;
}

/** The signature Twilio would send for this URL (as written) and parameters. */
export async function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(signedData(url, params))));
  let bin = "";
  for (const b of mac) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Whether `signature` is Twilio's for this URL (as written, without its port or with the default one) and parameters. */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
  signature: string,
): Promise<boolean> {
  // No token, no trust (and Web Crypto refuses an empty HMAC key).
  if (!authToken || !signature) return false;
  for (const candidate of new Set([withoutPort(url), withPort(url)])) {
    // The signature is compared as text, as Twilio's libraries do: another base64 spelling of the same bytes is refused.
    if (await sameSecret(signature, await twilioSignature(authToken, candidate, params))) return true;
  }
  return false;
}
