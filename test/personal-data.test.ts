// Personal data: export everything held about a contact; erasure leaves no number or trait anywhere.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import { invalidateConfig } from "../src/settings/config";
import { api, flushRecords, inbox, phone, settleSends, unique } from "./helpers";

/** Every row of every D1 table, as text. */
async function d1Text(): Promise<string> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'").all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of results) parts.push(name, JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results));
  return parts.join("\n");
}

const tpl = unique("pd").toLowerCase();

async function seedContact() {
  const user = unique("u");
  const to = phone();
  const email = `${unique("mail")}@example.com`;
  const first = unique("Name");
  const r = await api("POST", "/v1/identify", { userId: user, traits: { phone: to, email, firstName: first } });
  const id = r.body.contactId as string;
  await api("POST", "/v1/track", { userId: user, event: "Subscribed", messageId: unique("sub"), properties: { purpose: "marketing", source: "form", text: "Yes, text me." } });
  const sent = await api("POST", "/v1/messages", { contact: id, template: tpl });
  expect(sent.status).toBe(202);
  await settleSends(id);
  await flushRecords();
  return { user, to, email, first, id };
}

describe("personal data", () => {
  beforeAll(async () => {
    await api("PUT", "/v1/settings/traits", { declared: [] });
    const t = await api("PUT", `/v1/templates/${tpl}`, { body: "Hi {{firstName}}, your code is 1234.", job: "transactional", purpose: "transactional" });
    expect(t.status).toBe(200);
  });

  it("exports the Durable Object's state and the D1 rows, and audits the export", async () => {
    const c = await seedContact();
    const r = await api("GET", `/v1/contacts/user:${c.user}/export`);
    expect(r.status).toBe(200);
    const x = r.body;
    expect(x.contactId).toBe(c.id);
    expect(x.contact.contact[0]).toMatchObject({ id: c.id, phone: c.to, traits: { email: c.email, firstName: c.first } });
    expect(x.contact.consent.map((e: any) => [e.purpose, e.action, e.source, e.text])).toContainEqual(["marketing", "grant", "form", "Yes, text me."]);
    expect(x.contact.events.map((e: any) => e.name)).toContain("Subscribed");
    expect(x.contact.messages.find((m: any) => m.template_key === tpl)).toMatchObject({ to: c.to, body: `Hi ${c.first}, your code is 1234.` });
    expect(x.contact.decisions.length).toBeGreaterThan(0);
    expect(x.contact).toHaveProperty("tasks");
    expect(x.d1.contacts[0]).toMatchObject({ id: c.id, phone: c.to });
    expect(x.d1.messages.some((m: any) => m.template_key === tpl && m.to === c.to)).toBe(true);
    expect(x.d1.decisions.length).toBeGreaterThan(0);
    expect(x.d1.consent_changes.map((e: any) => e.source)).toContain("form");
    const audit = (await api("GET", `/v1/audit?target=contact:${c.id}&action=contact.export`)).body.entries;
    expect(audit).toHaveLength(1);
    expect((await api("GET", "/v1/contacts/user:nobody-here/export")).status).toBe(404);
  });

  it("erases: no number or trait left in the Durable Object or D1; re-import and re-identify are refused", async () => {
    const c = await seedContact();
    const del = await api("DELETE", `/v1/contacts/${c.id}`);
    expect([del.status, del.body.erased, del.body.numbersErased]).toEqual([200, true, 1]);
    await flushRecords();

    // The Durable Object holds nothing.
    const left = await runInDurableObject(env.CONTACT.getByName(c.id), async (_o, state) => {
      const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray();
      return { alarm: await state.storage.getAlarm(), tables: tables.map((t) => [t.name, state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray()]) };
    });
    expect(left.alarm).toBeNull();
    expect(left.tables.flatMap(([, rows]) => rows as unknown[]).filter((r) => !("version" in (r as object)))).toEqual([]);
    expect((await api("GET", `/v1/contacts/${c.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/contacts/phone:${c.to}`)).status).toBe(404);

    // D1: no number, no trait; decisions keep their reason codes; the number is a keyed hash, reason erased.
    const text = await d1Text();
    for (const v of [c.to, c.to.slice(2), c.email, c.first]) expect(text).not.toContain(v);
    const decisions = await env.DB.prepare("SELECT reason FROM decisions WHERE contact_id = ?").bind(c.id).all();
    expect(decisions.results.length).toBeGreaterThan(0);
    expect((await api("GET", `/v1/suppressions/${encodeURIComponent(c.to)}`)).body).toMatchObject({ suppressed: true, reason: "erased" });
    expect((await api("GET", `/v1/audit?target=contact:${c.id}&action=contact.erase`)).body.entries).toHaveLength(1);
    // Unsuppressing cannot undo an erasure.
    const unsuppress = await api("DELETE", `/v1/suppressions/${encodeURIComponent(c.to)}`);
    expect([unsuppress.status, unsuppress.type, unsuppress.body.errors?.[0]?.field]).toEqual([409, "application/problem+json", "phone"]);
    expect((await api("GET", `/v1/suppressions/${encodeURIComponent(c.to)}`)).body).toMatchObject({ suppressed: true, reason: "erased" });

    // The number is never stored again.
    const again = await api("POST", "/v1/identify", { userId: unique("u"), traits: { phone: c.to } });
    expect([again.status, again.type]).toEqual([400, "application/problem+json"]);
    expect(again.body.errors[0]).toMatchObject({ field: "traits.phone", message: expect.stringContaining("erased") });
    const batch = await api("POST", "/v1/batch", { batch: [{ type: "identify", userId: unique("u"), traits: { phone: c.to } }] });
    expect(batch.status).toBe(400);
    expect(batch.body.errors[0]).toMatchObject({ field: "batch.0.traits.phone", message: expect.stringContaining("erased") });
    const imp = await api("POST", "/v1/contacts/import", undefined, { raw: `{"phone":"${c.to}","traits":{"firstName":"Back"}}\n`, headers: { "content-type": "application/x-ndjson" } });
    expect(imp.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(imp.body.errors[0]).toMatchObject({ line: 1, field: "phone", message: expect.stringContaining("erased") });
    const send = await api("POST", "/v1/messages", { to: c.to, template: tpl });
    expect(send.status).toBe(400);
    expect(send.body.errors[0]).toMatchObject({ field: "to", message: expect.stringContaining("erased") });
    await flushRecords();
    expect(await d1Text()).not.toContain(c.to);
    expect((await api("GET", `/v1/contacts/phone:${c.to}`)).status).toBe(404);

    // The same userId may come back as a new, empty contact (no number): it is kept.
    const back = await api("POST", "/v1/identify", { userId: c.user, traits: { plan: "basic" } });
    expect(back.body.contactId).toBe(c.id);
    await flushRecords();
    expect((await api("GET", `/v1/contacts/${c.id}`)).body).toMatchObject({ phone: null, traits: { plan: "basic" } });
  });

  it("writes the erased number before deleting anything: a failed erasure leaves the number untextable, and a retry finishes it", async () => {
    const c = await seedContact();
    const texted = await inbox(c.to);
    // D1 refuses this contact's erasure rows, as a failed batch would.
    await env.DB.prepare(
      `CREATE TRIGGER fail_erasure BEFORE INSERT ON erasures WHEN NEW.contact_id = '${c.id}' BEGIN SELECT RAISE(ABORT, 'erasure write failed'); END`,
    ).run();
    try {
      const failed = await api("DELETE", `/v1/contacts/${c.id}`);
      expect([failed.status, failed.type]).toEqual([500, "application/problem+json"]);
    } finally {
      await env.DB.prepare("DROP TRIGGER fail_erasure").run();
    }
    // Half done: the number still leads to the contact, which texts nothing any more.
    const send = await api("POST", "/v1/messages", { to: c.to, template: tpl });
    expect(send.status).toBe(202);
    expect([send.body.contactId, send.body.decision]).toEqual([c.id, { outcome: "skipped", reason: "suppressed" }]);
    await settleSends(c.id);
    expect(await inbox(c.to)).toEqual(texted); // nothing since

    // The retry finishes it, and a repeated erasure of what is gone is a 404.
    const retry = await api("DELETE", `/v1/contacts/${c.id}`);
    expect([retry.status, retry.body.erased, retry.body.numbersErased]).toEqual([200, true, 1]);
    expect((await api("DELETE", `/v1/contacts/phone:${c.to}`)).status).toBe(404);
    await flushRecords();
    expect((await api("GET", `/v1/suppressions/${encodeURIComponent(c.to)}`)).body).toMatchObject({ suppressed: true, reason: "erased" });
    expect((await api("POST", "/v1/identify", { userId: unique("u"), traits: { phone: c.to } })).status).toBe(400);
    const text = await d1Text();
    for (const v of [c.to, c.email, c.first]) expect(text).not.toContain(v);
    expect((await api("GET", `/v1/contacts/${c.id}`)).status).toBe(404);
  });

  it("erases the numbers the contact held in the past and nobody holds now, not a number another contact took", async () => {
    const user = unique("u");
    const [first, second, taken] = [phone(), phone(), phone()];
    const id = (await api("POST", "/v1/identify", { userId: user, traits: { phone: first } })).body.contactId;
    await api("POST", "/v1/identify", { userId: user, traits: { phone: taken } }); // changed number: `first` is left unowned
    const other = (await api("POST", "/v1/identify", { userId: unique("u"), traits: { phone: taken } })).body.contactId; // another person took `taken`
    await api("POST", "/v1/identify", { userId: user, traits: { phone: second } });
    expect((await api("GET", `/v1/contacts/${id}`)).body.phone).toBe(second);

    const del = await api("DELETE", `/v1/contacts/${id}`);
    expect([del.status, del.body.numbersErased]).toEqual([200, 2]);
    for (const p of [first, second]) expect((await api("GET", `/v1/suppressions/${encodeURIComponent(p)}`)).body).toMatchObject({ suppressed: true, reason: "erased" });
    expect((await api("POST", "/v1/identify", { userId: unique("u"), traits: { phone: first } })).status).toBe(400);
    // The number another contact holds now is that person's: not erased, still theirs.
    expect((await api("GET", `/v1/suppressions/${encodeURIComponent(taken)}`)).body).toMatchObject({ suppressed: false });
    expect((await api("GET", `/v1/contacts/phone:${encodeURIComponent(taken)}`)).body.id).toBe(other);
  });

  it("a call still in flight when the contact is erased does not bring the contact back", async () => {
    const c = await seedContact();
    const [m] = (await api("GET", `/v1/messages?contact=${c.id}`)).body.messages;
    const left = await runInDurableObject(env.CONTACT.getByName(c.id), async (instance: ContactDO, state) => {
      invalidateConfig(); // the receipt's unit of work waits on a D1 read of the config, as after a settings change
      let settled = false;
      const stray = instance.recordReceipt(m.id, { status: "delivered", at: now() }).finally(() => (settled = true));
      await instance.erase();
      expect(settled).toBe(false); // it was still in flight
      await expect(stray).rejects.toThrow(/erased/);
      return state.storage.sql.exec("SELECT * FROM contact").toArray();
    });
    expect(left).toEqual([]);
    expect((await api("GET", `/v1/contacts/${c.id}`)).status).toBe(404);
  });

  it("erases short links (their URLs can name the person) and the user agents of clicks", async () => {
    const user = unique("u");
    const to = phone();
    await api("PUT", "/v1/settings/links", { base: "https://t.example/l", ttl: "P30D" });
    const marker = unique("ticket").toLowerCase();
    await api("PUT", `/v1/templates/${tpl}-link`, { body: "Your ticket: [link https://shop.example/t/{{properties.ticket}}]", job: "transactional", purpose: "transactional", properties: ["ticket"] });
    const id = (await api("POST", "/v1/identify", { userId: user, traits: { phone: to } })).body.contactId;
    expect((await api("POST", "/v1/messages", { contact: id, template: `${tpl}-link`, properties: { ticket: marker } })).status).toBe(202);
    await settleSends(id);
    const code = /https:\/\/t\.example\/l\/([0-9A-Za-z]+)/.exec((await env.DB.prepare('SELECT body FROM sandbox_messages WHERE "to" = ?').bind(to).first<{ body: string }>())!.body)![1]!;
    const agent = `Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) ${unique("UA")}`;
    const { exports } = await import("cloudflare:workers");
    const open = () => exports.default.fetch(`https://t.example/l/${code}`, { headers: { "user-agent": agent }, redirect: "manual" });
    expect((await open()).status).toBe(302);
    await flushRecords();
    expect(await d1Text()).toContain(agent);
    expect((await api("DELETE", `/v1/contacts/${id}`)).status).toBe(200);
    await flushRecords();
    const text = await d1Text();
    expect(text).not.toContain(agent);
    expect(text).not.toContain(marker);
    expect((await open()).status).toBe(404);
  });

  it("needs contacts:write to erase and 404s an unknown contact", async () => {
    const k = await api("POST", "/v1/keys", { name: "A", role: "analyst" });
    expect((await api("DELETE", "/v1/contacts/user:someone", undefined, { key: k.body.key })).status).toBe(403);
    expect((await api("DELETE", "/v1/contacts/user:nobody-at-all")).status).toBe(404);
  });
});
