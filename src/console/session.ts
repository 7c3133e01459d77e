/**
 * Console sessions, pure WebCrypto: the API key a person signed in with travels sealed (AES-GCM,
 * authenticated: a changed byte fails) in an HttpOnly cookie, so the console can call the API in
 * process with exactly that key's role; forms carry a CSRF token, an HMAC of the session id.
 * Both keys are derived (HKDF) from SESSION_SECRET.
 */
import { now } from "../clock";

/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** What a session cookie holds once opened. */
export interface Session {
  /** The API key the person signed in with (never readable outside the sealed cookie). */
  key: string;
  /** A random id the CSRF token is bound to. */
  sid: string;
  /** Expiry, epoch ms. */
  exp: number;
}

/** The derived keys: one seals sessions, one signs CSRF tokens. */
export interface SessionKeys {
  seal: CryptoKey;
  csrf: CryptoKey;
}

const encoder = new TextEncoder();
const AAD = encoder.encode("tidings console session v1");
const cache = new Map<string, Promise<SessionKeys>>();

/** The session keys for a secret (derived once per isolate). */
export function sessionKeys(secret: string): Promise<SessionKeys> {
  let keys = cache.get(secret);
  if (!keys) {
    keys = derive(secret);
    cache.set(secret, keys);
  }
  return keys;
}

async function derive(secret: string): Promise<SessionKeys> {
  const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode("tidings-console"), info: encoder.encode(info) });
  const [seal, csrf] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("session seal"), base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
    crypto.subtle.deriveKey(hkdf("csrf"), base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]),
  ]);
  return { seal, csrf };
}

/** base64url without padding. */
export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A fresh random id (16 bytes, base64url). */
export function randomId(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** A new session for a key, expiring SESSION_TTL_MS from now. */
export function newSession(key: string, at = now()): Session {
  return { key, sid: randomId(), exp: at + SESSION_TTL_MS };
}

/** The cookie value of a session: base64url(iv ‖ AES-GCM ciphertext and tag). */
export async function sealSession(keys: SessionKeys, s: Session): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = encoder.encode(JSON.stringify({ k: s.key, s: s.sid, e: s.exp }));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, keys.seal, data));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return b64url(out);
}

/** The session in a cookie value, or undefined when it is malformed, tampered with or expired. */
export async function openSession(keys: SessionKeys, value: string | undefined, at = now()): Promise<Session | undefined> {
  if (!value || value.length > 2000) return undefined;
  const bytes = fromB64url(value);
  if (!bytes || bytes.length < 12 + 16) return undefined;
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: AAD }, keys.seal, bytes.slice(12));
  } catch {
    return undefined; // wrong key or a changed byte: the tag does not match
  }
  try {
    const o = JSON.parse(new TextDecoder().decode(plain)) as { k?: unknown; s?: unknown; e?: unknown };
    if (typeof o.k !== "string" || typeof o.s !== "string" || typeof o.e !== "number") return undefined;
    if (o.e <= at) return undefined;
    return { key: o.k, sid: o.s, exp: o.e };
  } catch {
    return undefined;
  }
}

/** The CSRF token of a session (or of a sign-in form's nonce): HMAC-SHA256 of its id. */
export async function csrfToken(keys: SessionKeys, sid: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", keys.csrf, encoder.encode(`csrf:${sid}`))));
}

/** Whether a form's token belongs to this session id (constant-time). */
export async function validCsrf(keys: SessionKeys, sid: string, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || token.length > 100) return false;
  const mac = fromB64url(token);
  if (!mac || mac.length !== 32) return false;
  return crypto.subtle.verify("HMAC", keys.csrf, mac, encoder.encode(`csrf:${sid}`));
}

/** The secret sessions are derived from: SESSION_SECRET, else one derived from OWNER_KEY (HKDF never reveals it). */
export function sessionSecret(env: { SESSION_SECRET?: string; OWNER_KEY?: string }): string | undefined {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  return env.OWNER_KEY ? `owner-key-fallback:${env.OWNER_KEY}` : undefined;
}
