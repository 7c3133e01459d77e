/**
 * The consent ledger: its rules (pure functions over entries, tested directly in
 * test/consent-ledger-order.test.ts) and the reads of a contact's ledger inside a unit of work.
 *
 * - A purpose's state for a number is decided by reading that number's entries in the order they
 *   happened (`at`), not the order they arrived; at the same instant a revocation comes last (it wins).
 * - A STOP is about the number, not one purpose: it holds for every purpose, including one named
 *   after it (a topic or implied purpose added later). START undoes it, for every purpose, back to
 *   the state before the STOP (a second STOP does not overwrite that memory).
 * - A revocation (STOP or not) is undone only by the person's own new opt-in for that number: START,
 *   UNSTOP or YES from the number, or a grant carrying the text agreed to and the page or IP.
 *   Imports, Shopify snapshots and provider codes never undo one; such a grant is kept, not applied.
 */
import type { Session } from "../contacts/session";

/** Where a grant or revocation came from. */
export const SOURCE = /^(form|keyword|api|import|shopify|provider:[A-Za-z0-9_-]{1,40})$/;

/** A ledger entry. */
export interface ConsentEntry {
  /** Its key: `stop:<ref>:<purpose>`, `start:<ref>:<purpose>`, `import:…`, `event:<messageId>`, or random. */
  id: string;
  /** Recorded order (breaks ties in time). */
  seq: number;
  purpose: string;
  /** What the entry did (`restore`: START undoing a STOP; `lapse`: a grant ending because the contact no longer has the number). */
  action: "grant" | "confirm" | "revoke" | "restore" | "lapse";
  /** What it asked for: `granted` or `pending` (double opt-in) for a grant, `revoked`, and for a restore the state it went back to (`restored`: no explicit consent). */
  state: "granted" | "pending" | "revoked" | "restored";
  source: string;
  phone: string | null;
  /** True for a revocation of everything (STOP and its equivalents). */
  stop: boolean;
  /** When it happened. */
  at: number;
  text?: string | null;
  proof?: { ip?: string; url?: string; userAgent?: string } | null;
}

/** The consent state of one purpose, as the gate needs it. */
export type ConsentState = "granted" | "pending" | "revoked" | "stopped" | "implied" | "none";

/** What one entry did, read in time order: applied, or kept without effect and why. */
export interface EntryEffect {
  applied: boolean;
  /** Why not: `<stopped|revoked>:<import|shopify|provider|no_proof>`, `not_pending`, `not_stopped`, `not_granted`. */
  reason?: string;
}

/** A purpose's consent for one number, read from the ledger. */
export interface ConsentReading {
  state: ConsentState;
  /** The entry the state rests on (undefined: implied or none). */
  basis?: ConsentEntry;
  /** What a START would bring the purpose back to (only while stopped). */
  restoresTo?: ConsentEntry["state"];
  /** What each entry of this purpose and number did. */
  effects: Map<string, EntryEffect>;
}

/** Time order: when it happened; at the same instant a revocation comes last (it wins), then recorded order. */
export function byTime(a: ConsentEntry, b: ConsentEntry): number {
  return a.at - b.at || Number(a.action === "revoke") - Number(b.action === "revoke") || a.seq - b.seq;
}

/**
 * Why a grant cannot undo a revocation, or undefined when it is the person's own act: with proof, or
 * a join keyword from the number (recorded only by inbound SMS, under a `join:` key no API can give).
 */
export function cannotUndo(e: ConsentEntry): string | undefined {
  // Imports keep the source the list claims, so they are known by their key.
  if (e.source === "import" || e.id.startsWith("import:")) return "import";
  if (e.source === "shopify") return "shopify";
  if (e.source.startsWith("provider:")) return "provider";
  // A join keyword texted from the number is the person's own act; it only asks (pending), and their YES confirms it.
  if (e.id.startsWith("join:") && e.state === "pending") return undefined;
  return e.text && (e.proof?.url || e.proof?.ip) ? undefined : "no_proof";
}

type Held = "granted" | "pending" | "revoked" | "stopped" | undefined;

/** Read `purpose` for `phone` from the entries (any order). */
export function readConsent(entries: readonly ConsentEntry[], purpose: string, phone: string | null, implied: readonly string[]): ConsentReading {
  // STOP and START entries hold for every purpose of the number, whichever purpose they were recorded for.
  const mine = entries.filter((e) => e.phone === phone && (e.purpose === purpose || e.stop || e.action === "restore")).sort(byTime);
  const effects = new Map<string, EntryEffect>();
  let held: Held;
  let basis: ConsentEntry | undefined;
  // The state before the STOP in force: what START brings back.
  let before: Exclude<Held, "stopped">;
  let startedAt: number | undefined;
  const note = (e: ConsentEntry, effect: EntryEffect) => {
    if (e.purpose === purpose) effects.set(e.id, effect);
  };
  for (const e of mine) {
    if (e.action === "revoke" && e.stop) {
      // Only the STOP that began the stop remembers what was there; a repeated one revoked nothing new.
      if (held !== "stopped") [before, held, basis] = [held, "stopped", e];
      note(e, { applied: true });
    } else if (e.action === "revoke") {
      [held, basis] = ["revoked", e];
      note(e, { applied: true });
    } else if (e.action === "restore") {
      // One START records an entry per purpose at one instant; the first undoes the STOP for all.
      if (held === "stopped") {
        [held, basis, startedAt] = [before, before ? e : undefined, e.at];
        note(e, { applied: true });
      } else note(e, e.at === startedAt ? { applied: true } : { applied: false, reason: "not_stopped" });
    } else if (e.action === "lapse") {
      // A grant lapses with the number; a revocation never does (nothing here can undo a STOP).
      if (held === "granted" || held === "pending") {
        [held, basis] = [undefined, undefined];
        note(e, { applied: true });
      } else note(e, { applied: false, reason: "not_granted" });
    } else if (e.action === "confirm") {
      if (held !== "pending") note(e, { applied: false, reason: "not_pending" });
      else {
        [held, basis] = ["granted", e];
        note(e, { applied: true });
      }
    } else {
      const why = held === "revoked" || held === "stopped" ? cannotUndo(e) : undefined;
      if (why) note(e, { applied: false, reason: `${held}:${why}` });
      else {
        held = e.state === "pending" && held !== "granted" ? "pending" : "granted";
        basis = e;
        note(e, { applied: true });
      }
    }
  }
  const state: ConsentState = held ?? (implied.includes(purpose) ? "implied" : "none");
  return { state, basis, effects, ...(held === "stopped" ? { restoresTo: before ?? "restored" } : {}) };
}

/** The reason a send for `purpose` is blocked, or undefined when its consent allows it. */
export function consentBlock(state: ConsentState, purpose: string): string | undefined {
  switch (state) {
    case "granted":
    case "implied":
      return undefined;
    case "pending":
      return `pending_consent:${purpose}`;
    case "stopped":
      return "stopped";
    default:
      return `no_consent:${purpose}`;
  }
}

/** A consent ledger row as stored in the ContactDO. */
export interface ConsentRow {
  seq: number;
  id: string;
  purpose: string;
  action: string;
  state: string;
  source: string;
  phone: string | null;
  text: string | null;
  proof: string | null;
  stop: number;
  at: number;
  recorded_at: number;
}

function entryOf(r: ConsentRow): ConsentEntry {
  return {
    ...r, action: r.action as ConsentEntry["action"], state: r.state as ConsentEntry["state"], stop: r.stop === 1,
    proof: r.proof ? (JSON.parse(r.proof) as ConsentEntry["proof"]) : null,
  };
}

/** The contact's ledger entries, in recorded order. */
export function ledger(s: Pick<Session, "store">): ConsentEntry[] {
  return s.store.all<ConsentRow>("SELECT * FROM consent ORDER BY seq").map(entryOf);
}

/** A number's consent for any purpose (default: the contact's current number). */
export function consentOf(s: Session, phone: string | null = s.contact.phone): (purpose: string) => ConsentState {
  const entries = ledger(s);
  return (purpose) => readConsent(entries, purpose, phone, s.config.settings.consent.implied).state;
}

/** Every purpose the number could be texted for: transactional, marketing, topics, implied, and any in the ledger. */
export function purposesOf(s: Session): string[] {
  const c = s.config.settings.consent;
  return [...new Set(["transactional", "marketing", ...c.topics, ...c.implied, ...ledger(s).map((e) => e.purpose)])];
}

/** The consent a message relies on: the ledger entry in force for the purpose and current number. */
export interface ConsentBasis {
  purpose: string;
  state: string;
  source?: string;
  at?: string;
  text?: string;
}

/** The consent basis of `purpose` right now (what a message that clears the gate relied on). */
export function consentBasis(s: Session, purpose: string): ConsentBasis {
  const { state, basis } = readConsent(ledger(s), purpose, s.contact.phone, s.config.settings.consent.implied);
  if (!basis) return { purpose, state };
  return { purpose, state, source: basis.source, at: new Date(basis.at).toISOString(), ...(basis.text ? { text: basis.text } : {}) };
}

/** The consent summary for the D1 projection: state per purpose that has entries, for the current number. */
export function consentSummary(s: Session): Record<string, ConsentState> {
  const of = consentOf(s);
  const purposes = new Set(ledger(s).map((e) => e.purpose));
  return Object.fromEntries([...purposes].map((p) => [p, of(p)]));
}

/** What every entry did, for every number the ledger holds (the history shows entries kept without effect). */
export function ledgerEffects(s: Pick<Session, "store" | "config">): Map<string, EntryEffect> {
  const entries = ledger(s);
  const out = new Map<string, EntryEffect>();
  const pairs = new Set(entries.map((e) => JSON.stringify([e.purpose, e.phone])));
  for (const pair of pairs) {
    const [purpose, phone] = JSON.parse(pair) as [string, string | null];
    for (const [id, effect] of readConsent(entries, purpose, phone, s.config.settings.consent.implied).effects) out.set(id, effect);
  }
  return out;
}

/** The ledger as the API shows it, in recorded order; an entry kept without effect says why. */
export function consentHistory(s: Session) {
  const effects = ledgerEffects(s);
  return s.store.all<ConsentRow>("SELECT * FROM consent ORDER BY seq").map((r) => {
    const effect = effects.get(r.id);
    return {
      purpose: r.purpose, action: r.action, state: r.state, source: r.source, phone: r.phone, text: r.text ?? undefined,
      proof: r.proof ? (JSON.parse(r.proof) as Record<string, string>) : undefined, stop: r.stop === 1,
      at: new Date(r.at).toISOString(), recordedAt: new Date(r.recorded_at).toISOString(),
      ...(effect && !effect.applied ? { applied: false, reason: effect.reason } : {}),
    };
  });
}
