/**
 * Twilio's webhook signature (X-Twilio-Signature): base64 HMAC-SHA1, keyed by the auth token, of
 * the full URL followed by every POST parameter name and value, sorted by name (a repeated
 * parameter contributes each distinct value, sorted). Twilio signs some URLs with the default port
 * and some without, so both are tried. Plain Web Crypto: runs in Workers and in Node.
 */

const encoder = new TextEncoder();

/** The URL with its default port written out (https → :443, http → :80), as Twilio sometimes signs it. */
function withDefaultPort(u: URL): string {
  if (u.port) return u.toString();
  const port = u.protocol === "https:" ? ":443" : ":80";
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ""}@` : "";
  return `${u.protocol}//${auth}${u.host}${port}${u.pathname}${u.search}${u.hash}`;
}

/** The string Twilio signs for `url` and `params`. */
export function signedData(url: string, params: Record<string, string | string[]>): string {
  let data = new URL(url).toString();
  for (const key of Object.keys(params).sort()) {
    const v = params[key]!;
    data += Array.isArray(v) ? [...new Set(v)].sort().map((x) => key + x).join("") : key + v;
  }
  return data;
}

async function sign(authToken: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
  let bin = "";
  for (const b of mac) bin += String.fromCharCode(b);
  return btoa(bin);
}

function sameText(a: string, b: string): boolean {
  // Constant time in the length of the expected signature.
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a.charCodeAt(i) || 0) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The signature Twilio would send for this request. */
export async function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): Promise<string> {
  return sign(authToken, signedData(url, params));
}

/** Whether `signature` is Twilio's for this URL and parameters (with or without the default port). */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
  signature: string,
): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const withPort = withDefaultPort(u);
  const noPort = new URL(u.toString());
  noPort.port = "";
  const [a, b] = await Promise.all([twilioSignature(authToken, withPort, params), twilioSignature(authToken, noPort.toString(), params)]);
  return sameText(signature ?? "", a) || sameText(signature ?? "", b);
}
