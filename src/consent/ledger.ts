/**
 * The consent ledger's rules, pure: a contact's consent for a purpose is the last ledger entry for
 * that purpose recorded for the phone number they have now. Entries are never rewritten.
 */

/** Where a grant or revocation came from. */
export const SOURCE = /^(form|keyword|api|import|shopify|provider:[A-Za-z0-9_-]{1,40})$/;

/** A ledger entry. */
export interface ConsentEntry {
  purpose: string;
  /** What the entry did (`restore`: START undoing a STOP). */
  action: "grant" | "confirm" | "revoke" | "restore";
  /** The purpose's state after it (`restored`: back to no explicit consent, e.g. implied). */
  state: "granted" | "pending" | "revoked" | "restored";
  source: string;
  phone: string | null;
  /** True for a revocation of everything (STOP and its equivalents). */
  stop: boolean;
  at: number;
}

/** The consent state of one purpose, as the gate needs it. */
export type ConsentState = "granted" | "pending" | "revoked" | "stopped" | "implied" | "none";

/** The state of `purpose` for `phone`, given the entries in the order they were recorded. */
export function consentState(entries: readonly ConsentEntry[], purpose: string, phone: string | null, implied: readonly string[]): ConsentState {
  let last: ConsentEntry | undefined;
  for (const e of entries) if (e.purpose === purpose && e.phone === phone) last = e;
  if (!last || last.state === "restored") return implied.includes(purpose) ? "implied" : "none";
  if (last.state === "revoked") return last.stop ? "stopped" : "revoked";
  return last.state;
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
