/**
 * The reference model of Tidings' guarantees (issue 20), pure: who owns which number, and per
 * number the consent per purpose, suppression and erasure, so a gateway call can be judged
 * allowed, forbidden or (where the rules leave it open) unknown. It follows the rules, not the code:
 *
 * - Consent is per number. A STOP revokes every purpose; only the person's own newer opt-in for
 *   that number undoes it: a keyword from the number (START, UNSTOP, YES) or a form/API grant with
 *   proof (the text agreed to, and a page or IP). Imports, commerce snapshots and merges never do.
 * - The ledger is decided by when entries happened, not the order they arrived.
 * - A grant counts only for the person who gave it (merged identities are one person).
 * - Suppressed and erased numbers are never texted; an erased number is never stored again.
 */

/** Purposes the model's settings declare (test/model/world.ts sets them). */
export const PURPOSES = ["transactional", "service", "marketing", "news"] as const;
/** A purpose. */
export type Purpose = (typeof PURPOSES)[number];
/** Purposes that need no grant (`settings.consent.implied`). */
export const IMPLIED: readonly string[] = ["transactional", "service"];
/** Purposes under double opt-in (`settings.consent.doubleOptIn`). */
export const DOUBLE_OPT_IN: readonly string[] = ["news"];
/** Purposes exempt from quiet hours (`settings.quietHours.exempt`, default). */
export const QUIET_EXEMPT: readonly string[] = ["transactional"];

/** An identity: `user:<i>` or `anon:<i>` (model indexes), or `phone:<number>` (a contact a number created). */
export type Identity = string;

/** What a reply says, as the model sorts it. */
export type ReplyWord = "STOP" | "Stop." | "please stop texting me" | "START" | "UNSTOP" | "YES" | "HELP" | "don't stop, this is great";
/** Every reply the model sends. */
export const REPLY_WORDS: readonly ReplyWord[] = ["STOP", "Stop.", "please stop texting me", "START", "UNSTOP", "YES", "HELP", "don't stop, this is great"];

/** One entry of a number's consent history. */
type Entry =
  | { kind: "stop"; at: number; seq: number }
  | { kind: "start"; at: number; seq: number }
  | { kind: "revoke"; purpose: string; at: number; seq: number }
  | { kind: "grant"; purpose: string; at: number; seq: number; person: Identity; ownAct: boolean; snapshot: boolean }
  | { kind: "confirm"; purpose: string; at: number; seq: number };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A purpose's state for a number. */
export type State =
  | { s: "none" }
  | { s: "granted" | "pending"; person: Identity }
  | { s: "revoked" }
  | { s: "stopped" }
  | { s: "unknown"; why: string };

/** A verdict on one gateway call. */
export type Verdict = { ok: true } | { ok: false; why: string } | { ok: "unknown"; why: string };

/** Which consent message a message is (by its template key), if any. */
export type MessageKind = "normal" | "consent_request" | "optin_confirmation" | "keyword_reply";

/** The words the model knows and what each one means. */
export function meaningOf(word: ReplyWord): "stop" | "start" | "yes" | "none" {
  if (word === "STOP" || word === "Stop." || word === "please stop texting me") return "stop";
  if (word === "START" || word === "UNSTOP") return "start";
  if (word === "YES") return "yes";
  return "none"; // HELP and ordinary text change no consent
}

/** The model's state: identities, numbers and their histories. */
export class Reference {
  /** anon identity → the user identity it merged into. */
  private readonly mergedInto = new Map<Identity, Identity>();
  /** A person's (root identity's) current number. */
  private readonly phoneOf = new Map<Identity, string | null>();
  /** The identity that owns a number (its alias), current or former number of that person. */
  private readonly ownerOf = new Map<string, Identity>();
  private readonly history = new Map<string, Entry[]>();
  private readonly suppressed = new Set<string>();
  private readonly erased = new Set<string>();
  /** Identities that can no longer be used (anonymous ids merged into an erased person). */
  readonly retired = new Set<Identity>();
  private seq = 0;
  /** How many contacts each number has made (a reply or one-off to a number nobody owned). */
  private readonly phoneContactsMade = new Map<string, number>();

  /** A copy to judge later steps against (the state before a step). */
  clone(): Reference {
    const r = new Reference();
    for (const [k, v] of this.mergedInto) r.mergedInto.set(k, v);
    for (const [k, v] of this.phoneOf) r.phoneOf.set(k, v);
    for (const [k, v] of this.ownerOf) r.ownerOf.set(k, v);
    for (const [k, v] of this.history) r.history.set(k, [...v]);
    for (const p of this.suppressed) r.suppressed.add(p);
    for (const p of this.erased) r.erased.add(p);
    for (const p of this.retired) r.retired.add(p);
    for (const [k, v] of this.phoneContactsMade) r.phoneContactsMade.set(k, v);
    r.seq = this.seq;
    return r;
  }

  /** The person an identity belongs to now (an anonymous id that merged answers with the user). */
  root(id: Identity): Identity {
    let r = id;
    for (let i = 0; i < 10 && this.mergedInto.has(r); i++) r = this.mergedInto.get(r)!;
    return r;
  }

  /** Whether two identities are the same person. */
  samePerson(a: Identity, b: Identity): boolean {
    return this.root(a) === this.root(b);
  }

  /** The person that owns `phone`, if any. */
  owner(phone: string): Identity | undefined {
    const o = this.ownerOf.get(phone);
    return o === undefined ? undefined : this.root(o);
  }

  /** The identity a number's alias should name (before following merges). */
  ownerIdentity(phone: string): Identity | undefined {
    return this.ownerOf.get(phone);
  }

  /** A person's current number. */
  phone(id: Identity): string | null {
    return this.phoneOf.get(this.root(id)) ?? null;
  }

  isErased(phone: string): boolean {
    return this.erased.has(phone);
  }

  isSuppressed(phone: string): boolean {
    return this.suppressed.has(phone);
  }

  /** Every number the model has seen. */
  numbers(): string[] {
    return [...new Set([...this.ownerOf.keys(), ...this.history.keys()])];
  }

  /** `identify` with any of userId, anonymousId and phone. Returns false when it must be refused (an erased number). */
  identify(user: Identity | undefined, anon: Identity | undefined, phone: string | undefined): boolean {
    if (phone && this.erased.has(phone)) return false;
    const target = user ?? this.root(anon!);
    if (user && anon) this.merge(anon, user);
    if (phone) this.claim(this.root(target), phone);
    return true;
  }

  /** A number texting in or a one-off send to a number: its owner, or a new contact that takes it. */
  contactFor(phone: string): Identity {
    const o = this.owner(phone);
    if (o) return o;
    // A number nobody owns makes a new contact each time (the one it made before gave it up).
    const n = this.phoneContactsMade.get(phone) ?? 0;
    this.phoneContactsMade.set(phone, n + 1);
    const id = n ? `phone:${phone}#${n}` : `phone:${phone}`;
    this.claim(id, phone);
    return id;
  }

  /** Merge an anonymous identity into a known one (only once; an anonymous id merged elsewhere stays there). */
  private merge(anon: Identity, user: Identity): void {
    if (this.mergedInto.has(anon)) return;
    const anonPhone = this.phoneOf.get(anon) ?? null;
    this.mergedInto.set(anon, user);
    const userPhone = this.phoneOf.get(user);
    if (!userPhone && anonPhone) this.phoneOf.set(user, anonPhone);
    // A known contact that has a number keeps it; the merged contact's number is left unowned.
    else if (anonPhone && anonPhone !== userPhone && this.ownerOf.get(anonPhone) === anon) this.ownerOf.delete(anonPhone);
    this.phoneOf.delete(anon);
  }

  private claim(person: Identity, phone: string): void {
    const prev = this.owner(phone);
    if (prev && prev !== person && this.phoneOf.get(prev) === phone) this.phoneOf.set(prev, null);
    // A contact that takes a new number gives its old one up: nobody owns it until someone claims it.
    const old = this.phoneOf.get(person);
    if (old && old !== phone && this.ownerOf.get(old) !== undefined && this.root(this.ownerOf.get(old)!) === person) this.ownerOf.delete(old);
    this.ownerOf.set(phone, person);
    this.phoneOf.set(person, phone);
  }

  private add(phone: string, e: DistributiveOmit<Entry, "seq">): void {
    const list = this.history.get(phone) ?? [];
    list.push({ ...e, seq: this.seq++ } as Entry);
    this.history.set(phone, list);
  }

  /**
   * A grant or revocation for a person (event, consent API), for the number they have now
   * (nothing when they have none). `ownAct`: carries proof of the person's act.
   */
  consent(id: Identity, c: { purpose: string; action: "grant" | "revoke"; at: number; ownAct: boolean; snapshot: boolean }): void {
    const person = this.root(id);
    const phone = this.phoneOf.get(person);
    if (!phone) return;
    if (c.action === "revoke") this.add(phone, { kind: "revoke", purpose: c.purpose, at: c.at });
    else this.add(phone, { kind: "grant", purpose: c.purpose, at: c.at, person, ownAct: c.ownAct, snapshot: c.snapshot });
  }

  /** A confirmation of a pending grant through the API. */
  confirm(id: Identity, purpose: string, at: number): void {
    const phone = this.phoneOf.get(this.root(id));
    if (phone && this.state(phone, purpose).s === "pending") this.add(phone, { kind: "confirm", purpose, at });
  }

  /** A reply from `phone`: it reaches the number's owner (or a new contact); keywords act on that number only. */
  reply(phone: string, word: ReplyWord, at: number): void {
    if (this.erased.has(phone)) return; // dropped
    this.contactFor(phone);
    const meaning = meaningOf(word);
    if (meaning === "stop") this.add(phone, { kind: "stop", at });
    else if (meaning === "start") this.add(phone, { kind: "start", at });
    else if (meaning === "yes") {
      const pending = PURPOSES.filter((p) => this.state(phone, p).s === "pending");
      if (pending.length) for (const p of pending) this.add(phone, { kind: "confirm", purpose: p, at });
      else if (this.state(phone, "transactional").s === "stopped") this.add(phone, { kind: "start", at });
    }
  }

  suppress(phone: string, on: boolean): void {
    if (on) this.suppressed.add(phone);
    else this.suppressed.delete(phone);
  }

  /** Erase a person: every number they still own is erased for good; the ids may come back empty. */
  erase(id: Identity): string[] {
    const person = this.root(id);
    const gone: string[] = [];
    for (const [phone, o] of this.ownerOf) {
      if (this.root(o) !== person) continue;
      this.erased.add(phone);
      this.ownerOf.delete(phone);
      gone.push(phone);
    }
    const current = this.phoneOf.get(person);
    if (current && !gone.includes(current)) {
      this.erased.add(current);
      gone.push(current);
    }
    for (const [anon, into] of [...this.mergedInto]) {
      if (this.root(into) === person) {
        this.retired.add(anon);
        this.mergedInto.delete(anon);
      }
    }
    this.phoneOf.delete(person);
    return gone;
  }

  /**
   * The state of `purpose` for `phone` as its owner stands: the history sorted by when each entry
   * happened. STOP, START and revocations are about the number; a grant counts only for the person
   * who gave it (a previous owner's grant is not the owner's consent).
   */
  state(phone: string, purpose: string): State {
    const owner = this.owner(phone);
    const entries = [...(this.history.get(phone) ?? [])]
      .filter((e) => e.kind !== "grant" || !owner || this.samePerson(e.person, owner))
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    let st: State = { s: "none" };
    let beforeStop: State | undefined;
    for (const e of entries) {
      if (e.kind === "stop") {
        if (st.s !== "stopped") beforeStop = st;
        st = { s: "stopped" };
      } else if (e.kind === "start") {
        if (st.s === "stopped") st = beforeStop ?? { s: "none" };
        beforeStop = undefined;
      } else if (e.purpose !== purpose) continue;
      else if (e.kind === "revoke") st = { s: "revoked" };
      else if (e.kind === "confirm") {
        if (st.s === "pending") st = { s: "granted", person: st.person };
      } else if (e.kind === "grant") {
        const next: State =
          st.s === "granted" || !DOUBLE_OPT_IN.includes(purpose)
            ? { s: "granted", person: e.person }
            : { s: "pending", person: e.person };
        if (st.s === "stopped") {
          // Only the person's own act undoes a STOP; an import or commerce snapshot never does.
          if (e.ownAct && !e.snapshot) st = next;
        } else if (st.s === "revoked" && e.snapshot) {
          st = { s: "unknown", why: `an import after a revocation of ${purpose}` };
        } else st = next;
      }
    }
    return st;
  }

  /** May a message of `purpose` (and kind) go to `phone` now? */
  verdict(phone: string, purpose: string | undefined, kind: MessageKind): Verdict {
    if (this.erased.has(phone)) return { ok: false, why: "erased" };
    if (this.suppressed.has(phone)) return { ok: false, why: "suppressed" };
    if (kind === "keyword_reply") return { ok: true };
    if (purpose === undefined) {
      // The message is gone (its contact was erased): only what blocks every purpose can be judged.
      return this.state(phone, "transactional").s === "stopped" ? { ok: false, why: "stopped" } : { ok: "unknown", why: "message not found" };
    }
    const st = this.state(phone, purpose);
    if (st.s === "stopped") return { ok: false, why: "stopped" };
    if (kind === "consent_request") return st.s === "pending" ? { ok: true } : { ok: "unknown", why: `request while ${st.s}` };
    if (kind === "optin_confirmation") return st.s === "granted" ? { ok: true } : { ok: "unknown", why: `confirmation while ${st.s}` };
    switch (st.s) {
      case "revoked":
        return { ok: false, why: `revoked:${purpose}` };
      case "pending":
        return { ok: false, why: `pending_consent:${purpose}` };
      case "unknown":
        return { ok: "unknown", why: st.why };
      case "granted":
        return { ok: true };
      default:
        return IMPLIED.includes(purpose) ? { ok: true } : { ok: false, why: `no_consent:${purpose}` };
    }
  }
}

/** A local legal window: [start, end) in minutes after local midnight. */
export interface Window {
  start: number;
  end: number;
}

/** The kinds of numbers the model uses, with the zones and windows the README says apply. */
export const NUMBER_KINDS = {
  /** San Francisco: US federal 08:00–21:00 (California adds nothing). */
  us_ca: { zones: ["America/Los_Angeles"], window: { start: 8 * 60, end: 21 * 60 } },
  /** Miami: Florida 08:00–20:00. */
  us_fl: { zones: ["America/New_York"], window: { start: 8 * 60, end: 20 * 60 } },
  /** An Australian mobile: not tied to a place, so every zone of the country (issue 20); default window. */
  au_mobile: {
    zones: ["Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"],
    window: { start: 9 * 60, end: 20 * 60 },
  },
  /** A UK mobile: every UK zone; default window. */
  uk_mobile: { zones: ["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"], window: { start: 9 * 60, end: 20 * 60 } },
} as const satisfies Record<string, { zones: readonly string[]; window: Window }>;

/** A kind of number. */
export type NumberKind = keyof typeof NUMBER_KINDS;

/** Minutes after local midnight of `at` in `zone`. */
export function localMinutes(at: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}

/** Zones of `kind` whose legal window is closed at `at` (empty: the call was inside every window). */
export function closedZones(kind: NumberKind, at: number): string[] {
  const { zones, window } = NUMBER_KINDS[kind];
  return zones.filter((z) => {
    const m = localMinutes(at, z);
    return m < window.start || m >= window.end;
  });
}
