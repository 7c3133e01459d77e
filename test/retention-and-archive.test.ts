// Retention: settings.retention refuses a retention shorter than a window that reads its rows; the
// daily cron archives D1 rows past retention to R2 (gzip NDJSON by kind and day) and only then deletes
// them, in bounded batches; a second run changes nothing; reports read the rollups, so they are the
// same after the raw rows are gone; the archive never holds what erasure removes; each ContactDO
// prunes its own tables in bounded deletes, and the sweep reaches contacts that never wake.
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { advanceClock, now } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import { ContactStore } from "../src/contacts/store";
import worker from "../src/index";
import { pruneContact } from "../src/retention/contact-prune";
import { sweepContacts } from "../src/retention/cron";
import { readArchive } from "../src/retention/archive";
import { defaultSettings } from "../src/settings/schema";
import { DAY, api, contactStub, flushRecords, phone, settleSends, unique } from "./helpers";

const RETENTION_CRON = "30 3 * * *";

/** Run the daily retention cron as the runtime would. */
async function cron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: now(), cron: RETENTION_CRON }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Every archive object (key, etag) and its rows. */
async function archived(): Promise<Array<{ key: string; etag: string; rows: Record<string, unknown>[] }>> {
  const { objects } = await env.ARCHIVE.list({ prefix: "kind=" });
  return Promise.all(objects.map(async (o) => ({ key: o.key, etag: o.etag, rows: (await readArchive(env.ARCHIVE, o.key))! })));
}

/** The overview and templates reports of one day, without the instant they were made (and the live contact counts). */
async function reportsOf(day: string) {
  const get = async (kind: string) => {
    const { generatedAt: _g, contactsByStage: _c, ...body } = (await api("GET", `/v1/reports/${kind}?from=${day}&to=${day}`)).body;
    return body;
  };
  return { overview: await get("overview"), templates: (await get("templates")).templates };
}

beforeAll(async () => {
  await api("PUT", "/v1/templates/receipt", { body: "Order {{properties.order_id}} is on its way: https://shop.example/o/{{properties.order_id}}", job: "transactional", purpose: "transactional", properties: ["order_id"] });
});

describe("settings.retention", () => {
  it("refuses a retention shorter than a window that reads its rows, naming the field", async () => {
    const bad = await api("PUT", "/v1/settings/retention", { seen: "PT1H" });
    expect([bad.status, bad.type, bad.body.errors]).toEqual([400, "application/problem+json", [{ field: "seen", message: "between P1D and P3660D" }]]);
    const short = await api("PUT", "/v1/settings/retention", { messages: "P3D" });
    expect([short.status, short.type]).toEqual([400, "application/problem+json"]);
    expect(short.body.errors).toEqual([{ field: "messages", message: expect.stringContaining('cap "marketing_weekly" window (P7D)') }]);
    expect((await api("PUT", "/v1/settings/retention", { messages: "P10D" })).status).toBe(200);
    // A window that would outgrow the retention is refused where it is set.
    const caps = await api("PUT", "/v1/settings/caps", { rules: [{ name: "biweekly", window: "P14D", max: 4 }] });
    expect([caps.status, caps.body.errors]).toEqual([400, [{ field: "rules.0.window", message: expect.stringContaining("retention.messages (P10D)") }]]);
    const flow = await api("PUT", `/v1/flows/${unique("f")}`, { name: "Win-back", job: "reactivation", trigger: { event: "Lapsed" }, reentry: "P120D", steps: [{ wait: "PT1H" }] });
    expect([flow.status, flow.body.errors]).toEqual([400, [{ field: "reentry", message: expect.stringContaining("retention.runs (P90D)") }]]);
    expect((await api("PUT", "/v1/settings/retention", {})).body.value).toMatchObject({ messages: "P90D", consent: "P2555D" });
  });
});

describe("the daily prune", () => {
  const to = phone();
  let contactId = "";
  let afterFailure: Awaited<ReturnType<typeof archived>> = [];
  let before: { messages: Record<string, unknown>[]; decisions: number; clicks: number; report: unknown; day: string };

  beforeAll(async () => {
    const sent = await api("POST", "/v1/messages", { to, template: "receipt", properties: { order_id: "R-1" } });
    expect(sent.status).toBe(202);
    contactId = sent.body.contactId;
    await settleSends(`phone:${to}`);
    await flushRecords();
    const code = (await env.DB.prepare("SELECT code FROM links WHERE contact_id = ?").bind(contactId).first<{ code: string }>())?.code;
    expect(code).toBeTruthy();
    await worker.fetch(new Request(`http://tidings.test/l/${code}`), env, createExecutionContext());
    await flushRecords();
    const day = new Date(now()).toISOString().slice(0, 10);
    const rows = (sql: string) => env.DB.prepare(sql).bind(contactId).all<Record<string, unknown>>().then((r) => r.results);
    before = {
      messages: await rows("SELECT * FROM messages WHERE contact_id = ?"),
      decisions: (await rows("SELECT * FROM decisions WHERE contact_id = ?")).length,
      clicks: (await rows("SELECT * FROM clicks WHERE contact_id = ?")).length,
      report: await reportsOf(day),
      day,
    };
    expect([before.messages.length, before.decisions, before.clicks]).toEqual([1, 1, 1]);
    advanceClock(91 * DAY);
    // The first run fails after archiving the decisions, before deleting them (a real D1 refusal).
    await env.DB.prepare("CREATE TRIGGER keep_decisions BEFORE DELETE ON decisions BEGIN SELECT RAISE(ABORT, 'decisions refused'); END").run();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await expect(cron()).rejects.toThrow(/decisions refused/);
    } finally {
      await env.DB.prepare("DROP TRIGGER keep_decisions").run();
      errors.mockRestore();
    }
    afterFailure = await archived();
    await cron();
  });

  it("archives rows past retention before deleting them, and they read back as they were", async () => {
    const gone = await env.DB.prepare("SELECT (SELECT count(*) FROM messages WHERE contact_id = ?1) + (SELECT count(*) FROM decisions WHERE contact_id = ?1) + (SELECT count(*) FROM clicks WHERE contact_id = ?1) AS n").bind(contactId).first<{ n: number }>();
    expect(gone!.n).toBe(0);
    const list = await api("GET", `/v1/archive?kind=messages&from=${before.day}&to=${before.day}`);
    expect(list.status).toBe(200);
    expect(list.body.objects).toEqual([expect.objectContaining({ kind: "messages", day: before.day, key: expect.stringMatching(new RegExp(`^kind=messages/day=${before.day}/.+\\.ndjson\\.gz$`)) })]);
    expect(Math.abs(Date.parse(list.body.hotSince.messages) - (now() - 90 * DAY))).toBeLessThan(60_000);
    const backwards = await api("GET", "/v1/archive?from=2026-02-02&to=2026-02-01");
    expect([backwards.status, backwards.body.errors]).toEqual([400, [{ field: "query.from", message: "must not be after to" }]]);
    const rows = (await readArchive(env.ARCHIVE, list.body.objects[0].key))!.filter((r) => r.contact_id === contactId);
    // The same row, without the number and the body (the archive never holds what erasure removes).
    const { to: _to, body: _body, ...expected } = before.messages[0]!;
    expect(rows).toEqual([expected]);
    const kinds = (await archived()).filter((o) => o.rows.some((r) => r.contact_id === contactId)).map((o) => o.key.split("/")[0]);
    expect(kinds.sort()).toEqual(["kind=clicks", "kind=decisions", "kind=messages"]);
  });

  it("gives the same reports once the raw rows are gone (reports read the rollups)", async () => {
    expect(before.report).toMatchObject({ overview: { sent: 1, delivered: 1 }, templates: [expect.objectContaining({ template: "receipt", sent: 1 })] });
    expect(await reportsOf(before.day)).toEqual(before.report);
  });

  it("changes nothing when it runs again: the same objects, nothing lost", async () => {
    // The run after the failed one found the same decisions and named the same object: kept as it was.
    const decisions = (list: typeof afterFailure) => list.filter((o) => o.key.startsWith("kind=decisions/"));
    expect(decisions(afterFailure).length).toBeGreaterThan(0);
    expect(decisions(await archived())).toEqual(decisions(afterFailure));
    const first = await archived();
    await cron();
    expect(await archived()).toEqual(first);
  });

  it("leaves nothing for erasure to reach in the archive: no number, no body, no user agent", async () => {
    expect((await api("DELETE", `/v1/contacts/${contactId}`)).status).toBe(200);
    const text = JSON.stringify((await archived()).flatMap((o) => o.rows.filter((r) => r.contact_id === contactId)));
    expect(text).toContain(contactId);
    for (const held of [to, to.slice(1), "R-1", "shop.example", '"user_agent"', '"url"', '"body"']) expect(text).not.toContain(held);
  });
});

describe("a contact's own tables", () => {
  it("are pruned in bounded deletes, keeping what still reads them, and the sweep reaches a contact that never wakes", async () => {
    const userId = unique("u");
    const to = phone();
    await api("POST", "/v1/identify", { userId, traits: { phone: to } });
    for (const n of [1, 2, 3]) await api("POST", "/v1/track", { userId, event: "Viewed", messageId: unique(`e${n}`) });
    expect((await api("POST", "/v1/messages", { contact: `user:${userId}`, template: "receipt", properties: { order_id: "D-1" } })).status).toBe(202);
    await settleSends(`user:${userId}`);
    const { stub } = await contactStub(`user:${userId}`);
    // Three old decisions and dedupe keys, as months of activity would leave them.
    await runInDurableObject(stub, (_i: ContactDO, state) => {
      for (const n of [1, 2, 3]) {
        state.storage.sql.exec("INSERT INTO decisions (id, outcome, reason, at) VALUES (?, 'skipped', 'no_consent:marketing', ?)", `d_old${n}`, now() - 200 * DAY);
        state.storage.sql.exec("INSERT INTO seen (key, at) VALUES (?, ?)", `sms:old${n}`, now() - 200 * DAY);
      }
    });
    await flushRecords(); // the sweep walks D1's contacts projection
    const count = (table: string) => runInDurableObject(stub, (_i: ContactDO, state) => state.storage.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n as number);
    // A settled message keeps its body but no longer its copy of the trigger's properties.
    const message = () => runInDurableObject(stub, (_i: ContactDO, state) => state.storage.sql.exec("SELECT body, properties FROM messages").toArray());
    expect(await message()).toEqual([{ body: expect.stringContaining("Order D-1"), properties: "{}" }]);
    // One bounded call deletes at most its batch per table, and says there is more; the new message stays.
    const bounded = await runInDurableObject(stub, (_i: ContactDO, state) => pruneContact(new ContactStore(state.storage.sql), defaultSettings(), now(), 2));
    expect(bounded).toEqual({ deleted: { decisions: 2, seen: 2 }, more: true });
    // 91 days on, the sweep (the daily cron) prunes the rest; the current stage's entry and the event log (its own cap) stay.
    const events = await count("events");
    advanceClock(91 * DAY);
    await cron();
    const keys = await runInDurableObject(stub, (_i: ContactDO, state) => state.storage.sql.exec("SELECT key FROM seen").toArray().map((r) => r.key));
    expect([await count("messages"), await count("decisions"), keys, await count("stage_history"), await count("events")]).toEqual([0, 0, ["pruned"], 1, events]);
    // The sweep is bounded per run and resumes where it stopped; after the last contact it starts over.
    expect(await sweepContacts(env, { contacts: 1, page: 1, parallel: 1 })).toMatchObject({ contacts: 1, wrapped: false });
    expect(await sweepContacts(env, { contacts: 1, page: 1, parallel: 1 })).toMatchObject({ contacts: 0, wrapped: true });
    const timeline = (await api("GET", `/v1/contacts/user:${userId}/timeline`)).body;
    expect(timeline.olderHistory).toEqual({ before: expect.any(String), where: expect.stringContaining("GET /v1/archive") });
  });
});
