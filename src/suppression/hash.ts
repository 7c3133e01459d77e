/** Suppression entries are a keyed hash of the number, so the list can be checked without keeping it. */

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256(key, E.164) as hex. */
export async function suppressionHash(secret: string, e164: string): Promise<string> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  const sig = await crypto.subtle.sign("HMAC", await key, encoder.encode(e164));
  return [...new Uint8Array(sig)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether a number is on the suppression list (one indexed D1 read). */
export async function isSuppressed(env: Env, e164: string): Promise<boolean> {
  const hash = await suppressionHash(env.SUPPRESSION_KEY, e164);
  return (await env.DB.prepare("SELECT 1 FROM suppressions WHERE hash = ?").bind(hash).first()) !== null;
}
