// The send gate's checks on their own (src/gate/gate.ts): pure, no bindings. Which reason wins when
// several apply, what consent messages may ignore, and properties over generated inputs: a
// suppressed, stopped, expired or number-less message is never sent, whatever else is true.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConsentState } from "../src/consent/ledger";
import { type ConsentMessage, type GateInput, decide } from "../src/gate/gate";
import { SEND } from "../src/gate/decision";

const NOW = Date.UTC(2026, 10, 24, 18);

/** A message that would go: active template, granted consent, a phone, no rule, no timing. */
function input(over: Partial<Omit<GateInput, "message" | "contact">> & { message?: Partial<GateInput["message"]>; contact?: Partial<GateInput["contact"]> } = {}): GateInput {
  return {
    now: NOW,
    consent: () => "granted",
    template: { status: "active" },
    rules: [],
    ...over,
    message: { purpose: "marketing", job: "retention", expiresAt: NOW + 3_600_000, tags: [], ...over.message },
    contact: { phone: "+14155550100", suppressed: false, stage: "customer", flags: new Set(), ...over.contact },
  };
}

describe("one check at a time", () => {
  it("sends when nothing objects", () => {
    expect(decide(input())).toEqual(SEND);
  });

  it("skips an expired message, at its expiry instant and after", () => {
    expect(decide(input({ message: { expiresAt: NOW } }))).toEqual({ outcome: "skipped", reason: "expired" });
    expect(decide(input({ message: { expiresAt: NOW + 1 } }))).toEqual(SEND);
  });

  it("skips a contact without a usable number", () => {
    expect(decide(input({ contact: { phone: null } }))).toMatchObject({ outcome: "skipped", reason: "invalid_phone" });
  });

  it("skips draft, retired and missing templates", () => {
    expect(decide(input({ template: { status: "draft" } })).reason).toBe("template_draft");
    expect(decide(input({ template: { status: "retired" } })).reason).toBe("template_retired");
    expect(decide(input({ template: undefined })).reason).toBe("template_missing");
  });

  it("maps consent states to reasons: granted and implied go", () => {
    const reason = (state: ConsentState) => decide(input({ consent: () => state })).reason;
    expect(["granted", "implied"].map((s) => reason(s as ConsentState))).toEqual(["ok", "ok"]);
    expect(reason("pending")).toBe("pending_consent:marketing");
    expect(reason("stopped")).toBe("stopped");
    expect(reason("revoked")).toBe("no_consent:marketing");
    expect(reason("none")).toBe("no_consent:marketing");
  });

  it("asks about the message's own purpose", () => {
    const asked: string[] = [];
    decide(input({ message: { purpose: "vip_offers" }, consent: (p) => (asked.push(p), "granted") }));
    expect(asked).toEqual(["vip_offers"]);
  });

  it("blocks by an eligibility rule while the contact carries every flag", () => {
    const rules = [{ name: "support_case_open", purposes: ["marketing"], whileFlags: ["support_case_open"] }];
    expect(decide(input({ rules, contact: { flags: new Set(["support_case_open"]) } })).reason).toBe("rule:support_case_open");
    expect(decide(input({ rules }))).toEqual(SEND);
  });

  it("asks timing last, and only then", () => {
    const timing = { now: NOW, expiresAt: NOW + 3_600_000, caps: [{ name: "one", windowMs: 86_400_000, max: 1, counts: () => true }], history: [{ purpose: "marketing", job: "retention", stage: null, flow: null, tags: [], at: NOW - 1000 }], capPolicy: "skip" as const };
    expect(decide(input({ timing }))).toEqual({ outcome: "skipped", reason: "cap:one" });
    expect(decide(input({ timing, contact: { suppressed: true } })).reason).toBe("suppressed");
  });
});

describe("which reason wins", () => {
  it("expired, then invalid_phone, then template, then suppressed, then consent, then rules", () => {
    const all = input({
      message: { expiresAt: NOW },
      contact: { phone: null, suppressed: true, flags: new Set(["f"]) },
      template: { status: "retired" },
      consent: () => "stopped",
      rules: [{ name: "r", whileFlags: ["f"] }],
    });
    const order: Array<[Partial<GateInput> | ((i: GateInput) => GateInput), string]> = [
      [(i) => i, "expired"],
      [(i) => ({ ...i, message: { ...i.message, expiresAt: NOW + 1 } }), "invalid_phone"],
      [(i) => ({ ...i, contact: { ...i.contact, phone: "+14155550100" } }), "template_retired"],
      [(i) => ({ ...i, template: { status: "active" } }), "suppressed"],
      [(i) => ({ ...i, contact: { ...i.contact, suppressed: false } }), "stopped"],
      [(i) => ({ ...i, consent: () => "granted" as const }), "rule:r"],
      [(i) => ({ ...i, rules: [] }), "ok"],
    ];
    let cur = all;
    for (const [step, reason] of order) {
      cur = (step as (i: GateInput) => GateInput)(cur);
      expect(decide(cur).reason).toBe(reason);
    }
  });
});

describe("messages about consent", () => {
  const kinds: ConsentMessage[] = ["consent_request", "optin_confirmation", "keyword_reply"];

  it("a keyword reply (STOP confirmation, HELP) goes whatever the consent, but never to a suppressed number", () => {
    for (const state of ["stopped", "none", "revoked", "pending"] as ConsentState[]) {
      expect(decide(input({ message: { consentMessage: "keyword_reply" }, consent: () => state, template: undefined }))).toEqual(SEND);
    }
    expect(decide(input({ message: { consentMessage: "keyword_reply" }, contact: { suppressed: true } })).reason).toBe("suppressed");
  });

  it("the request goes only while pending, the confirmation only while granted, neither after STOP", () => {
    const d = (kind: ConsentMessage, state: ConsentState) => decide(input({ message: { consentMessage: kind }, consent: () => state, template: undefined }));
    expect(d("consent_request", "pending")).toEqual(SEND);
    expect(d("consent_request", "granted")).toMatchObject({ outcome: "skipped", reason: "cancelled" });
    expect(d("optin_confirmation", "granted")).toEqual(SEND);
    expect(d("optin_confirmation", "revoked")).toMatchObject({ outcome: "skipped", reason: "cancelled" });
    for (const kind of kinds.slice(0, 2)) expect(d(kind, "stopped").reason).toBe("stopped");
  });
});

// Generated inputs: every field of the gate's input drawn at random.
const states = fc.constantFrom<ConsentState>("granted", "pending", "revoked", "stopped", "implied", "none");
const arbInput = fc
  .record({
    expiresIn: fc.integer({ min: -10_000, max: 10_000 }),
    phone: fc.option(fc.constant("+14155550100"), { nil: null }),
    suppressed: fc.boolean(),
    template: fc.option(fc.constantFrom("active", "draft", "retired"), { nil: undefined }),
    state: states,
    purpose: fc.constantFrom("marketing", "transactional", "vip_offers"),
    kind: fc.option(fc.constantFrom<ConsentMessage>("consent_request", "optin_confirmation", "keyword_reply"), { nil: undefined }),
    flagged: fc.boolean(),
  })
  .map((r) =>
    input({
      message: { purpose: r.purpose, expiresAt: NOW + r.expiresIn, consentMessage: r.kind },
      contact: { phone: r.phone, suppressed: r.suppressed, flags: new Set(r.flagged ? ["f"] : []) },
      template: r.template ? { status: r.template } : undefined,
      consent: () => r.state,
      rules: [{ name: "r", purposes: ["marketing"], whileFlags: ["f"] }],
    }),
  );

describe("properties", () => {
  it("a suppressed number, a contact without a number and an expired message are never sent", () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const d = decide(i);
        if (i.contact.suppressed || !i.contact.phone || i.now >= i.message.expiresAt) expect(d.outcome).toBe("skipped");
      }),
    );
  });

  it("a purpose without the consent it needs is never sent, except a reply to the person's own keyword", () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const state = i.consent(i.message.purpose);
        if (decide(i).outcome === "sent" && i.message.consentMessage !== "keyword_reply") {
          expect(state === "granted" || state === "implied" || (state === "pending" && i.message.consentMessage === "consent_request")).toBe(true);
        }
      }),
    );
  });

  it("after STOP only keyword replies go", () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        if (i.consent(i.message.purpose) === "stopped" && decide(i).outcome === "sent") expect(i.message.consentMessage).toBe("keyword_reply");
      }),
    );
  });
});
