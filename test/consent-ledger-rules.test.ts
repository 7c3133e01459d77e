// The ledger's rules, pure: a purpose's state is read from the number's entries in the order they
// happened (not arrived); a STOP holds for every purpose and only the person's own opt-in undoes it;
// START brings back exactly what the STOP in force revoked.
import { describe, expect, it } from "vitest";
import { type ConsentEntry, byTime, cannotUndo, readConsent } from "../src/consent/ledger";

const A = "+14155550001";
const B = "+14155550002";
const T = Date.UTC(2026, 10, 24, 18, 0);
const MIN = 60_000;
const PROOF = { text: "Yes, text me offers.", proof: { url: "https://shop.example/join" } };

let seq = 0;
/** An entry; arrival order is the order entries are made (seq), time is `at`. */
function entry(e: Partial<ConsentEntry> & Pick<ConsentEntry, "purpose" | "action">): ConsentEntry {
  seq++;
  const state = e.action === "revoke" ? "revoked" : e.action === "restore" ? "restored" : "granted";
  return { id: `e${seq}`, seq, state, source: "api", phone: A, stop: false, at: T, ...e };
}
const grant = (at: number, more: Partial<ConsentEntry> = {}) => entry({ purpose: "marketing", action: "grant", source: "form", at, ...PROOF, ...more });
const revoke = (at: number, more: Partial<ConsentEntry> = {}) => entry({ purpose: "marketing", action: "revoke", at, ...more });
/** A STOP recorded for each listed purpose, as stopAll does. */
const stop = (at: number, purposes = ["transactional", "marketing"], phone = A) =>
  purposes.map((purpose) => entry({ purpose, action: "revoke", source: "keyword", stop: true, at, phone }));
const start = (at: number, purposes = ["transactional", "marketing"], phone = A) =>
  purposes.map((purpose) => entry({ purpose, action: "restore", source: "keyword", at, phone }));
const IMPLIED = ["transactional", "service"];
const state = (entries: ConsentEntry[], purpose = "marketing", phone = A) => readConsent(entries, purpose, phone, IMPLIED).state;
/** Every order the entries could have arrived in gives the same reading. */
function inAnyArrivalOrder(entries: ConsentEntry[], check: (arrived: ConsentEntry[]) => void) {
  check(entries);
  check([...entries].reverse().map((e, i) => ({ ...e, seq: 1000 + i })));
}

describe("time order, not arrival order", () => {
  it("a late-arriving older grant does not undo a newer STOP", () => {
    inAnyArrivalOrder([...stop(T), grant(T - 10 * MIN)], (l) => expect(state(l)).toBe("stopped"));
  });

  it("a late-arriving older STOP does not undo a newer valid re-consent", () => {
    inAnyArrivalOrder([grant(T + 10 * MIN), ...stop(T)], (l) => expect(state(l)).toBe("granted"));
  });

  it("a late-arriving older revocation does not undo a newer grant, and a newer one wins", () => {
    inAnyArrivalOrder([grant(T + 10 * MIN), revoke(T)], (l) => expect(state(l)).toBe("granted"));
    inAnyArrivalOrder([grant(T), revoke(T + 10 * MIN)], (l) => expect(state(l)).toBe("revoked"));
  });

  it("at the same instant a revocation wins, whichever arrived first", () => {
    inAnyArrivalOrder([grant(T), revoke(T)], (l) => expect(state(l)).toBe("revoked"));
    inAnyArrivalOrder([grant(T), ...stop(T)], (l) => expect(state(l)).toBe("stopped"));
    expect([grant(T), revoke(T), grant(T + 1)].sort(byTime).map((e) => e.action)).toEqual(["grant", "revoke", "grant"]);
  });
});

describe("what a STOP covers", () => {
  it("every purpose of the number, also one it was not recorded for (an implied purpose added later)", () => {
    const l = stop(T);
    for (const p of ["transactional", "marketing", "service", "appointment_reminders"]) expect([p, state(l, p)]).toEqual([p, "stopped"]);
  });

  it("the number it came from only", () => {
    const l = [grant(T - MIN, { phone: B }), ...stop(T, ["transactional", "marketing"], A)];
    expect(state(l, "marketing", B)).toBe("granted");
    expect(state(l, "transactional", B)).toBe("implied");
  });
});

describe("what undoes a STOP or a revocation", () => {
  it("the person's own grant with the text agreed to and the page or IP, newer than the STOP", () => {
    expect(state([...stop(T), grant(T + MIN)])).toBe("granted");
    expect(state([...stop(T), grant(T + MIN, { proof: { ip: "203.0.113.7" } })])).toBe("granted");
    // Only that purpose: the rest of the number stays stopped.
    expect(state([...stop(T), grant(T + MIN)], "transactional")).toBe("stopped");
  });

  it("never an import, a Shopify snapshot, a provider code, or a grant without proof; each is kept with the reason", () => {
    const cases: Array<[Partial<ConsentEntry>, string]> = [
      [{ source: "import" }, "stopped:import"],
      [{ source: "form", id: "import:marketing:form:…" }, "stopped:import"], // an imported row claiming a form
      [{ source: "shopify" }, "stopped:shopify"],
      [{ source: "provider:21610" }, "stopped:provider"],
      [{ source: "api", text: null, proof: null }, "stopped:no_proof"],
      [{ source: "form", proof: null }, "stopped:no_proof"], // text without page or IP
      [{ source: "form", text: null }, "stopped:no_proof"], // page without the text
    ];
    for (const [more, reason] of cases) {
      const g = grant(T + MIN, more);
      const read = readConsent([...stop(T), g], "marketing", A, IMPLIED);
      expect([more, read.state, read.effects.get(g.id)]).toEqual([more, "stopped", { applied: false, reason }]);
    }
  });

  it("the same rule after a revocation that was not a STOP", () => {
    const g = grant(T + MIN, { source: "shopify" });
    const read = readConsent([revoke(T), g], "marketing", A, IMPLIED);
    expect([read.state, read.effects.get(g.id)]).toEqual(["revoked", { applied: false, reason: "revoked:shopify" }]);
    expect(state([revoke(T), grant(T + MIN)])).toBe("granted");
  });

  it("grants without proof still work where nothing is revoked", () => {
    expect(state([grant(T, { source: "import", text: null, proof: null })])).toBe("granted");
    expect(cannotUndo(grant(T, { source: "api", text: null, proof: null }))).toBe("no_proof");
  });
});

describe("START restores exactly what the STOP revoked", () => {
  it("granted stays granted, implied becomes implied, never-given stays none", () => {
    const l = [grant(T - MIN), ...stop(T, ["transactional", "marketing", "appointment_reminders"]), ...start(T + MIN, ["transactional", "marketing", "appointment_reminders"])];
    expect([state(l), state(l, "transactional"), state(l, "appointment_reminders"), state(l, "service")]).toEqual(["granted", "implied", "none", "implied"]);
  });

  it("an explicitly revoked purpose stays revoked", () => {
    expect(state([grant(T - 2 * MIN), revoke(T - MIN), ...stop(T), ...start(T + MIN)])).toBe("revoked");
  });

  it("STOP twice then START: the second STOP, which revoked nothing new, does not overwrite the memory", () => {
    expect(state([grant(T - MIN), ...stop(T), ...stop(T + MIN), ...start(T + 2 * MIN)])).toBe("granted");
  });

  it("every entry of one START is applied; a START with nothing stopped is kept without effect", () => {
    const first = start(T + MIN);
    const again = start(T + 2 * MIN);
    const read = readConsent([grant(T - MIN), ...stop(T), ...first, ...again], "marketing", A, IMPLIED);
    expect(read.effects.get(first[1]!.id)).toEqual({ applied: true });
    expect(read.effects.get(again[1]!.id)).toEqual({ applied: false, reason: "not_stopped" });
  });

  it("a START older than the STOP does not undo it", () => {
    inAnyArrivalOrder([grant(T - 2 * MIN), ...start(T - MIN), ...stop(T)], (l) => expect(state(l)).toBe("stopped"));
  });

  it("tells what a START would bring back while stopped", () => {
    expect(readConsent([grant(T - MIN), ...stop(T)], "marketing", A, IMPLIED).restoresTo).toBe("granted");
    expect(readConsent(stop(T), "transactional", A, IMPLIED).restoresTo).toBe("restored");
    expect(readConsent([grant(T - MIN)], "marketing", A, IMPLIED).restoresTo).toBeUndefined();
  });
});

describe("double opt-in", () => {
  it("a pending grant waits for its confirmation; a confirmation with nothing pending does nothing", () => {
    const pending = grant(T, { state: "pending" });
    const confirm = entry({ purpose: "marketing", action: "confirm", source: "keyword", at: T + MIN });
    expect(state([pending])).toBe("pending");
    expect(state([pending, confirm])).toBe("granted");
    const read = readConsent([confirm], "marketing", A, IMPLIED);
    expect([read.state, read.effects.get(confirm.id)]).toEqual(["none", { applied: false, reason: "not_pending" }]);
  });
});
