/**
 * The operations of the model-based test as fast-check commands: each one acts on the real Worker,
 * updates the reference model the same way, lets the queues settle and checks the invariants.
 */
import { IDEMPOTENCY_TTL_MS } from "../../src/messages/idempotency";
import fc from "fast-check";
import { checkCalls, checkOwnership, checkSettled, type RunContext, type StepObservation, type Violation } from "./invariants";
import { NUMBER_KINDS, PURPOSES, REPLY_WORDS, Reference, type ReplyWord, localMinutes } from "./reference";
import { SLOT_KINDS, TEMPLATES, type TemplateKey, World } from "./world";

/** One operation, as generated (indexes into the run's people and numbers). */
export type Op =
  | { op: "identify"; user?: number; anon?: number; phone?: number; twice: boolean }
  | { op: "signup"; who: string; phone: number }
  | { op: "event"; who: string; name: "Subscribed" | "Unsubscribed"; purpose: string; proof: boolean; backdateMin: number; twice: boolean }
  | { op: "consent"; who: string; action: "grant" | "revoke"; purpose: string; source: "api" | "form" | "import" | "shopify"; proof: boolean; backdateMin: number }
  | { op: "confirm"; who: string }
  | { op: "reply"; phone: number; word: ReplyWord; twice: boolean }
  | { op: "suppress"; phone: number; on: boolean }
  | { op: "erase"; who: string }
  | { op: "send"; to?: number; who?: string; template: TemplateKey; key?: number; mode: "once" | "twice" | "lost" }
  | { op: "trigger"; who: string; event: "Model Cart" | "Model Order" | "Model Ticket" | "Model Digest" }
  | { op: "advance"; minutes?: number; edge?: { phone: number; zone: number; hour: number; offsetMin: number }; twice: boolean }
  | { op: "redeliver" };

/** A run: the model, the real world, and what the checks carry from step to step. */
export class Run implements RunContext {
  readonly model = new Reference();
  readonly world = new World();
  readonly callsById = new Map<string, number>();
  readonly oneOffTo = new Map<string, string>();
  /** Idempotency keys used: key → the request sent under it, and when (keys are kept 24 h). */
  readonly keys = new Map<string, { request: string; at: number }>();
  readonly trace: string[] = [];
  readonly violations: Array<Violation & { step: number }> = [];
  private readonly ids = new Map<string, string>();

  /** @param strict throw at the first violation it accepts (for shrinking) instead of collecting them. */
  constructor(readonly strict: false | ((v: Violation) => boolean)) {}

  /** Start the run at a fixed instant (so a replay meets the same hours): the pinned test clock plus `offsetMin`. */
  async start(offsetMin = 0): Promise<void> {
    await this.world.start(offsetMin);
    for (const who of ["user:0", "user:1", "anon:0", "anon:1"]) this.ids.set(who, (await this.world.contactId(who))!);
  }

  get lost(): ReadonlySet<string> {
    return this.world.lost;
  }

  kindOf(phone: string) {
    return this.world.kindOf(phone);
  }

  contactIdOf(identity: string): string | undefined {
    return this.ids.get(identity) ?? this.world.phoneContacts.get(identity.slice(6));
  }

  /** A contact the model made for a number (`phone:<n>#<k>`) is the one the number's alias names now. */
  async bindNumberContact(owner: string | undefined, phone: string): Promise<void> {
    if (!owner?.startsWith("phone:") || this.ids.has(owner)) return;
    const id = await this.world.alias(phone);
    if (id) this.ids.set(owner, id);
  }

  /** Record violations; in strict mode the first step with any throws (fast-check then shrinks). */
  report(found: Violation[], step: string): void {
    const seen = new Set(this.violations.map((v) => v.detail));
    const fresh = found.filter((v) => !seen.has(v.detail));
    for (const v of fresh) this.violations.push({ ...v, step: this.trace.length - 1 });
    const fatal = this.strict ? fresh.filter(this.strict) : [];
    if (fatal.length) {
      throw new Error(`invariant broken after step ${this.trace.length - 1} (${step}):\n${fatal.map((v) => `  [${v.invariant}] ${v.detail}`).join("\n")}`);
    }
  }

  /** A check of an API answer against the model's expectation. */
  expect(ok: boolean, invariant: string, detail: string): void {
    if (!ok) this.report([{ invariant, detail }], "api");
  }
}

const label = (op: Op): string => {
  const p = (i: number) => `P${i}(${SLOT_KINDS[i]})`;
  const { op: name, ...rest } = op;
  const parts = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (k === "phone" || k === "to" ? `${k}=${p(v as number)}` : v === true ? k : `${k}=${JSON.stringify(v)}`));
  return `${name}(${parts.join(", ")})`;
};

/** One step of a sequence. */
export class Step implements fc.AsyncCommand<Run, World> {
  constructor(readonly op: Op) {}

  check(run: Readonly<Run>): boolean {
    const who = "who" in this.op ? this.op.who : undefined;
    if (who && run.model.retired.has(who)) return false;
    if (this.op.op === "identify" && this.op.anon !== undefined && run.model.retired.has(`anon:${this.op.anon}`)) return false;
    return true;
  }

  async run(run: Run, world: World): Promise<void> {
    run.trace.push(this.toString());
    const before = run.model.clone();
    await act(run, world, this.op);
    await world.settle();
    const obs = await observe(run, world);
    if (obs.calls.length) run.trace[run.trace.length - 1] += `  → gateway: ${obs.calls.map((c) => `${c.id}→P${world.phones.indexOf(c.to)}`).join(", ")}`;
    run.report([...checkCalls(before, run.model, obs, run), ...checkSettled(obs, run), ...checkOwnership(run.model, obs, run)], this.toString());
  }

  toString(): string {
    return label(this.op);
  }
}

async function observe(run: Run, world: World): Promise<StepObservation> {
  const calls = await world.newCalls();
  const contacts = await Promise.all((await world.contactIds()).map((id) => world.observe(id)));
  const aliases = new Map<string, string | undefined>();
  for (const p of world.phones) aliases.set(p, await world.alias(p));
  void run;
  return { calls, contacts, aliases };
}

const PROOF = { text: "Yes, text me offers and news.", ip: "203.0.113.7", url: "https://shop.example/join" };

/** Do one operation on the Worker and the same on the model. */
async function act(run: Run, world: World, op: Op): Promise<void> {
  const m = run.model;
  const at = (backdateMin: number) => world.now() - backdateMin * 60_000;
  switch (op.op) {
    case "identify": {
      const phone = op.phone === undefined ? undefined : world.phones[op.phone]!;
      const status = await world.identify(op.user, op.anon, op.phone, op.twice);
      const accepted = m.identify(op.user === undefined ? undefined : `user:${op.user}`, op.anon === undefined ? undefined : `anon:${op.anon}`, phone);
      if (!accepted) run.expect(status === 400, "erasure", `identify with the erased number ${phone} answered ${status}, not 400`);
      return;
    }
    case "signup": {
      // A signup form: the number, then marketing consent with the text agreed to and the page.
      const [kind, i] = op.who.split(":");
      const phone = world.phones[op.phone]!;
      const status = await world.identify(kind === "user" ? Number(i) : undefined, kind === "anon" ? Number(i) : undefined, op.phone, false);
      if (!m.identify(kind === "user" ? op.who : undefined, kind === "anon" ? op.who : undefined, phone)) {
        run.expect(status === 400, "erasure", `identify with the erased number ${phone} answered ${status}, not 400`);
        return;
      }
      if ((await world.track(op.who, "Subscribed", { purpose: "marketing", ...PROOF }, undefined, false)) === 200) {
        m.consent(op.who, { purpose: "marketing", action: "grant", at: world.now(), ownAct: true, snapshot: false });
      }
      return;
    }
    case "event": {
      const when = op.backdateMin ? at(op.backdateMin) : undefined;
      const props = { purpose: op.purpose, ...(op.proof ? PROOF : {}) };
      const status = await world.track(op.who, op.name, props, when, op.twice);
      if (status === 200) {
        m.consent(op.who, { purpose: op.purpose, action: op.name === "Subscribed" ? "grant" : "revoke", at: when ?? world.now(), ownAct: op.proof, snapshot: false });
      }
      return;
    }
    case "consent": {
      const when = op.backdateMin ? at(op.backdateMin) : undefined;
      const body = {
        purpose: op.purpose, action: op.action, source: op.source,
        ...(op.proof ? { text: PROOF.text, proof: { ip: PROOF.ip, url: PROOF.url } } : {}),
        ...(when !== undefined ? { at: new Date(when).toISOString() } : {}),
      };
      const status = await world.consent(op.who, body);
      if (status === 200) {
        const snapshot = op.source === "import" || op.source === "shopify";
        m.consent(op.who, { purpose: op.purpose, action: op.action, at: when ?? world.now(), ownAct: op.proof && !snapshot, snapshot });
      }
      return;
    }
    case "confirm": {
      const status = await world.confirm(op.who, "news");
      if (status === 200) m.confirm(op.who, "news", world.now());
      return;
    }
    case "reply": {
      const phone = world.phones[op.phone]!;
      await world.reply(phone, op.word, op.twice);
      m.reply(phone, op.word, world.now());
      await run.bindNumberContact(m.ownerIdentity(phone), phone);
      return;
    }
    case "suppress": {
      const phone = world.phones[op.phone]!;
      await world.suppress(phone, op.on);
      m.suppress(phone, op.on);
      return;
    }
    case "erase": {
      if ((await world.erase(op.who)) === 200) m.erase(op.who);
      return;
    }
    case "send": {
      const to = op.to === undefined ? undefined : world.phones[op.to]!;
      const key = op.key === undefined ? undefined : `${world.tag}-k${op.key}`;
      const request = JSON.stringify({ to, who: op.who, template: op.template });
      const held = key ? run.keys.get(key) : undefined;
      const earlier = held && world.now() - held.at < IDEMPOTENCY_TTL_MS ? held.request : undefined;
      const r = await world.send(to ? { to } : { contact: op.who }, op.template, key, op.mode);
      if (earlier !== undefined && earlier !== request) {
        // Refused (422, or 404 for a contact that does not exist) is fine; accepted is a second send.
        run.expect(r.status !== 202, "3", `Idempotency-Key ${key} reused with a different request (${request}, first ${earlier}) was accepted (202), not refused with 422`);
        return;
      }
      if (to && m.isErased(to)) {
        run.expect(r.status === 400, "erasure", `a one-off to the erased number ${to} answered ${r.status}, not 400`);
        return;
      }
      if (r.status !== 202) return;
      if (key && earlier === undefined) run.keys.set(key, { request, at: world.now() });
      if (to) {
        await run.bindNumberContact(m.contactFor(to), to);
        if (r.messageId) run.oneOffTo.set(r.messageId, to);
      }
      return;
    }
    case "trigger": {
      await world.track(op.who, op.event, { value: 50 }, undefined, false);
      return;
    }
    case "advance": {
      let ms = (op.minutes ?? 0) * 60_000;
      if (op.edge) {
        const zones = NUMBER_KINDS[SLOT_KINDS[op.edge.phone]!].zones;
        const zone = zones[op.edge.zone % zones.length]!;
        const target = op.edge.hour * 60 + op.edge.offsetMin;
        const nowMs = world.now();
        const delta = (((target - localMinutes(nowMs, zone)) % 1440) + 1440) % 1440 || 1440;
        ms = delta * 60_000 - (nowMs % 60_000);
      }
      await world.advance(ms, op.twice);
      return;
    }
    case "redeliver": {
      const contacts = await Promise.all((await world.contactIds()).map((id) => world.observe(id)));
      const jobs = contacts
        .flatMap((c) => c.messages.map((msg) => ({ contactId: c.id, messageId: msg.id, at: msg.updated_at })))
        .sort((a, b) => b.at - a.at)
        .slice(0, 6);
      await world.redeliver(jobs);
      return;
    }
  }
}

const idx2 = fc.integer({ min: 0, max: 1 });
const phoneIdx = fc.integer({ min: 0, max: SLOT_KINDS.length - 1 });
const who = fc.oneof(idx2.map((i) => `user:${i}`), idx2.map((i) => `anon:${i}`));
const templates = Object.keys(TEMPLATES) as TemplateKey[];

const identify = fc
    .record({ user: fc.option(idx2, { nil: undefined }), anon: fc.option(idx2, { nil: undefined }), phone: fc.option(phoneIdx, { nil: undefined, freq: 2 }), twice: fc.boolean() })
    .filter((o) => o.user !== undefined || o.anon !== undefined)
    .map((o) => new Step({ op: "identify", ...o }));
const event = fc
    .record({
      who, name: fc.constantFrom("Subscribed" as const, "Unsubscribed" as const), purpose: fc.constantFrom("marketing", "marketing", "news", "service"),
      proof: fc.boolean(), backdateMin: fc.constantFrom(0, 0, 0, 90), twice: fc.boolean(),
    })
    .map((o) => new Step({ op: "event", ...o }));

const signup = fc.record({ who, phone: phoneIdx }).map((o) => new Step({ op: "signup", ...o }));

/** Every operation, weighted by how often a sequence should meet it (identity, consent, sends and time most). */
export const OPERATIONS: Array<fc.Arbitrary<Step>> = [
  identify,
  identify,
  identify,
  signup,
  signup,
  signup,
  event,
  event,
  fc
    .record({
      who, action: fc.constantFrom("grant" as const, "revoke" as const), purpose: fc.constantFrom(...PURPOSES),
      source: fc.constantFrom("api" as const, "form" as const, "import" as const, "shopify" as const), proof: fc.boolean(), backdateMin: fc.constantFrom(0, 0, 90),
    })
    .map((o) => new Step({ op: "consent", ...o })),
  who.map((w) => new Step({ op: "confirm", who: w })),
  fc.record({ phone: phoneIdx, word: fc.constantFrom(...REPLY_WORDS), twice: fc.boolean() }).map((o) => new Step({ op: "reply", ...o })),
  fc.record({ phone: phoneIdx, word: fc.constantFrom<ReplyWord>("STOP", "START", "YES"), twice: fc.constant(false) }).map((o) => new Step({ op: "reply", ...o })),
  fc.record({ phone: phoneIdx, on: fc.boolean() }).map((o) => new Step({ op: "suppress", ...o })),
  who.map((w) => new Step({ op: "erase", who: w })),
  ...[1, 2, 3].map(() =>
    fc
    .record({
      target: fc.oneof(phoneIdx.map((to) => ({ to })), who.map((w) => ({ who: w }))), template: fc.constantFrom(...templates),
      key: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }), mode: fc.constantFrom("once" as const, "once" as const, "twice" as const, "lost" as const),
    })
    .map(({ target, ...o }) => new Step({ op: "send", ...target, ...o }))),
  ...[1, 2, 3].map(() => fc.record({ who, event: fc.constantFrom("Model Cart" as const, "Model Cart" as const, "Model Order" as const, "Model Ticket" as const, "Model Digest" as const) }).map((o) => new Step({ op: "trigger", ...o }))),
  fc.record({ minutes: fc.constantFrom(1, 2, 30, 61, 6 * 60, 24 * 60), twice: fc.boolean() }).map((o) => new Step({ op: "advance", ...o })),
  fc.record({ minutes: fc.constantFrom(61, 6 * 60), twice: fc.boolean() }).map((o) => new Step({ op: "advance", ...o })),
  fc
    .record({
      edge: fc.record({ phone: phoneIdx, zone: fc.nat({ max: 7 }), hour: fc.constantFrom(8, 9, 20, 21), offsetMin: fc.constantFrom(-1, 0, 1) }),
      twice: fc.boolean(),
    })
    .map((o) => new Step({ op: "advance", ...o })),
  fc.constant(new Step({ op: "redeliver" })),
];
