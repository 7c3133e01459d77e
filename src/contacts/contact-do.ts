/**
 * ContactDO: one per person, the only writer of that contact's state. RPC methods do their work in
 * one `transactionSync`, then flush the outbox (queue sends) and re-arm the single alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { now, realNow, realTimeAt } from "../clock";
import type { IngestCall } from "../events/schema";
import type { ImportRecord } from "./import";
import { dormantElapsed } from "../stages/rules";
import { type TaskRow, moveTask, slaElapsed } from "../tasks/tasks";
import { type InboundSms, type ReceiveResult, receive } from "../conversation/inbound";
import { absenceElapsed, maxSeq, onEvent, refreshAbsenceTimers, retimeTraitWaits, wake } from "../flows/runner";
import { composeMessage } from "../templates/compose";
import { DELIVERY_PREVIEW_MS } from "../links/bots";
import { rewriteLinks } from "../links/rewrite";
import { parseDuration } from "../duration";
import { type CompiledFlow, type Config, getConfig, getFlowVersion, getTemplateVersion } from "../settings/config";
import { stagesOf } from "../settings/schema";
import { claimPhone, contactForPhone, leaveNumber, lookupAlias } from "./identity";
import { isErased } from "../privacy/erased";
import { type HandOver, absorb, handOver } from "./merge";
import { type NumberClaim, type NumberHistory, NO_HISTORY, loseNumber, noteLost, numberHistory, takeNumber } from "./numbers";
import { type ConsentChange, type ConsentOutcome, changeConsent, stopAll } from "../consent/actions";
import { type ConsentRow, type ConsentState, SOURCE, consentHistory, consentSummary, ledgerEffects } from "../consent/ledger";
import { consentMessage as consentText } from "../consent/settings";
import { applyFlagEvents, flagsOf, setFlag } from "../rules/flags";
import { segmentInfo } from "../templates/segments";
import { isValidTimeZone } from "../time/zoned";
import { type Session, cancelMessage, consentMessageKind, createMessage, gateMessage, setStage } from "./session";
import { type BroadcastEntry, type EntryResult, enterBroadcast } from "../broadcasts/entry";
import { flushOutbox, outboxView } from "./outbox";
import { type ContactRow, ContactStore, EVENT_LOG_LIMIT, type EventRow, type MessageRow, type RunRow, type TimerRow } from "./store";
import type { Decision } from "../gate/decision";
import { type DispatchResult, DISPATCH_TIMEOUT_MS, type Prepared, type PreparedLink, RECONCILE_RETRY_MS } from "../gateway/types";
import type { ContactView, Hop, JsonBag, OneOff, TimelineItem, TraitsRefusal } from "./rpc-types";
import { contactView, exportRows, timelinePage } from "./views";
import { TRAITS_BYTES, fillWithin, jsonBytes, kb, traitsRefusal, utf8Bytes } from "../size-limits";

/** One contact's lifecycle state: profile, stage, events, flow runs, messages, decisions and timers. */
export class ContactDO extends DurableObject<Env> {
  private readonly store: ContactStore;
  private flushing: Promise<void> | undefined;
  /** What the alarm is set to, as far as this instance knows (undefined: unknown). */
  private armedAt: number | null | undefined;
  /** Flow versions an absorbed contact's runs need, loaded before the merge transaction. */
  private readonly preloaded = new Map<string, CompiledFlow>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // One transaction for the schema: one commit instead of one per statement when a contact is new.
    this.store = ctx.storage.transactionSync(() => new ContactStore(ctx.storage.sql));
  }

  /**
   * Record an identify or track call (deduped on messageId) and run what it triggers. An identify
   * that would take the traits over their cap is refused and stores nothing.
   */
  async ingest(contactId: string, call: IngestCall, configVersion?: number): Promise<{ contactId: string; duplicate: boolean; refused?: TraitsRefusal }> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).ingest(c.merged_into, call, configVersion);
    // Checked before anything is written or claimed, so a refused call does not even create the contact.
    const early = refusedTraits(c, call);
    if (early) return { contactId, duplicate: false, refused: early };
    const config = await getConfig(this.env.DB, configVersion);
    let refused: TraitsRefusal | undefined;
    // A new number is claimed at its alias first, and only by a call not seen before: a redelivered identify claims nothing.
    const claim = call.type === "identify" && call.phone && call.phone !== c?.phone && !this.store.first("SELECT 1 FROM events WHERE message_id = ?", call.messageId)
      ? await claimPhone(this.env, contactId, call.phone)
      : undefined;
    const duplicate = await this.work(config, contactId, (s) => {
      const at = Math.min(call.at ?? now(), now());
      if (s.store.first("SELECT 1 FROM events WHERE message_id = ?", call.messageId)) return true;
      // Again inside the transaction: another identify may have landed while the config loaded.
      refused = refusedTraits(s.contact, call);
      if (refused) return false;
      s.store.run(
        "INSERT INTO events (message_id, type, name, properties, at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        call.messageId, call.type, call.event ?? null, JSON.stringify(call.properties), at, now(),
      );
      if (call.type === "identify") identify(s, call, claim);
      else if (call.event) {
        noteTimeZone(s, call);
        applyFlagEvents(s, call.event);
        consentEvent(s, call.event, call.properties, call.messageId, at);
        onEvent(s, { seq: maxSeq(s), name: call.event, properties: call.properties, at });
      } else refreshAbsenceTimers(s);
      s.store.run("DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?", EVENT_LOG_LIMIT);
      return false;
    });
    await this.leaveNumbers([c?.phone, claim?.phone]);
    return refused ? { contactId, duplicate, refused } : { contactId, duplicate };
  }

  /** Whether this contact (or the one it merged into) would refuse an identify's traits: asked before a contact is merged for it. */
  async traitsRefusal(call: IngestCall): Promise<TraitsRefusal | undefined> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).traitsRefusal(call);
    return refusedTraits(c, call);
  }

  /** Send one message now (a code, a confirmation). The same idempotency key returns the first answer. */
  async sendOne(contactId: string, req: OneOff, configVersion?: number): Promise<{ conflict: boolean; message: MessageRow; decision?: Decision; replayed: boolean }> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).sendOne(into, req, configVersion);
    const config = await getConfig(this.env.DB, configVersion);
    return this.work(config, contactId, (s) => {
      const idemKey = req.idempotencyKey ? `api:${req.idempotencyKey}` : `api:${crypto.randomUUID()}`;
      const prior = s.store.first<MessageRow>("SELECT * FROM messages WHERE idem_key = ?", idemKey);
      if (prior) {
        const decision = s.store.first<Decision>("SELECT outcome, reason, until, detail FROM decisions WHERE message_id = ? ORDER BY at LIMIT 1", prior.id);
        return { conflict: prior.fingerprint !== req.fingerprint, message: prior, decision, replayed: true };
      }
      const { message, decision } = createMessage(s, { ...req, idemKey, flowKey: undefined });
      return { conflict: false, message: s.store.message(message.id)!, decision, replayed: false };
    });
  }

  /**
   * The consumer is about to call the gateway `via` ("<gateway>" or "<gateway>:<sender id>"): re-check
   * the gate, render the body and mark the message `dispatching`, recording `via` on it. Every check
   * and the mark happen in one transaction after the last await, so two deliveries of one job cannot
   * both be handed the message, and a STOP, suppression or quiet hours that arrived meanwhile wins.
   * A message already past `queued` is never handed out again: a lost attempt is reconciled with the
   * gateway that made it.
   */
  async prepareSend(messageId: string, via?: string): Promise<Prepared> {
    const config = await getConfig(this.env.DB);
    const contact = this.store.contact();
    const pinned = this.store.first<Pick<MessageRow, "template_key" | "template_version">>("SELECT template_key, template_version FROM messages WHERE id = ?", messageId);
    if (!contact || !pinned) return { action: "drop", status: "unknown" };
    // Awaits first (an older template version is a D1 read); the status is read only after them.
    const tpl = pinned.template_version == null ? undefined : await getTemplateVersion(this.env.DB, config, pinned.template_key, pinned.template_version);
    return this.work(config, contact.id, (s): Prepared => {
      const m = s.store.message(messageId);
      if (!m) return { action: "drop", status: "unknown" };
      if (m.status === "dispatching" && now() - m.updated_at < DISPATCH_TIMEOUT_MS) {
        // Another delivery of this queue message is sending it right now.
        return { action: "later", delaySeconds: Math.ceil(DISPATCH_TIMEOUT_MS / 1000) };
      }
      if (m.status === "dispatching" || m.status === "dispatch_unknown") {
        // A previous attempt may have reached the gateway: never a blind resend.
        const since = s.store.first<{ at: number }>("SELECT at FROM seen WHERE key = ?", `dispatched:${messageId}`)?.at ?? m.updated_at;
        if (m.status === "dispatching") s.store.touchMessage(messageId, { status: "dispatch_unknown" });
        return { action: "reconcile", messageId, to: m.to ?? s.contact.phone ?? "", body: m.body ?? "", since, gateway: m.gateway };
      }
      if (m.status !== "queued") return { action: "drop", status: m.status, reason: m.reason ?? undefined };
      const decision = gateMessage(s, messageId, "send");
      const system = consentMessageKind(m.template_key);
      if (decision.outcome !== "sent" || (!tpl && !system)) return { action: "drop", status: decision.outcome, reason: decision.reason };
      // Links are shortened before counting segments: the count is of the text actually sent.
      const codes: Record<string, string> = m.links ? JSON.parse(m.links) : {};
      const shorten = (body: string) =>
        rewriteLinks(body, s.config.settings.links, { campaign: m.flow_key ?? "api", content: m.template_key }, codes);
      const systemBody = system === "keyword_reply" ? String(JSON.parse(m.properties).body ?? "") : system ? consentText(system, s.config.settings.brand.name, s.config.settings.consent) : "";
      const text = system
        ? { ...segmentInfo(systemBody), body: systemBody, links: [] }
        : composeMessage(tpl!, { traits: JSON.parse(s.contact.traits), properties: JSON.parse(m.properties), brand: s.config.settings.brand }, s.config.settings, shorten);
      const row = s.store.touchMessage(messageId, {
        status: "dispatching", to: s.contact.phone, body: text.body, segments: text.segments, encoding: text.encoding, attempts: m.attempts + 1,
        links: JSON.stringify(codes), ...(via ? { gateway: via } : {}),
      });
      // When this attempt started: a reconciliation looks for it at the gateway from then on.
      s.store.run("INSERT OR REPLACE INTO seen (key, at) VALUES (?, ?)", `dispatched:${messageId}`, now());
      const ttl = parseDuration(s.config.settings.links.ttl)!;
      const links = text.links.map((l) => ({
        code: l.code, url: l.url, messageId, contactId: s.contact.id, templateKey: m.template_key, flowKey: m.flow_key, expiresAt: now() + ttl,
      }));
      return { action: "send", messageId, to: row.to!, body: text.body, expiresAt: m.expires_at, purpose: m.purpose, attempt: row.attempts, links };
    });
  }

  /** What the gateway answered (or what reconciliation found). */
  async recordDispatch(messageId: string, result: DispatchResult): Promise<string> {
    const config = await getConfig(this.env.DB);
    const contact = this.store.contact()!;
    let stoppedElsewhere: string | undefined;
    const status = await this.work(config, contact.id, (s) => {
      const m = s.store.message(messageId);
      if (!m || (m.status !== "dispatching" && m.status !== "dispatch_unknown")) return m?.status ?? "unknown";
      // The attempt is settled: its start is no longer needed (the next attempt records its own).
      s.store.run("DELETE FROM seen WHERE key = ?", `dispatched:${messageId}`);
      if (!result.ok && result.transient) {
        // Not sent: it may go again, and the consumer retries the queue message.
        s.store.touchMessage(messageId, { status: "queued", gateway: result.gateway, error_code: result.errorCode ?? null, error_message: result.errorMessage ?? null });
        return "queued";
      }
      if (!result.ok) {
        s.store.touchMessage(messageId, { status: "failed", gateway: result.gateway, error_code: result.errorCode, error_message: result.errorMessage });
        noteDelivery(s, m, "failed");
        // The provider's word about the number outlives this message; an opt-out is about the number it went to, and reaches whoever has it now.
        if (result.effect === "stopped" && m.to && (m.to !== s.contact.phone || s.contact.merged_into)) stoppedElsewhere = m.to;
        else if (result.effect === "stopped") stopAll(s, `provider:${result.errorCode}`, `${result.gateway}:${messageId}`, m.to ?? s.contact.phone);
        if (result.effect === "undeliverable" && m.to) {
          s.store.run("UPDATE contact SET undeliverable = ?", m.to);
          s.contact = s.store.contact()!;
          s.store.touchContact();
        }
        return "failed";
      }
      s.store.touchMessage(messageId, {
        status: result.status, gateway: result.gateway, provider_id: result.providerId, sent_at: result.at,
        delivered_at: result.status === "delivered" ? result.at : null,
        error_code: result.errorCode ?? null, error_message: result.errorMessage ?? null,
      });
      if (result.status !== "sent") noteDelivery(s, m, result.status);
      return result.status;
    });
    if (stoppedElsewhere && !result.ok) await this.numberStopped(stoppedElsewhere, `provider:${result.errorCode}`, `${result.gateway}:${messageId}`);
    return status;
  }

  /** The provider said the person at `phone` opted out (21610): a STOP for that number, at whichever contact has it. */
  async numberStopped(phone: string, source: string, ref: string, hop: Hop = {}): Promise<void> {
    // An erased number is suppressed for good and never stored again: no contact is made for it.
    if (this.store.contact()?.phone !== phone && (await isErased(this.env, phone))) return;
    const there = await this.elsewhere(phone, hop, true);
    if (there) return this.env.CONTACT.getByName(there).numberStopped(phone, source, ref, this.passOn(hop));
    const c = this.store.contact();
    if (!c) return;
    await this.work(await getConfig(this.env.DB), c.id, (s) => stopAll(s, source, ref));
  }

  /**
   * A delivery receipt from the provider. Statuses only move forward (a late `sent` after
   * `delivered` changes nothing; duplicates change nothing); a final status becomes the event
   * `Message Delivered` or `Message Failed`. A receipt for an attempt whose answer was lost
   * settles it.
   */
  async recordReceipt(messageId: string, r: { status: "sent" | "delivered" | "undelivered" | "failed"; providerId?: string; errorCode?: string; errorMessage?: string; at: number }): Promise<string> {
    const c = this.store.contact();
    if (!c) return "unknown";
    const config = await getConfig(this.env.DB);
    return this.work(config, c.id, (s) => {
      const m = s.store.message(messageId);
      if (!m) return "unknown";
      if (RECEIPT_RANK[r.status]! <= (RECEIPT_RANK[m.status] ?? 99)) return m.status;
      // A receipt settles an attempt in doubt as well as the gateway's answer would.
      if (m.status === "dispatching" || m.status === "dispatch_unknown") s.store.run("DELETE FROM seen WHERE key = ?", `dispatched:${messageId}`);
      s.store.touchMessage(messageId, {
        status: r.status, provider_id: m.provider_id ?? r.providerId ?? null, sent_at: m.sent_at ?? r.at,
        delivered_at: r.status === "delivered" ? r.at : m.delivered_at, error_code: r.errorCode ?? m.error_code, error_message: r.errorMessage ?? m.error_message,
      });
      if (r.status !== "sent") noteDelivery(s, m, r.status === "delivered" ? "delivered" : "failed");
      return r.status;
    });
  }

  /**
   * The send queue gave up on a message (dead-letter queue). One that never reached the gateway
   * fails; one whose attempt may have reached it (`dispatching`, `dispatch_unknown`) is not failed
   * but reconciled: it stays `dispatch_unknown` and a timer sends it back through the consumer,
   * which asks the gateway of that attempt before anything is sent again.
   */
  async recordDeadLetter(messageId: string, why: string): Promise<void> {
    const config = await getConfig(this.env.DB);
    const contact = this.store.contact();
    if (!contact) return;
    await this.work(config, contact.id, (s) => {
      const m = s.store.message(messageId);
      if (!m || ["sent", "delivered", "failed", "skipped", "undelivered"].includes(m.status)) return;
      if (m.status === "dispatching" || m.status === "dispatch_unknown") {
        s.store.touchMessage(messageId, { status: "dispatch_unknown", error_code: "dead_letter", error_message: `${why}; reconciling with the gateway` });
        s.store.setTimer(`reconcile:${messageId}`, now() + RECONCILE_RETRY_MS, "reconcile", messageId);
        return;
      }
      s.store.touchMessage(messageId, { status: "failed", error_code: "dead_letter", error_message: why });
      noteDelivery(s, m, "failed");
    });
  }

  /**
   * Another contact claimed `phone` (at alias version `version`): this contact no longer has it,
   * and a claim of its own that is older cannot take it back. A merged contact keeps its row as it
   * was (it is history, and a merge run again reads it).
   */
  async releasePhone(phone: string, version: number): Promise<void> {
    const c = this.store.contact();
    if (!c || c.merged_into || c.phone !== phone) {
      this.ctx.storage.transactionSync(() => noteLost(this.store, phone, version));
      return;
    }
    const config = await getConfig(this.env.DB);
    await this.work(config, c.id, (s) => loseNumber(s, phone, version));
  }

  /** What this contact recorded about `phone` that stays with the number (for the contact that claims it next). */
  async numberHistory(phone: string): Promise<NumberHistory> {
    const c = this.store.contact();
    if (!c) return NO_HISTORY;
    const config = await getConfig(this.env.DB);
    return numberHistory({ store: this.store, config, flows: new Map(), contact: c }, phone);
  }

  /** Set the stage through the API. */
  async putStage(contactId: string, stage: string, reason: string): Promise<boolean> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).putStage(into, stage, reason);
    const config = await getConfig(this.env.DB);
    return this.work(config, contactId, (s) => {
      const moved = setStage(s, stage, reason);
      refreshAbsenceTimers(s);
      return moved;
    });
  }

  /**
   * Merge the contact `fromId` into this one: events, consent, flags, traits, stage, active runs,
   * messages not yet at the gateway, and its number when this contact has none (idempotent).
   */
  async absorb(contactId: string, fromId: string): Promise<void> {
    if (fromId === contactId || this.store.first("SELECT 1 FROM seen WHERE key = ?", `absorbed:${fromId}`)) return;
    const dump = await this.env.CONTACT.getByName(fromId).handOver(fromId, contactId);
    if (!dump) return;
    const config = await getConfig(this.env.DB);
    for (const r of dump.runs) {
      const f = await getFlowVersion(this.env.DB, config, r.flow_key, r.version);
      if (f) this.preloaded.set(`${r.flow_key}@${r.version}`, f);
    }
    // This contact takes the merged contact's number when it has none; otherwise that number is left unowned.
    const mine = this.store.contact()?.phone;
    const theirs = dump.contact.phone;
    const claim = theirs && !mine ? await claimPhone(this.env, contactId, theirs) : undefined;
    if (theirs && mine && theirs !== mine) await leaveNumber(this.env, theirs, fromId);
    await this.work(config, contactId, (s) => absorb(s, dump, fromId, claim));
    await this.leaveNumbers([claim?.phone]);
  }

  /** Hand this contact over to `intoId`: it forwards from now on and gives what belongs to the person. */
  async handOver(fromId: string, intoId: string): Promise<HandOver | undefined> {
    const c = this.store.contact();
    if (c?.merged_into && c.merged_into !== intoId) return undefined;
    const config = await getConfig(this.env.DB);
    // Even a contact with no history yet forwards from now on, so later anonymous calls reach the known one.
    return this.work(config, fromId, (s) => handOver(s, intoId));
  }

  /** Grant, confirm or revoke consent (API, import); returns the purpose's state afterwards and whether the change took effect. */
  async consent(contactId: string, change: ConsentChange): Promise<ConsentOutcome> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).consent(into, change);
    const config = await getConfig(this.env.DB);
    return this.work(config, contactId, (s) => changeConsent(s, change));
  }

  /** Set or clear a flag through the API. */
  async flag(contactId: string, name: string, on: boolean, source: string): Promise<boolean> {
    const into = this.store.contact()?.merged_into;
    if (into) return this.env.CONTACT.getByName(into).flag(into, name, on, source);
    const config = await getConfig(this.env.DB);
    return this.work(config, contactId, (s) => setFlag(s, name, on, source));
  }

  /** The contact's number was added to or removed from the suppression list (passed on to the number's owner). */
  async suppress(phone: string, on: boolean, hop: Hop = {}): Promise<void> {
    const there = await this.elsewhere(phone, hop, false);
    if (there) return this.env.CONTACT.getByName(there).suppress(phone, on, this.passOn(hop));
    const c = this.store.contact();
    if (!c || c.phone !== phone || (c.suppressed === 1) === on) return;
    const config = await getConfig(this.env.DB);
    await this.work(config, c.id, (s) => {
      s.store.run("UPDATE contact SET suppressed = ?", on ? 1 : 0);
      s.contact = s.store.contact()!;
      s.store.touchContact();
    });
  }

  /**
   * Apply import rows in order: how many were new (a row imported before changes nothing), and the
   * rows refused because they would take the traits over their cap (nothing of them applied).
   */
  async importRows(contactId: string, rows: ImportRecord[], configVersion?: number): Promise<{ applied: number; refused: Array<{ line: number } & TraitsRefusal> }> {
    const c = this.store.contact();
    if (c?.merged_into) return this.env.CONTACT.getByName(c.merged_into).importRows(c.merged_into, rows, configVersion);
    const config = await getConfig(this.env.DB, configVersion);
    // Numbers of rows not imported before are claimed first (a re-imported row claims nothing).
    const claims = new Map<string, NumberClaim>();
    for (const row of rows) {
      if (!row.phone || row.phone === c?.phone || claims.has(row.phone) || this.store.first("SELECT 1 FROM seen WHERE key = ?", `import:${row.hash}`)) continue;
      claims.set(row.phone, await claimPhone(this.env, contactId, row.phone));
    }
    const applied = await this.work(config, contactId, (s) => {
      let applied = 0;
      const refused: Array<{ line: number } & TraitsRefusal> = [];
      for (const row of rows) {
        // Import rows are remembered in `seen`, not the bounded event log, so no re-import repeats one.
        const messageId = `import:${row.hash}`;
        const call: IngestCall = { type: "identify", messageId, properties: {}, traits: row.traits, phone: row.phone };
        if (s.store.first("SELECT 1 FROM seen WHERE key = ?", messageId)) continue;
        const refusal = refusedTraits(s.contact, call);
        if (refusal) {
          refused.push({ line: row.line, ...refusal });
          continue;
        }
        s.store.run("INSERT INTO seen (key, at) VALUES (?, ?)", messageId, now());
        identify(s, call, row.phone ? claims.get(row.phone) : undefined);
        if (row.stage) setStage(s, row.stage, "import");
        for (const g of row.consent) {
          changeConsent(s, { ...g, action: "grant", silent: true, dedupeKey: `import:${g.purpose}:${g.source}:${g.at}:${s.contact.phone}:${g.text ?? ""}` });
        }
        applied++;
      }
      return { applied, refused };
    });
    await this.leaveNumbers([c?.phone, ...claims.keys()]);
    return applied;
  }

  /**
   * Everything that happened to the contact, newest first: events, stage and consent changes,
   * decisions, messages. Within one instant, causes come before effects (rank), e.g. a message
   * before its decision. The cursor is (at, rank, id) of the last item.
   */
  async timeline(limit: number, before?: [number, number, string]): Promise<{ items: TimelineItem[]; next: string | null }> {
    return timelinePage(this.store, () => getConfig(this.env.DB), limit, before);
  }

  /**
   * Someone opened a short link of this contact's message. A person's click becomes the event
   * `Link Clicked` (flows can trigger, branch or wait on it); previews are only recorded.
   */
  async recordClick(hit: { code: string; messageId: string; url: string; at: number; userAgent?: string; previewReason?: string }): Promise<"click" | "preview"> {
    const c = this.store.contact();
    if (!c) return "preview";
    const config = await getConfig(this.env.DB);
    return this.work(config, c.id, (s) => {
      const m = s.store.message(hit.messageId);
      let reason = hit.previewReason;
      if (!reason && m?.delivered_at && hit.at - m.delivered_at < DELIVERY_PREVIEW_MS) reason = "within_1s_of_delivery";
      const kind = reason ? "preview" : "click";
      s.store.record({
        kind: "click", id: `${hit.code}:${hit.at}:${kind}`, code: hit.code, messageId: hit.messageId, contactId: s.contact.id,
        flowKey: m?.flow_key ?? null, templateKey: m?.template_key ?? null, click: kind, reason: reason ?? null, userAgent: hit.userAgent ?? null, at: hit.at,
        job: m?.job ?? null, stage: m?.stage ?? null,
      });
      if (kind === "click") {
        const properties = { url: hit.url, code: hit.code, message_id: hit.messageId, template: m?.template_key ?? null, flow: m?.flow_key ?? null };
        s.store.run(
          "INSERT OR IGNORE INTO events (message_id, type, name, properties, at, received_at) VALUES (?, 'track', 'Link Clicked', ?, ?, ?)",
          `click:${hit.code}:${hit.at}`, JSON.stringify(properties), hit.at, now(),
        );
        onEvent(s, { seq: maxSeq(s), name: "Link Clicked", properties, at: hit.at });
      }
      return kind;
    });
  }

  /** A broadcast reaching this contact through the fan-out, or a dry run of it (nothing stored). */
  async broadcast(contactId: string, entry: BroadcastEntry, configVersion?: number): Promise<EntryResult> {
    const c = this.store.contact();
    if (!c || c.merged_into) return { outcome: "excluded", reason: "unknown_contact" };
    const config = await getConfig(this.env.DB, configVersion);
    return this.work(config, contactId, (s) => enterBroadcast(s, entry));
  }

  /** Stop a message of a cancelled broadcast that has not reached the gateway. */
  async cancelMessage(messageId: string, detail: string): Promise<boolean> {
    const c = this.store.contact();
    if (!c) return false;
    const config = await getConfig(this.env.DB);
    return this.work(config, c.id, (s) => cancelMessage(s, messageId, detail));
  }

  /**
   * A reply from this contact: keywords, `SMS Received` for flows, and the text to answer with. A
   * reply from a number this contact does not have (any more) goes to the number's owner.
   */
  async receive(contactId: string, sms: InboundSms, hop: Hop = {}): Promise<ReceiveResult> {
    const there = await this.elsewhere(sms.from, hop, true);
    if (there) return this.env.CONTACT.getByName(there).receive(there, sms, this.passOn(hop));
    const config = await getConfig(this.env.DB);
    return this.work(config, contactId, (s) => receive(s, sms));
  }

  /** Acknowledge or close one of this contact's tasks. */
  async moveTask(contactId: string, id: string, to: "acknowledged" | "done"): Promise<TaskRow | undefined> {
    if (!this.store.contact()) return undefined;
    const config = await getConfig(this.env.DB);
    return this.work(config, contactId, (s) => moveTask(s, id, to));
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
    return this.store.contact() ? contactView(this.store, await getConfig(this.env.DB)) : undefined;
  }

  /** Everything this contact's Durable Object holds, every row of every table (personal-data export). */
  async exportData(): Promise<Record<string, JsonBag[]> | undefined> {
    return this.store.contact() ? exportRows(this.store) : undefined;
  }

  /**
   * Erasure, first step (re-runnable): the contact is suppressed at once, so nothing more is texted
   * while the erasure's rows are written, and what it already queued for D1 goes first (so the
   * erasure's scrub follows it). Returns the numbers it held; its storage stays until `erase()`.
   */
  async beginErasure(): Promise<{ contactId: string; phone: string | null; phones: string[] } | undefined> {
    const c = this.store.contact();
    if (!c) return undefined;
    // No projection record: the contact's D1 row is about to go.
    this.ctx.storage.transactionSync(() => this.store.run("UPDATE contact SET suppressed = 1"));
    await this.flush();
    const phones = new Set<string>();
    if (c.phone) phones.add(c.phone);
    for (const r of this.store.all<{ p: string | null }>(`SELECT phone AS p FROM consent UNION SELECT "to" FROM messages`)) if (r.p) phones.add(r.p);
    return { contactId: c.id, phone: c.phone, phones: [...phones] };
  }

  /** Erasure, last step: once the erased numbers are on the suppression list, the storage and alarm are deleted. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.armedAt = undefined;
    // This live instance keeps its store: give it the empty schema a new contact would get.
    this.ctx.storage.transactionSync(() => new ContactStore(this.ctx.storage.sql));
  }

  /** Run every due timer, each in its own transaction with its effect, then re-arm. */
  override async alarm(): Promise<void> {
    this.armedAt = undefined; // a fired alarm is no longer set
    const contact = this.store.contact();
    // A merged contact's runs and timers travelled to the contact it merged into.
    if (!contact || contact.merged_into) return;
    try {
      const config = await getConfig(this.env.DB);
      const due = this.store.all<TimerRow>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT 200", now());
      if (due.length) {
        await this.work(config, contact.id, (s) => {
          for (const t of due) {
            if (!s.store.clearTimer(t.id)) continue; // already handled: alarms can fire twice
            if (t.kind === "run") wake(s, t.ref);
            else if (t.kind === "send") gateMessage(s, t.ref, "timer");
            else if (t.kind === "absence") absenceElapsed(s, t.ref);
            else if (t.kind === "sla") slaElapsed(s, t.ref);
            else if (t.kind === "dormant") dormantElapsed(s);
            else if (t.kind === "reconcile") reconcileAgain(s, t.ref);
          }
        });
      } else await this.flush();
    } finally {
      await this.arm();
    }
  }


  /**
   * Where a call about `phone` belongs when this contact cannot take it: the contact it merged
   * into, or the number's owner (with `create`, a new contact when nobody has the number, as for an
   * unknown number texting in). Undefined: here.
   */
  private async elsewhere(phone: string, hop: Hop, create: boolean): Promise<string | undefined> {
    const c = this.store.contact();
    if (!c || (hop.n ?? 0) >= 3) return undefined;
    if (c.merged_into) return c.merged_into;
    if (c.phone === phone) return undefined;
    // An alias still naming this contact (or the merged contact that passed the call on) is out of date.
    for (const id of new Set([c.id, hop.via])) if (id) await leaveNumber(this.env, phone, id);
    const owner = create ? await contactForPhone(this.env, phone) : await lookupAlias(this.env, `phone:${phone}`);
    return owner && owner !== c.id ? owner : undefined;
  }

  /** The hop for passing a call on from this contact. */
  private passOn(hop: Hop): Hop {
    return { via: this.store.contact()?.id, n: (hop.n ?? 0) + 1 };
  }

  /** Give up the aliases of numbers this contact held or claimed but does not have now. */
  private async leaveNumbers(phones: Array<string | null | undefined>): Promise<void> {
    const c = this.store.contact();
    if (!c) return;
    for (const p of new Set(phones)) if (p && p !== c.phone) await leaveNumber(this.env, p, c.id);
  }

  /** Load pinned flows, then run `fn` in one transaction, then flush the outbox and re-arm. */
  private async work<T>(config: Config, contactId: string, fn: (s: Session) => T): Promise<T> {
    const flows = new Map(this.preloaded);
    for (const r of this.store.all<{ flow_key: string; version: number }>("SELECT DISTINCT flow_key, version FROM runs WHERE status = 'active'")) {
      const f = await getFlowVersion(this.env.DB, config, r.flow_key, r.version);
      if (f) flows.set(`${r.flow_key}@${r.version}`, f);
    }
    this.store.contactTouched = false;
    const out = this.ctx.storage.transactionSync(() => {
      let contact = this.store.contact();
      if (!contact) {
        const t = now();
        const first = stagesOf(config.settings)[0] ?? null;
        this.store.run("INSERT INTO contact (id, created_at, stage, stage_at) VALUES (?, ?, ?, ?)", contactId, t, first, t);
        contact = this.store.contact()!;
        this.store.run("INSERT INTO stage_history (id, from_stage, to_stage, reason, at) VALUES (?, NULL, ?, 'created', ?)", `s_${contactId}`, first, t);
        this.store.touchContact();
      }
      const session = { store: this.store, config, flows, contact };
      const result = fn(session);
      if (this.store.contactTouched) project(session);
      return result;
    });
    await this.flush();
    await this.arm();
    return out;
  }

  /**
   * Send the outbox to its queues (./outbox.ts): each queue on its own, cut by bytes; rows that
   * cannot go yet stay and the alarm retries, rows that can never go are set aside.
   */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const env = this.env;
    const mine = flushOutbox(this.store, {
      send: (b) => env.SEND_QUEUE.sendBatch(b),
      notify: (b) => env.NOTIFY_QUEUE.sendBatch(b),
      records: (b) => env.RECORDS_QUEUE.sendBatch(b),
    });
    this.flushing = mine;
    try {
      await mine;
    } finally {
      if (this.flushing === mine) this.flushing = undefined;
    }
  }

  /** Arm the one alarm for the earliest timer (or soon, while the outbox holds rows). */
  private async arm(): Promise<void> {
    let at: number | null = null;
    if (!this.store.contact()?.merged_into) {
      const next = this.store.first<{ at: number | null }>("SELECT min(due_at) AS at FROM timers")?.at ?? undefined;
      // The runtime fires alarms in real time; timers are in the clock's time (equal outside tests).
      const pending = this.store.first("SELECT 1 FROM outbox LIMIT 1") ? realNow() + 5_000 : undefined;
      const candidates = [next !== undefined ? realTimeAt(next) : undefined, pending].filter((x): x is number => x !== undefined);
      if (candidates.length) at = Math.min(...candidates);
    }
    // Most events leave the earliest timer where it was: no storage write for an unchanged alarm. A
    // woken instance reads the alarm first (a read), rather than rewriting it (a billed write) per event.
    if (this.armedAt === undefined) this.armedAt = await this.ctx.storage.getAlarm();
    if (at === this.armedAt) return;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
    this.armedAt = at;
  }
}

/** The traits an identify leaves a contact with. */
function identifiedTraits(stored: JsonBag, call: IngestCall): JsonBag {
  const traits = { ...stored, ...call.traits };
  delete traits.phone; // the phone lives in its own column, owned through the phone alias
  if (call.locale && traits.locale === undefined) traits.locale = call.locale;
  return traits;
}

/** Why an identify may not be stored on this contact, if it would take the traits over their cap. */
function refusedTraits(contact: ContactRow | undefined, call: IngestCall): TraitsRefusal | undefined {
  if (call.type !== "identify") return undefined;
  // Most identifies are far from the cap: the stored and the written traits together fit, no merge needed.
  if (utf8Bytes(contact?.traits ?? "{}") + jsonBytes(call.traits) + jsonBytes(call.locale ?? "") + 20 <= TRAITS_BYTES) return undefined;
  const before: JsonBag = contact ? JSON.parse(contact.traits) : {};
  return traitsRefusal(before, identifiedTraits(before, call), call.traits);
}

/** An identify call: traits, and a new number when the call carried one this contact claimed. */
function identify(s: Session, call: IngestCall, claim: NumberClaim | undefined): void {
  const traits = identifiedTraits(JSON.parse(s.contact.traits), call);
  s.store.run("UPDATE contact SET traits = ?", JSON.stringify(traits));
  s.contact = s.store.contact()!;
  if (call.phone && call.phone !== s.contact.phone && claim?.phone === call.phone) takeNumber(s, claim);
  noteTimeZone(s, call);
  s.store.touchContact();
  refreshAbsenceTimers(s);
  retimeTraitWaits(s);
}

/** The contact's time zone: an explicit `timezone` trait wins over the events' `context.timezone`. */
function noteTimeZone(s: Session, call: IngestCall): void {
  const trait = call.traits.timezone;
  let next: [string, string] | undefined;
  if (typeof trait === "string" && isValidTimeZone(trait)) next = [trait, "trait"];
  else if (call.timezone && isValidTimeZone(call.timezone) && s.contact.tz_source !== "trait") next = [call.timezone, "context"];
  if (!next || (next[0] === s.contact.timezone && next[1] === s.contact.tz_source)) return;
  s.store.run("UPDATE contact SET timezone = ?, tz_source = ?", next[0], next[1]);
  s.contact = s.store.contact()!;
  s.store.touchContact();
}

/** A final delivery status becomes an event on the contact, so flows can wait for or branch on it. */
function noteDelivery(s: Session, m: MessageRow, status: string): void {
  const name = status === "delivered" ? "Message Delivered" : "Message Failed";
  const properties = { message_id: m.id, template: m.template_key, flow: m.flow_key, status };
  const messageId = `receipt:${m.id}:${status}`;
  if (s.store.first("SELECT 1 FROM events WHERE message_id = ?", messageId)) return;
  s.store.run(
    "INSERT INTO events (message_id, type, name, properties, at, received_at) VALUES (?, 'track', ?, ?, ?, ?)",
    messageId, name, JSON.stringify(properties), now(), now(),
  );
  onEvent(s, { seq: maxSeq(s), name, properties, at: now() });
}

/** A message in doubt goes back through the send consumer, which reconciles it before anything else. */
function reconcileAgain(s: Session, messageId: string): void {
  const m = s.store.message(messageId);
  if (!m || (m.status !== "dispatching" && m.status !== "dispatch_unknown")) return;
  s.store.enqueueSend({ contactId: s.contact.id, messageId, to: m.to, purpose: m.purpose });
}

/** How far along a message is, for receipts: they only move it forward. */
const RECEIPT_RANK: Record<string, number> = { dispatching: 0, dispatch_unknown: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2 };


/** The contact projection for D1, with its consent summary and flags (one record per unit of work). */
function project(s: Session): void {
  s.store.run("UPDATE contact SET rev = rev + 1");
  const c = s.store.contact()!;
  s.store.record({
    kind: "contact", contactId: c.id, rev: c.rev, stage: c.stage, phone: c.phone, timezone: c.timezone,
    traits: projectedTraits(c), consent: consentSummary(s), flags: [...flagsOf(s)], suppressed: c.suppressed === 1,
    createdAt: c.created_at, updatedAt: now(), ...(c.merged_into ? { mergedInto: c.merged_into } : {}),
  });
  s.store.contactTouched = false;
}

/** The traits the projection carries: a contact stored over the cap (before it existed) sends what fits, so its record still goes. */
function projectedTraits(c: ContactRow): JsonBag {
  const traits = JSON.parse(c.traits);
  if (utf8Bytes(c.traits) <= TRAITS_BYTES) return traits;
  const fit = fillWithin({}, traits);
  console.warn(`contact ${c.id}: traits over the ${kb(TRAITS_BYTES)} cap; the projection leaves out ${fit.dropped.join(", ")}`);
  return fit.traits;
}

/** Segment Spec `Subscribed` / `Unsubscribed` events change consent for `properties.purpose`. */
function consentEvent(s: Session, event: string, p: Record<string, unknown>, messageId: string, at: number): void {
  if (event !== "Subscribed" && event !== "Unsubscribed") return;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const purpose = str(p.purpose) ?? "marketing";
  const source = str(p.source) && SOURCE.test(String(p.source)) ? String(p.source) : event === "Subscribed" ? "form" : "api";
  changeConsent(s, {
    purpose, action: event === "Subscribed" ? "grant" : "revoke", source, text: str(p.text) ?? str(p.consent_text),
    proof: str(p.ip) || str(p.url) ? { ip: str(p.ip), url: str(p.url) } : undefined, at, dedupeKey: `event:${messageId}`,
  });
}
