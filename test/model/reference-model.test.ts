// The reference model on its own: the rules it holds the Worker to (issue 20), checked directly.
import { describe, expect, it } from "vitest";
import { Reference, closedZones } from "./reference";

const N = "+14155550111";
const M = "+14155550122";
const T = Date.UTC(2026, 10, 24, 18, 0);
const MIN = 60_000;

/** A person with N who signed up for marketing on a form, with proof. */
function signedUp(): Reference {
  const r = new Reference();
  r.identify("user:0", undefined, N);
  r.consent("user:0", { purpose: "marketing", action: "grant", at: T, ownAct: true, snapshot: false });
  return r;
}

describe("STOP", () => {
  it("revokes every purpose, implied ones too", () => {
    const r = signedUp();
    r.reply(N, "STOP", T + MIN);
    for (const p of ["marketing", "transactional", "service", "news"]) expect(r.verdict(N, p, "normal")).toEqual({ ok: false, why: "stopped" });
    // The confirmation of the STOP itself answers the person's message.
    expect(r.verdict(N, "transactional", "keyword_reply")).toEqual({ ok: true });
  });

  it("is undone by START, which restores exactly what it revoked", () => {
    const r = signedUp();
    r.reply(N, "STOP", T + MIN);
    r.reply(N, "STOP", T + 2 * MIN);
    r.reply(N, "START", T + 3 * MIN);
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: true });
    expect(r.verdict(N, "service", "normal")).toEqual({ ok: true });
    expect(r.verdict(N, "news", "normal")).toEqual({ ok: false, why: "no_consent:news" });
  });

  it("is not undone by an import, a commerce snapshot, an unproven grant or a merge", () => {
    const r = signedUp();
    r.reply(N, "please stop texting me", T + MIN);
    r.consent("user:0", { purpose: "marketing", action: "grant", at: T + 2 * MIN, ownAct: false, snapshot: true });
    r.consent("user:0", { purpose: "marketing", action: "grant", at: T + 3 * MIN, ownAct: false, snapshot: false });
    r.identify("user:0", "anon:0", undefined);
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: false, why: "stopped" });
  });

  it("is undone for a purpose by the person's own newer grant with proof, not by one that happened before it", () => {
    const r = signedUp();
    r.reply(N, "STOP", T + 10 * MIN);
    r.consent("user:0", { purpose: "marketing", action: "grant", at: T + 5 * MIN, ownAct: true, snapshot: false });
    expect(r.verdict(N, "marketing", "normal").ok).toBe(false);
    r.consent("user:0", { purpose: "marketing", action: "grant", at: T + 20 * MIN, ownAct: true, snapshot: false });
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: true });
    expect(r.verdict(N, "transactional", "normal")).toEqual({ ok: false, why: "stopped" });
  });

  it("from a former number changes that number only", () => {
    const r = signedUp();
    r.identify("user:0", undefined, M);
    r.reply(N, "STOP", T + MIN);
    expect(r.verdict(N, "transactional", "normal").ok).toBe(false);
    expect(r.verdict(M, "transactional", "normal")).toEqual({ ok: true });
    // The old number was given up: the reply comes from a number nobody owns, which a new contact takes.
    expect(r.owner(N)).toBe(`phone:${N}`);
  });

  it("follows the number to its next owner", () => {
    const r = signedUp();
    r.reply(N, "STOP", T + MIN);
    r.identify("user:1", undefined, N);
    r.consent("user:1", { purpose: "marketing", action: "grant", at: T + 2 * MIN, ownAct: false, snapshot: false });
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: false, why: "stopped" });
  });
});

describe("numbers and people", () => {
  it("a grant does not travel to the number's next owner, comes back with the number, and a merge keeps it with the person", () => {
    const r = new Reference();
    r.identify(undefined, "anon:0", N);
    r.consent("anon:0", { purpose: "marketing", action: "grant", at: T, ownAct: true, snapshot: false });
    r.identify("user:0", "anon:0", undefined);
    expect(r.phone("user:0")).toBe(N);
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: true });
    r.identify("user:1", undefined, N);
    expect(r.phone("user:0")).toBeNull();
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: false, why: "no_consent:marketing" });
    r.identify("user:0", undefined, N);
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: true });
  });

  it("double opt-in waits for YES, and YES from a stopped number with nothing pending means START", () => {
    const r = signedUp();
    r.consent("user:0", { purpose: "news", action: "grant", at: T + MIN, ownAct: true, snapshot: false });
    expect(r.verdict(N, "news", "normal")).toEqual({ ok: false, why: "pending_consent:news" });
    expect(r.verdict(N, "news", "consent_request")).toEqual({ ok: true });
    r.reply(N, "YES", T + 2 * MIN);
    expect(r.verdict(N, "news", "normal")).toEqual({ ok: true });
    r.reply(N, "STOP", T + 3 * MIN);
    r.reply(N, "YES", T + 4 * MIN);
    expect(r.verdict(N, "news", "normal")).toEqual({ ok: true });
  });

  it("suppression and erasure block every purpose; erasure for good", () => {
    const r = signedUp();
    r.suppress(N, true);
    expect(r.verdict(N, "transactional", "keyword_reply")).toEqual({ ok: false, why: "suppressed" });
    r.suppress(N, false);
    expect(r.verdict(N, "marketing", "normal")).toEqual({ ok: true });
    r.identify("user:0", "anon:0", undefined);
    expect(r.erase("user:0")).toEqual([N]);
    r.suppress(N, false);
    expect(r.verdict(N, "transactional", "normal")).toEqual({ ok: false, why: "erased" });
    expect(r.identify("user:0", undefined, N)).toBe(false);
    expect(r.retired.has("anon:0")).toBe(true);
  });
});

describe("quiet hours", () => {
  it("an Australian mobile may be anywhere in Australia: 09:00 Sydney is 06:00 in Perth", () => {
    const nineSydney = Date.UTC(2026, 10, 24, 22, 0); // 09:00 AEDT
    expect(closedZones("au_mobile", nineSydney)).toContain("Australia/Perth");
    const noonPerth = Date.UTC(2026, 10, 25, 4, 0); // 12:00 AWST, 15:00 AEDT
    expect(closedZones("au_mobile", noonPerth)).toEqual([]);
  });

  it("Florida closes at 20:00, California at 21:00", () => {
    const at = Date.UTC(2026, 10, 25, 1, 30); // 20:30 in Miami, 17:30 in San Francisco
    expect(closedZones("us_fl", at)).toEqual(["America/New_York"]);
    expect(closedZones("us_ca", at)).toEqual([]);
  });
});
