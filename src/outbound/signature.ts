/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret, space-separated, so a
 * receiver that knows either secret of a rotation verifies.
 */

/** Base64 of bytes. */
function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The `webhook-signature` header for `body`, signed with each key (WebCrypto). */
export async function signatureHeader(keys: Uint8Array[], id: string, timestamp: number, body: string): Promise<string> {
  const data = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const sigs = await Promise.all(
    keys.map(async (raw) => {
      const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return `v1,${base64(new Uint8Array(await crypto.subtle.sign("HMAC", key, data)))}`;
    }),
  );
  return sigs.join(" ");
}

/** Hex SHA-256 of a string, cut to `chars` (deterministic ids). */
export async function digest(text: string, chars = 32): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, chars);
}
