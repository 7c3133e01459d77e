/**
 * ContactDO: one per person, the only writer of that contact's state. Each RPC method finds where
 * the call belongs (the contact this one merged into, or a number's owner), then does its work in
 * one `transactionSync` through a module named for it, then flushes the outbox and re-arms the alarm.
 */
import { DurableObject } from "cloudflare:workers";
import type { IngestCall } from "../events/schema";
import { type TaskRow, moveTask } from "../tasks/tasks";
import { type InboundSms, type ReceiveResult, receive } from "../conversation/inbound";
import { refreshAbsenceTimers } from "../flows/runner";
import { linkOpened, type LinkHit } from "../links/clicks";
import { type OneOffResult, sendOneOff } from "../messages/one-off";
import { getConfig, getTemplateVersion } from "../settings/config";
import { claimPhone } from "./identity";
import { isErased } from "../privacy/erased";
import { type HandOver, absorb, handOver } from "./merge";
import { type NumberClaim, type NumberHistory, NO_HISTORY, loseNumber, noteLost, numberHistory, numbersHeld, setSuppressed } from "./numbers";
import { type ConsentChange, type ConsentOutcome, changeConsent, stopAll } from "../consent/actions";
import { setFlag } from "../rules/flags";
import { cancelMessage, setStage } from "./session";
import { type BroadcastEntry, type EntryResult, enterBroadcast } from "../broadcasts/entry";
import { ContactStore } from "./store";
import { runDueTimers, timersDue } from "./timers";
import { elsewhere, leaveNumbers, mergeNumber, passOn } from "./routing";
import { ContactWork } from "./unit-of-work";
import { importRecords, ingestCall, numberToClaim, numbersToClaim, refusedTraits } from "./ingest-call";
import type { ImportRecord } from "./import";
import { type Receipt, deadLettered, dispatchAnswered, prepareDispatch, receiptArrived } from "../gateway/dispatch-state";
import type { DispatchResult, Prepared } from "../gateway/types";
import type { ContactView, Hop, JsonBag, OneOff, TimelineItem, TraitsRefusal } from "./rpc-types";
import { contactView, exportRows, timelinePage } from "./views";
import { type ContactPruneResult, pruneContact, pruneDue } from "../retention/contact-prune";
import { now } from "../clock";

/** One contact's lifecycle state: profile, stage, events, flow runs, messages, decisions and timers. */
export class ContactDO extends DurableObject<Env> {
  private readonly store: ContactStore;
  private readonly work: ContactWork;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // One transaction for the schema: one commit instead of one per statement when a contact is new.
    this.store = ctx.storage.transactionSync(() => new ContactStore(ctx.storage.sql));
    this.work = new ContactWork(ctx, env, this.store);
  }

  /** Record an identify or track call (deduped on messageId) and run what it triggers; an identify over the traits cap is refused whole. */
  async ingest(contactId: string, call: IngestCall, configVersion?: number): Promise<{ contactId: string; duplicate: boolean; refused?: TraitsRefusal }> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).ingest(c.merged_into, call, configVersion);
    // Checked before anything is written or claimed, so a refused call does not even create the contact.
    const early = refusedTraits(c, call);
    if (early) return { contactId, duplicate: false, refused: early };
    const since = this.work.epoch;
    // A new number is claimed at its alias first, and only by a call not seen before: a redelivered identify claims nothing.
    const phone = numberToClaim(this.store, call, c?.phone);
    const claim = phone ? await claimPhone(this.env, contactId, phone) : undefined;
    const out = await this.work.run(configVersion, contactId, (s) => ingestCall(s, call, claim), { since });
    await leaveNumbers(this.env, this.store, [c?.phone, claim?.phone]);
    return { contactId, ...out };
  }

  /** Whether this contact (or the one it merged into) would refuse an identify's traits: asked before a contact is merged for it. */
  async traitsRefusal(call: IngestCall): Promise<TraitsRefusal | undefined> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).traitsRefusal(call);
    return refusedTraits(c, call);
  }

  /** Send one message now (a code, a confirmation). The same idempotency key returns the first answer. */
  async sendOne(contactId: string, req: OneOff, configVersion?: number): Promise<OneOffResult> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).sendOne(into, req, configVersion);
    return this.work.run(configVersion, contactId, (s) => sendOneOff(s, req));
  }

  /** The consumer is about to call the gateway `via`: re-check, render and mark `dispatching` after the last await (../gateway/dispatch-state.ts). */
  async prepareSend(messageId: string, via?: string): Promise<Prepared> {
    const since = this.work.epoch;
    const contact = this.store.contact();
    const pinned = this.store.first<{ template_key: string; template_version: number | null }>("SELECT template_key, template_version FROM messages WHERE id = ?", messageId);
    if (!contact || !pinned) return { action: "drop", status: "unknown" };
    // Awaits first (an older template version is a D1 read); the status is read only after them.
    const config = await this.work.config();
    const tpl = pinned.template_version == null ? undefined : await getTemplateVersion(this.env.DB, config, pinned.template_key, pinned.template_version);
    return this.work.run(config.version, contact.id, (s) => prepareDispatch(s, messageId, via, tpl), { since });
  }

  /** What the gateway answered (or what reconciliation found). A provider opt-out for a number this contact does not have goes to its owner. */
  async recordDispatch(messageId: string, result: DispatchResult): Promise<string> {
    const c = this.store.contact();
    if (!c) return "unknown";
    const { status, stoppedElsewhere } = await this.work.run(undefined, c.id, (s) => dispatchAnswered(s, messageId, result));
    if (stoppedElsewhere) await this.numberStopped(stoppedElsewhere, `provider:${result.errorCode}`, `${result.gateway}:${messageId}`);
    return status;
  }

  /** The provider said the person at `phone` opted out (21610): a STOP for that number, at whichever contact has it. */
  async numberStopped(phone: string, source: string, ref: string, hop: Hop = {}): Promise<void> {
    // An erased number is suppressed for good and never stored again: no contact is made for it.
    if (this.store.contact()?.phone !== phone && (await isErased(this.env, phone))) return;
    const there = await elsewhere(this.env, this.store, phone, hop, true);
    if (there) return this.env.CONTACT.getByName(there).numberStopped(phone, source, ref, passOn(this.store, hop));
    const c = this.store.contact();
    if (c) await this.work.run(undefined, c.id, (s) => stopAll(s, source, ref));
  }

  /** A delivery receipt from the provider: statuses only move forward; a final one becomes `Message Delivered` or `Message Failed`. */
  async recordReceipt(messageId: string, r: Receipt): Promise<string> {
    const c = this.store.contact();
    return c ? this.work.run(undefined, c.id, (s) => receiptArrived(s, messageId, r)) : "unknown";
  }

  /** The send queue gave up on a message (dead-letter queue): failed, or reconciled when its attempt may have reached the gateway. */
  async recordDeadLetter(messageId: string, why: string): Promise<void> {
    const c = this.store.contact();
    if (c) await this.work.run(undefined, c.id, (s) => deadLettered(s, messageId, why));
  }

  /** Another contact claimed `phone` at alias version `version`: this contact no longer has it (a merged contact's row stays as history). */
  async releasePhone(phone: string, version: number): Promise<void> {
    const c = this.store.contact();
    if (!c || c.merged_into || c.phone !== phone) this.ctx.storage.transactionSync(() => noteLost(this.store, phone, version));
    else await this.work.run(undefined, c.id, (s) => loseNumber(s, phone, version));
  }

  /** What this contact recorded about `phone` that stays with the number (for the contact that claims it next). */
  async numberHistory(phone: string): Promise<NumberHistory> {
    const c = this.store.contact();
    return c ? numberHistory({ store: this.store, config: await this.work.config(), flows: new Map(), contact: c }, phone) : NO_HISTORY;
  }

  /** Set the stage through the API. */
  async putStage(contactId: string, stage: string, reason: string): Promise<boolean> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).putStage(into, stage, reason);
    return this.work.run(undefined, contactId, (s) => {
      const moved = setStage(s, stage, reason);
      refreshAbsenceTimers(s);
      return moved;
    });
  }

  /** Merge the contact `fromId` into this one (./merge.ts): everything that belongs to the person (idempotent). */
  async absorb(contactId: string, fromId: string): Promise<void> {
    if (fromId === contactId || this.store.first("SELECT 1 FROM seen WHERE key = ?", `absorbed:${fromId}`)) return;
    const since = this.work.epoch;
    const dump = await this.env.CONTACT.getByName(fromId).handOver(fromId, contactId);
    if (!dump) return;
    const claim = await mergeNumber(this.env, contactId, fromId, this.store.contact()?.phone, dump.contact.phone);
    await this.work.run(undefined, contactId, (s) => absorb(s, dump, fromId, claim), { since, runs: dump.runs });
    await leaveNumbers(this.env, this.store, [claim?.phone]);
  }

  /** Hand this contact over to `intoId`: it forwards from now on and gives what belongs to the person. */
  async handOver(fromId: string, intoId: string): Promise<HandOver | undefined> {
    const c = this.store.contact();
    if (c?.merged_into && c.merged_into !== intoId) return undefined;
    // Even a contact with no history yet forwards from now on, so later anonymous calls reach the known one.
    return this.work.run(undefined, fromId, (s) => handOver(s, intoId));
  }

  /** Grant, confirm or revoke consent (API, import); returns the purpose's state afterwards and whether the change took effect. */
  async consent(contactId: string, change: ConsentChange): Promise<ConsentOutcome> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).consent(into, change);
    return this.work.run(undefined, contactId, (s) => changeConsent(s, change));
  }

  /** Set or clear a flag through the API. */
  async flag(contactId: string, name: string, on: boolean, source: string): Promise<boolean> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).flag(into, name, on, source);
    return this.work.run(undefined, contactId, (s) => setFlag(s, name, on, source));
  }

  /** The contact's number was added to or removed from the suppression list (passed on to the number's owner). */
  async suppress(phone: string, on: boolean, hop: Hop = {}): Promise<void> {
    const there = await elsewhere(this.env, this.store, phone, hop, false);
    if (there) return this.env.CONTACT.getByName(there).suppress(phone, on, passOn(this.store, hop));
    const c = this.store.contact();
    if (c?.phone === phone && (c.suppressed === 1) !== on) await this.work.run(undefined, c.id, (s) => setSuppressed(s, on));
  }

  /** Apply import rows in order (./ingest-call.ts): how many were new, and the rows refused for passing the traits cap. */
  async importRows(contactId: string, rows: ImportRecord[], configVersion?: number): Promise<{ applied: number; refused: Array<{ line: number } & TraitsRefusal> }> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).importRows(c.merged_into, rows, configVersion);
    const since = this.work.epoch;
    // Numbers of rows not imported before are claimed first (a re-imported row claims nothing).
    const claims = new Map<string, NumberClaim>();
    for (const p of numbersToClaim(this.store, rows, c?.phone)) claims.set(p, await claimPhone(this.env, contactId, p));
    const out = await this.work.run(configVersion, contactId, (s) => importRecords(s, rows, claims), { since });
    await leaveNumbers(this.env, this.store, [c?.phone, ...claims.keys()]);
    return out;
  }

  /** Everything that happened to the contact, newest first (./views.ts); the cursor is (at, rank, id) of the last item. */
  async timeline(limit: number, before?: [number, number, string]): Promise<{ items: TimelineItem[]; next: string | null }> {
    return timelinePage(this.store, () => this.work.config(), limit, before);
  }

  /** Someone opened a short link of this contact's message: a person's click becomes `Link Clicked`; previews are only recorded. */
  async recordClick(hit: LinkHit): Promise<"click" | "preview"> {
    const c = this.store.contact();
    return c ? this.work.run(undefined, c.id, (s) => linkOpened(s, hit)) : "preview";
  }

  /** A broadcast reaching this contact through the fan-out, or a dry run of it (nothing stored). */
  async broadcast(contactId: string, entry: BroadcastEntry, configVersion?: number): Promise<EntryResult> {
    const c = this.store.contact();
    if (!c || c.merged_into) return { outcome: "excluded", reason: "unknown_contact" };
    return this.work.run(configVersion, contactId, (s) => enterBroadcast(s, entry));
  }

  /** Stop a message of a cancelled broadcast that has not reached the gateway. */
  async cancelMessage(messageId: string, detail: string): Promise<boolean> {
    const c = this.store.contact();
    return c ? this.work.run(undefined, c.id, (s) => cancelMessage(s, messageId, detail)) : false;
  }

  /** A reply: keywords, `SMS Received` for flows, the text to answer with. A reply from a number this contact does not have goes to the number's owner. */
  async receive(contactId: string, sms: InboundSms, hop: Hop = {}): Promise<ReceiveResult> {
    const since = this.work.epoch;
    const there = await elsewhere(this.env, this.store, sms.from, hop, true);
    if (there) return this.env.CONTACT.getByName(there).receive(there, sms, passOn(this.store, hop));
    return this.work.run(undefined, contactId, (s) => receive(s, sms), { since });
  }

  /** Acknowledge or close one of this contact's tasks. */
  async moveTask(contactId: string, id: string, to: "acknowledged" | "done"): Promise<TaskRow | undefined> {
    return this.store.contact() ? this.work.run(undefined, contactId, (s) => moveTask(s, id, to)) : undefined;
  }

  /** This contact's id, or the id of the contact it was merged into. */
  async resolve(): Promise<string | undefined> {
    const c = this.store.contact();
    return c ? (c.merged_into ?? c.id) : undefined;
  }

  /** How many of this contact's messages are still on their way to the gateway. */
  async pendingSends(): Promise<number> {
    return this.store.first<{ n: number }>("SELECT count(*) AS n FROM messages WHERE status IN ('pending', 'queued', 'dispatching')")!.n;
  }

  /** The contact as the API shows it: state, pending timers, recent events, runs and decisions. */
  async view(): Promise<ContactView | undefined> {
    return this.store.contact() ? contactView(this.store, await this.work.config()) : undefined;
  }

  /** Everything this contact's Durable Object holds, every row of every table (personal-data export). */
  async exportData(): Promise<Record<string, JsonBag[]> | undefined> {
    return this.store.contact() ? exportRows(this.store) : undefined;
  }

  /** Erasure, first step (re-runnable): suppressed at once, queued records sent; every number it holds or held. Storage stays until `erase()`. */
  async beginErasure(): Promise<{ contactId: string; phone: string | null; phones: string[] } | undefined> {
    const c = this.store.contact();
    if (!c) return undefined;
    // No projection record: the contact's D1 row is about to go.
    this.ctx.storage.transactionSync(() => this.store.run("UPDATE contact SET suppressed = 1"));
    await this.work.outbox.flush();
    return { contactId: c.id, phone: c.phone, phones: numbersHeld(this.store) };
  }

  /** Erasure, last step: once the erased numbers are on the suppression list, the storage and alarm are deleted. */
  async erase(): Promise<void> {
    // A call still in flight from before (awaiting its config, say) finds the contact gone and may not create it again.
    await this.work.erase();
  }

  /** Prune this contact's tables past retention (src/retention/contact-prune.ts): on its alarm, and by the daily sweep. */
  async prune(): Promise<ContactPruneResult | undefined> {
    if (!this.store.contact()) return undefined;
    const { settings } = await getConfig(this.env.DB);
    return this.ctx.storage.transactionSync(() => pruneContact(this.store, settings, now()));
  }

  /** Run every due timer, each in the transaction of its effect (./timers.ts), then re-arm. */
  override async alarm(): Promise<void> {
    this.work.alarm.forget(); // a fired alarm is no longer set
    const contact = this.store.contact();
    // A merged contact's runs and timers travelled to the contact it merged into.
    if (!contact || contact.merged_into) return;
    try {
      await (timersDue(this.store) ? this.work.run(undefined, contact.id, runDueTimers) : this.work.outbox.flush());
      if (pruneDue(this.store, now())) await this.prune();
    } finally {
      await this.work.alarm.arm();
    }
  }
}
