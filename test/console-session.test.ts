// Console sessions and decisions in words, the pure cores: a sealed cookie opens only unchanged,
// unexpired and under its own secret; a CSRF token fits only its session; reason codes read as sentences.
import { describe, expect, it } from "vitest";
import { explainDecision, placeName, reasonInWords } from "../src/console/explain";
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

describe("decisions in plain words", () => {
  // 13:00 UTC on Wed 25 Nov 2026 is 08:00 in New York (EST, UTC−5).
  const until = Date.UTC(2026, 10, 25, 13, 0);
  const night = Date.UTC(2026, 10, 25, 3, 30); // 22:30 on Tue 24 Nov in New York

  it("says where quiet hours held a message and until when, in the contact's local time", () => {
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:US-FL", until }, { timeZone: "America/New_York" })).toBe(
      "deferred: quiet hours in Florida until 08:00 (Wed 25 Nov)",
    );
    // Same local day: no date needed. ISO `until` (recentDecisions) reads the same as epoch ms (timeline).
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:US-TX", until: "2026-11-25T15:00:00.000Z" }, { timeZone: "America/Chicago", now: until })).toBe(
      "deferred: quiet hours in Texas until 09:00",
    );
    expect(explainDecision({ outcome: "deferred", reason: "quiet_hours:FR", until }, { timeZone: "Europe/Paris", now: night })).toContain("quiet hours in France until 14:00");
  });

  it("names caps, consent, rules and the rest", () => {
    const cases: Array<[string, string, string]> = [
      ["deferred", "cap:marketing-daily", "deferred: the frequency cap “marketing-daily” until"],
      ["skipped", "no_consent:marketing", "not sent: no marketing consent on record for this number"],
      ["skipped", "pending_consent:marketing", "not sent: marketing consent is waiting for the person to confirm (double opt-in)"],
      ["skipped", "rule:no-marketing-during-support", "not sent: the eligibility rule “no-marketing-during-support”"],
      ["skipped", "suppressed", "not sent: the number is on the suppression list"],
      ["skipped", "stopped", "not sent: the person replied STOP"],
      ["skipped", "expired", "not sent: the message expired before it could go"],
      ["skipped", "invalid_phone", "not sent: no valid phone number"],
      ["skipped", "template_retired", "not sent: its template is retired"],
      ["skipped", "holdout", "held out: the contact is in the flow's holdout group"],
      ["sent", "ok", "sent: cleared every check"],
      ["skipped", "something_new", "not sent: something_new"],
    ];
    for (const [outcome, reason, words] of cases) expect(explainDecision({ outcome, reason, until }, { timeZone: "America/New_York" })).toContain(words);
  });

  it("keeps the gate's detail", () => {
    const d = { outcome: "skipped", reason: "expired", detail: "quiet_hours:US-FL until 2026-11-25T13:00:00.000Z, after the message expires" };
    expect(explainDecision(d)).toBe(`not sent: the message expired before it could go (${d.detail})`);
  });

  it("reads jurisdictions as places", () => {
    expect(placeName("US-FL")).toBe("Florida");
    expect(placeName("US")).toBe("the United States");
    expect(placeName("PL")).toBe("Poland");
    expect(placeName("ZZ-Q")).toBe("ZZ-Q");
    expect(reasonInWords("quiet_hours:US-MA")).toBe("quiet hours in Massachusetts");
  });
});
