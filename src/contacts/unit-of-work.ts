/**
 * How a ContactDO runs a unit of work: the config snapshot and the flows its runs pinned are loaded
 * (the only awaits), the work runs in one `transactionSync` (./session.ts), then the outbox is
 * flushed and the alarm re-armed. It also counts erasures, so a call that was in flight when the
 * contact was erased cannot create it again.
 */
import { type CompiledFlow, type Config, getConfig, getFlowVersion } from "../settings/config";
import { OutboxSender } from "./outbox";
import { type Session, inSession } from "./session";
import { ContactStore } from "./store";
import { ContactAlarm } from "./timers";

/** A run's pinned flow version. */
export type RunRef = { flow_key: string; version: number };

/** One ContactDO's way of running units of work. */
export class ContactWork {
  readonly outbox: OutboxSender;
  readonly alarm: ContactAlarm;
  /** Erasures this instance finished (an RPC can only overlap one within the same live instance). */
  private erasures = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly store: ContactStore,
  ) {
    this.outbox = new OutboxSender(store, env);
    this.alarm = new ContactAlarm(ctx.storage, store);
  }

  /** Where erasures stand now: a call that awaits before its work takes this first and passes it as `since`. */
  get epoch(): number {
    return this.erasures;
  }

  /** Erasure: delete the contact's storage and alarm; calls that began before may not create it again. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.erasures++;
    this.alarm.forget();
    // This live instance keeps its store: give it the empty schema a new contact would get.
    this.ctx.storage.transactionSync(() => new ContactStore(this.ctx.storage.sql));
  }

  /** The config snapshot, at least at `version` when given. */
  config(version?: number): Promise<Config> {
    return getConfig(this.env.DB, version);
  }

  /**
   * Run `fn` on the contact `contactId` (created when new) in one transaction, with the config at
   * least at `version` and the flows of its active runs and of `runs` (runs a merge brings); then
   * flush and re-arm. `since`: the epoch when the call began; after an erasure since, this throws
   * rather than create the erased contact again.
   */
  async run<T>(version: number | undefined, contactId: string, fn: (s: Session) => T, opts: { since?: number; runs?: RunRef[] } = {}): Promise<T> {
    const since = opts.since ?? this.erasures;
    const config = await this.config(version);
    const flows = new Map<string, CompiledFlow>();
    for (const r of [...this.store.all<RunRef>("SELECT DISTINCT flow_key, version FROM runs WHERE status = 'active'"), ...(opts.runs ?? [])]) {
      const f = await getFlowVersion(this.env.DB, config, r.flow_key, r.version);
      if (f) flows.set(`${r.flow_key}@${r.version}`, f);
    }
    const out = this.ctx.storage.transactionSync(() => inSession(this.store, config, flows, contactId, since === this.erasures, fn));
    await this.outbox.flush();
    await this.alarm.arm();
    return out;
  }
}
