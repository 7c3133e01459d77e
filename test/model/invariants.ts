/**
 * Issue 20's invariants, checked after every step: what the gateway was asked to do and what the
 * contacts hold, against the reference model. Pure: observations in, violations out.
 */
import { type MessageKind, QUIET_EXEMPT, type Reference, closedZones } from "./reference";
import type { NumberKind } from "./reference";
import type { ContactObs, GatewayCall, MessageObs } from "./world";

/** One broken invariant. */
export interface Violation {
  /** The invariant's number in the README (1–7), or a named API promise. */
  invariant: string;
  detail: string;
}

/** What one step left behind. */
export interface StepObservation {
  /** Gateway calls made during the step. */
  calls: GatewayCall[];
  /** Every contact of the run, after the step settled. */
  contacts: ContactObs[];
  /** Each run number's alias (the contact it names, if any). */
  aliases: Map<string, string | undefined>;
}

/** What the checks need from the run beyond one step. */
export interface RunContext {
  /** The kind of a run number (zones and window). */
  kindOf(phone: string): NumberKind | undefined;
  /** Gateway calls so far per message id. */
  callsById: Map<string, number>;
  /** One-off sends by number: message id → the number asked for. */
  oneOffTo: Map<string, string>;
  /** Messages whose gateway answer was lost (in doubt until reconciled). */
  lost: ReadonlySet<string>;
  /** The contact id a model person (root identity) has. */
  contactIdOf(identity: string): string | undefined;
}

/** Which consent message a template key is. */
export function kindOf(templateKey: string | undefined): MessageKind {
  if (templateKey === "system:consent_request") return "consent_request";
  if (templateKey === "system:optin_confirmation") return "optin_confirmation";
  if (templateKey === "system:keyword_reply") return "keyword_reply";
  return "normal";
}

/** Invariants 1–4 and 6 (one-off recipients) for the gateway calls of one step. */
export function checkCalls(before: Reference, after: Reference, obs: StepObservation, run: RunContext): Violation[] {
  const out: Violation[] = [];
  const messages = new Map<string, MessageObs>();
  for (const c of obs.contacts) for (const m of c.messages) messages.set(m.id, m);
  for (const call of obs.calls) {
    const m = messages.get(call.id);
    const kind = kindOf(m?.template_key);
    // Invariants 1, 2, 7: judged by the model before and after the step; a call counts as a
    // violation only when both say no (a change during the step may have raced a send in flight).
    const a = before.verdict(call.to, m?.purpose, kind);
    const b = after.verdict(call.to, m?.purpose, kind);
    if (a.ok === false && b.ok === false) {
      out.push({ invariant: "1", detail: `message ${call.id} (${m?.template_key ?? "?"}, ${m?.purpose ?? "?"}) reached the gateway for ${call.to}: ${b.why}` });
    }
    const n = (run.callsById.get(call.id) ?? 0) + 1;
    run.callsById.set(call.id, n);
    if (n > 1) out.push({ invariant: "3", detail: `message ${call.id} reached the gateway ${n} times` });
    const numberKind = run.kindOf(call.to);
    if (m && numberKind && !QUIET_EXEMPT.includes(m.purpose) && kind !== "keyword_reply") {
      const closed = closedZones(numberKind, call.at);
      if (closed.length) {
        out.push({ invariant: "4", detail: `message ${call.id} (${m.purpose}) to ${call.to} at ${new Date(call.at).toISOString()}: outside the window in ${closed.join(", ")}` });
      }
    }
    const asked = run.oneOffTo.get(call.id);
    if (asked && asked !== call.to) out.push({ invariant: "6", detail: `one-off ${call.id} was sent to ${asked} but reached ${call.to}` });
  }
  return out;
}

/** Invariant 5: once settled, nothing waits with nothing to move it. */
export function checkSettled(obs: StepObservation, run: RunContext): Violation[] {
  const out: Violation[] = [];
  for (const c of obs.contacts) {
    if (!c.exists) continue;
    for (const m of c.messages) {
      if (m.status === "pending" || m.status === "queued") {
        out.push({ invariant: "5", detail: `message ${m.id} of ${c.id} is still ${m.status} after the queues drained` });
      } else if (m.status === "deferred") {
        const timer = c.timers.some((t) => t.id === `send:${m.id}`);
        if (!timer || c.mergedInto) {
          out.push({ invariant: "5", detail: `message ${m.id} of ${c.id} is deferred ${c.mergedInto ? `in a contact merged into ${c.mergedInto} (its alarm does nothing)` : "with no timer"}` });
        }
      } else if (m.status === "dispatching" && !run.lost.has(m.id)) {
        out.push({ invariant: "5", detail: `message ${m.id} of ${c.id} is dispatching after the queues drained` });
      }
    }
  }
  return out;
}

/** Invariant 6: one live contact per number, its alias naming it, and the model's owner behind it. */
export function checkOwnership(model: Reference, obs: StepObservation, run: RunContext): Violation[] {
  const out: Violation[] = [];
  const byId = new Map(obs.contacts.map((c) => [c.id, c]));
  for (const [phone, alias] of obs.aliases) {
    if (model.isErased(phone)) continue;
    const holders = obs.contacts.filter((c) => c.exists && !c.mergedInto && c.phone === phone).map((c) => c.id);
    if (holders.length > 1) out.push({ invariant: "6", detail: `${phone} is held by ${holders.length} live contacts: ${holders.join(", ")}` });
    const aliased = alias ? byId.get(alias) : undefined;
    if (alias && aliased?.mergedInto) {
      out.push({ invariant: "6", detail: `the alias of ${phone} names ${alias}, merged into ${aliased.mergedInto}: replies, suppressions and one-offs reach a forwarder that does not forward them` });
    } else if (holders.length === 1 && alias !== holders[0]) {
      out.push({ invariant: "6", detail: `${phone} is held by ${holders[0]} but its alias names ${alias ?? "nobody"}` });
    }
    const owner = model.owner(phone);
    const expected = owner ? run.contactIdOf(owner) : undefined;
    if (expected && alias && !aliased?.mergedInto && alias !== expected) {
      out.push({ invariant: "6", detail: `replies from ${phone} reach ${alias}, but the number belongs to ${owner} (${expected})` });
    }
  }
  return out;
}
