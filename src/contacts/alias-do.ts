/**
 * AliasDO: one tiny Durable Object per alias key (`user:<id>`, `anon:<id>`, `phone:<E.164>`,
 * `shopify:<id>`), holding the contact id it points to. Being one single-threaded object per key
 * makes "get or create" and "claim this phone" strongly consistent without a D1 read per event.
 */
import { DurableObject } from "cloudflare:workers";

/** One alias key → one contact id. */
export class AliasDO extends DurableObject<Env> {
  /** The contact this alias points to, if any. */
  async lookup(): Promise<string | undefined> {
    return this.ctx.storage.kv.get<string>("contact");
  }

  /** The contact this alias points to; points it at `contactId` first when it points nowhere. */
  async getOrSet(contactId: string): Promise<string> {
    const cur = this.ctx.storage.kv.get<string>("contact");
    if (cur) return cur;
    this.ctx.storage.kv.put("contact", contactId);
    return contactId;
  }

  /** Point this alias at `contactId`, returning the contact it pointed to before. */
  async claim(contactId: string): Promise<string | undefined> {
    const prev = this.ctx.storage.kv.get<string>("contact");
    if (prev !== contactId) this.ctx.storage.kv.put("contact", contactId);
    return prev;
  }

  /** Forget this alias if it points at `contactId` (erasure); true when it did. */
  async release(contactId: string): Promise<boolean> {
    if (this.ctx.storage.kv.get<string>("contact") !== contactId) return false;
    this.ctx.storage.kv.delete("contact");
    return true;
  }
}
