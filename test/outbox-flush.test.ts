// The outbox never lets one row silence a contact: it is flushed per queue and cut by bytes inside
// the Queues limits (128 KB a message, 256 KB a sendBatch), and a row that can never be sent is set
// aside (kept, counted on the contact) instead of blocking the rows behind it.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import { OUTBOX_ATTEMPTS, type SendBatch, flushOutbox } from "../src/contacts/outbox";
import { ContactStore } from "../src/contacts/store";
import { api, contactStub, deliverSend, flushRecords, inbox, phone, settleSends, unique } from "./helpers";

async function sendCode(to: string, code: string) {
  await api("PUT", "/v1/templates/code", { body: "Your code is {{properties.code}}", job: "transactional", purpose: "transactional", properties: ["code"] });
  const r = await api("POST", "/v1/messages", { to, template: "code", properties: { code } });
  expect(r.status).toBe(202);
  return r.body as { messageId: string; contactId: string };
}

/** Rows written straight into a contact's outbox, as its own transactions would (the records consumer ignores their kind). */
async function inject(contactId: string, bodies: string[]) {
  const { stub } = await contactStub(contactId);
  await runInDurableObject(stub, (_i: ContactDO, state) => {
    for (const body of bodies) state.storage.sql.exec("INSERT INTO outbox (queue, body) VALUES ('records', ?)", body);
  });
}

const filler = (bytes: number) => JSON.stringify({ kind: "test-filler", id: unique("f"), pad: "p".repeat(bytes) });

describe("outbox flush", () => {
  it("sends every text past a backlog over the Queues limits and a poison row, sets the poison aside, and sends nothing twice", async () => {
    const to = phone();
    const first = await sendCode(to, "1111");
    await settleSends(`phone:${to}`);
    // First in line: a row no queue message can carry and a row that is not JSON; behind them 300
    // small records and six large-but-legal ones (over 256 KB and 100 messages together).
    await inject(first.contactId, [
      filler(130_000),
      "{not json",
      ...Array.from({ length: 300 }, () => filler(2_000)),
      ...Array.from({ length: 6 }, () => filler(100_000)),
    ]);
    const second = await sendCode(to, "2222");
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Your code is 1111", "Your code is 2222"]);

    const view = (await api("GET", `/v1/contacts/phone:${to}`)).body;
    expect(view.outbox).toMatchObject({ pending: 0, setAside: 2 });
    expect(view.outbox.recentSetAside.map((r: any) => r.reason)).toEqual(["not JSON", expect.stringContaining("over the 128 KB a queue message may carry")]);
    // The records behind the poison reached D1: the message's final status among them.
    await flushRecords();
    const m = (await api("GET", `/v1/messages?contact=${second.contactId}`)).body.messages.find((x: any) => x.id === second.messageId);
    expect(m.status).toBe("delivered");

    // An alarm that fires twice and a redelivered send job change nothing.
    const { stub } = await contactStub(second.contactId);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    await deliverSend({ contactId: second.contactId, messageId: second.messageId });
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Your code is 1111", "Your code is 2222"]);
    expect((await api("GET", `/v1/contacts/phone:${to}`)).body.outbox).toMatchObject({ pending: 0, setAside: 2 });
  }, 60_000);

  it("still texts a contact stored with 200 KB of traits before the cap, and projects the traits that fit", async () => {
    const user = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { userId: user, traits: { phone: to, firstName: "Ada" } });
    const { id, stub } = await contactStub(`user:${user}`);
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      state.storage.sql.exec("UPDATE contact SET traits = ?", JSON.stringify({ firstName: "Ada", notes: "n".repeat(200_000), plan: "pro" }));
    });
    // Every unit of work now emits the contact's projection: it must still fit a queue message.
    await api("POST", "/v1/identify", { userId: user, traits: { plan: "max" } });
    const sent = await sendCode(to, "3333");
    await settleSends(`phone:${to}`);
    expect(await inbox(to)).toEqual(["Your code is 3333"]);
    expect((await api("GET", `/v1/contacts/${id}`)).body.outbox).toMatchObject({ pending: 0, setAside: 0 });
    await flushRecords();
    const projected = await env.DB.prepare("SELECT traits FROM contacts WHERE id = ?").bind(sent.contactId).first<{ traits: string }>();
    expect(JSON.parse(projected!.traits)).toEqual({ firstName: "Ada", plan: "max" });
  }, 60_000);
});

describe("outbox rows that fail alone", () => {
  /** A fresh contact's store with `n` records queued, one of them (`bad`) refused by its queue whenever it is in a batch. */
  async function withOutbox(n: number, run: (store: ContactStore, sql: SqlStorage) => Promise<void>) {
    const stub = env.CONTACT.getByName(unique("outbox"));
    await runInDurableObject(stub, async (_i: ContactDO, state) => {
      const store = new ContactStore(state.storage.sql);
      store.run("INSERT INTO contact (id, created_at) VALUES ('c_outbox', 0)");
      for (let i = 0; i < n; i++) store.run("INSERT INTO outbox (queue, body) VALUES ('records', ?)", JSON.stringify({ kind: "test-filler", id: i === 3 ? "bad" : `r${i}` }));
      await run(store, state.storage.sql);
    });
  }

  it("retries a row its queue refuses alone, keeps the rows behind it going, and sets it aside after repeated failures", async () => {
    await withOutbox(10, async (store) => {
      const taken: string[] = [];
      const records: SendBatch = async (batch) => {
        if (batch.some((m) => (m.body as { id: string }).id === "bad")) throw new Error("refused");
        taken.push(...batch.map((m) => (m.body as { id: string }).id));
      };
      for (let flush = 1; flush <= OUTBOX_ATTEMPTS; flush++) {
        // The contact keeps working: each later flush has a new row behind the refused one.
        if (flush > 1) store.run("INSERT INTO outbox (queue, body) VALUES ('records', ?)", JSON.stringify({ kind: "test-filler", id: `later${flush}` }));
        await flushOutbox(store, { records });
        const left = store.all<{ body: string; attempts: number }>("SELECT body, attempts FROM outbox");
        if (flush < OUTBOX_ATTEMPTS) expect(left).toEqual([{ body: JSON.stringify({ kind: "test-filler", id: "bad" }), attempts: flush }]);
      }
      expect(taken).toEqual(["r0", "r1", "r2", "r4", "r5", "r6", "r7", "r8", "r9", "later2", "later3"]);
      expect(store.all("SELECT * FROM outbox")).toEqual([]);
      expect(store.contact()!.set_aside).toBe(1);
      expect(store.first<{ reason: string }>("SELECT reason FROM outbox_aside")!.reason).toBe(`failed ${OUTBOX_ATTEMPTS} times while the queue took other rows: refused`);
    });
  });

  it("sets nothing aside while a queue is down, stops after a few tries, and sends everything once it is back", async () => {
    await withOutbox(100, async (store) => {
      let calls = 0;
      const down: SendBatch = async () => {
        calls++;
        throw new Error("queue unavailable");
      };
      for (let i = 0; i < OUTBOX_ATTEMPTS + 2; i++) await flushOutbox(store, { records: down });
      expect(calls).toBeLessThanOrEqual((OUTBOX_ATTEMPTS + 2) * 12);
      expect(store.all("SELECT * FROM outbox WHERE attempts > 0")).toEqual([]);
      expect(store.contact()!.set_aside).toBe(0);
      const taken: unknown[] = [];
      await flushOutbox(store, { records: async (b) => void taken.push(...b) });
      expect(taken).toHaveLength(100);
      expect(store.all("SELECT * FROM outbox")).toEqual([]);
    });
  });
});
