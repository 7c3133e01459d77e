/**
 * Webhook signatures over the raw body: Shopify's X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256) and
 * Segment's X-Signature (hex HMAC-SHA1), and `sameSecret` for secrets and signatures compared as
 * text. Every comparison is Web Crypto's `verify`, which is constant time. No imports: this runs in
 * Workers and in plain Node (src/kit.ts).
 */

const encoder = new TextEncoder();

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/** Strict base64 (standard alphabet, padded) to bytes; undefined when it is not base64. */
function fromBase64(text: string): Uint8Array | undefined {
  if (!text || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bin = atob(text);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** Hex (either case) to bytes; undefined when it is not hex. */
function fromHex(text: string): Uint8Array | undefined {
  if (!text || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function verifyMac(hash: "SHA-256" | "SHA-1", secret: string, body: Uint8Array, mac: Uint8Array): Promise<boolean> {
  if (!secret) return false;
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, mac as BufferSource, body as BufferSource);
}

/**
 * Whether `given` equals `expected`, in time that does not depend on where they differ: both are
 * HMACed under a one-off key and Web Crypto compares the MACs (lengths leak nothing either).
 */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const key = (await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])) as CryptoKey;
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(expected));
  return crypto.subtle.verify("HMAC", key, mac, encoder.encode(given ?? ""));
}

/** Whether `header` is Shopify's base64 HMAC-SHA256 of the raw body under `secret`. */
export async function verifyShopifyHmac(secret: string, rawBody: string | Uint8Array, header: string): Promise<boolean> {
  const mac = fromBase64((header ?? "").trim());
  return mac ? verifyMac("SHA-256", secret, bytesOf(rawBody), mac) : false;
}

/** Whether `header` is Segment's hex HMAC-SHA1 of the raw body under `secret`. */
export async function verifySegmentSignature(secret: string, rawBody: string | Uint8Array, header: string): Promise<boolean> {
  const mac = fromHex((header ?? "").trim());
  return mac ? verifyMac("SHA-1", secret, bytesOf(rawBody), mac) : false;
}

/** Whether the header matches under any of the secrets (current first, then the previous one during a rotation). */
export async function verifyAny(
  verify: (secret: string, rawBody: Uint8Array, header: string) => Promise<boolean>,
  secrets: Array<string | undefined>,
  rawBody: Uint8Array,
  header: string,
): Promise<boolean> {
  for (const secret of secrets) if (secret && (await verify(secret, rawBody, header))) return true;
  return false;
}
