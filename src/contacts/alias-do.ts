/**
 * AliasDO: one tiny Durable Object per alias key (`user:<id>`, `anon:<id>`, `phone:<E.164>`,
 * `shopify:<id>`), holding the contact id it points to. Being one single-threaded object per key
 * makes "get or create" and "claim this phone" strongly consistent without a D1 read per event:
 * it is where claims of one number are put in order.
 */
import { DurableObject } from "cloudflare:workers";

/** What claiming an alias tells the claimer. */
export interface AliasClaim {
  /** Counts changes of owner: a contact that lost the alias at a later version than its own claim keeps it lost. */
  version: number;
  /** The contact that held the alias before the claimer (owner, or last holder when it was left unowned), if any. */
  from?: string;
}

/** One alias key → one contact id. */
export class AliasDO extends DurableObject<Env> {
  private get(key: string): string | undefined {
    return this.ctx.storage.kv.get<string>(key);
  }

  private set(key: string, value: string | undefined): void {
    if (value === undefined) this.ctx.storage.kv.delete(key);
    else this.ctx.storage.kv.put(key, value);
  }

  /** The contact this alias points to, if any. */
  async lookup(): Promise<string | undefined> {
    return this.get("contact");
  }

  /** The contact this alias points to; points it at `contactId` first when it points nowhere. */
  async getOrSet(contactId: string): Promise<string> {
    const cur = this.get("contact");
    if (cur) return cur;
    this.claimFor(contactId);
    return contactId;
  }

  /** Point this alias at `contactId` (no change when it already does); says who held it before. */
  async claim(contactId: string): Promise<AliasClaim> {
    return this.claimFor(contactId);
  }

  private claimFor(contactId: string): AliasClaim {
    let version = this.ctx.storage.kv.get<number>("version") ?? 0;
    const cur = this.get("contact");
    if (cur !== contactId) {
      version += 1;
      this.set("from", cur ?? this.get("last"));
      this.set("contact", contactId);
      this.ctx.storage.kv.put("version", version);
    }
    return { version, from: this.get("from") };
  }

  /**
   * The owner gives the alias up (it changed number, or merged into a contact that keeps its own):
   * it points nowhere, and remembers the contact as its last holder, whose record of the number
   * (a STOP) the next owner takes over. True when it pointed at `contactId`.
   */
  async leave(contactId: string): Promise<boolean> {
    if (this.get("contact") !== contactId) return false;
    this.set("contact", undefined);
    this.set("last", contactId);
    return true;
  }

  /** Forget this alias if it points at `contactId`, and forget `contactId` as a holder (erasure); true when it pointed there. */
  async release(contactId: string): Promise<boolean> {
    for (const k of ["last", "from"]) if (this.get(k) === contactId) this.set(k, undefined);
    if (this.get("contact") !== contactId) return false;
    this.set("contact", undefined);
    return true;
  }
}
