// Console sessions, the pure core: a sealed cookie opens only unchanged, unexpired and under its own
// secret; a CSRF token fits only its session.
import { describe, expect, it } from "vitest";
import { b64url, csrfToken, newSession, openSession, sealSession, sessionKeys, sessionSecret, validCsrf } from "../src/console/session";

const T0 = Date.UTC(2026, 10, 24, 18, 0);

describe("session cookie", () => {
  it("opens what it sealed, and never shows the key", async () => {
    const keys = await sessionKeys("secret-a");
    const s = newSession("tid_abcdefghijklmnopqrstuvwxyz012345", T0);
    const cookie = await sealSession(keys, s);
    expect(cookie).not.toContain("tid_");
    expect(atob(cookie.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (cookie.length % 4)) % 4))).not.toContain("abcdefghij");
    expect(await openSession(keys, cookie, T0 + 1000)).toEqual(s);
  });

  it("refuses a cookie with any byte changed", async () => {
    const keys = await sessionKeys("secret-a");
    const cookie = await sealSession(keys, newSession("tid_x", T0));
    const bytes = Uint8Array.from(atob(cookie.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (cookie.length % 4)) % 4)), (c) => c.charCodeAt(0));
    // Every byte: the IV, the ciphertext and the tag.
    for (let i = 0; i < bytes.length; i++) {
      const changed = bytes.slice();
      changed[i]! ^= 0x01;
      expect(await openSession(keys, b64url(changed), T0), `byte ${i}`).toBeUndefined();
    }
    expect(await openSession(keys, cookie.slice(0, -4), T0)).toBeUndefined();
    expect(await openSession(keys, `${cookie}AAAA`, T0)).toBeUndefined();
  });

  it("refuses garbage, an empty value and a huge one", async () => {
    const keys = await sessionKeys("secret-a");
    for (const v of [undefined, "", "not base64!", "AAAA", "x".repeat(5000), "%%%"]) expect(await openSession(keys, v, T0)).toBeUndefined();
  });

  it("refuses a cookie sealed under another secret", async () => {
    const cookie = await sealSession(await sessionKeys("secret-a"), newSession("tid_x", T0));
    expect(await openSession(await sessionKeys("secret-b"), cookie, T0)).toBeUndefined();
  });

  it("expires after 12 hours", async () => {
    const keys = await sessionKeys("secret-a");
    const cookie = await sealSession(keys, newSession("tid_x", T0));
    expect(await openSession(keys, cookie, T0 + 12 * 3600_000 - 1)).toBeDefined();
    expect(await openSession(keys, cookie, T0 + 12 * 3600_000)).toBeUndefined();
  });

  it("falls back to a secret derived from OWNER_KEY, never to nothing silently", () => {
    expect(sessionSecret({ SESSION_SECRET: "s", OWNER_KEY: "o" })).toBe("s");
    expect(sessionSecret({ OWNER_KEY: "o" })).toBe("owner-key-fallback:o");
    expect(sessionSecret({})).toBeUndefined();
  });
});

describe("CSRF token", () => {
  it("fits only the session it was made for", async () => {
    const keys = await sessionKeys("secret-a");
    const token = await csrfToken(keys, "sid-1");
    expect(await validCsrf(keys, "sid-1", token)).toBe(true);
    expect(await validCsrf(keys, "sid-2", token)).toBe(false);
    expect(await validCsrf(await sessionKeys("secret-b"), "sid-1", token)).toBe(false);
    for (const bad of [undefined, "", "abc", token.slice(1), `${token}A`, 42, "x".repeat(500)]) expect(await validCsrf(keys, "sid-1", bad)).toBe(false);
  });
});
