// A new contact gets the current schema in one go; an old contact migrates step by step. Both
// must end with the same tables and columns.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import { ContactStore, FRESH, MIGRATIONS } from "../src/contacts/store";

function columns(sql: SqlStorage): Record<string, string[]> {
  const tables = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").toArray();
  return Object.fromEntries(
    tables.map((t) => [t.name as string, sql.exec(`PRAGMA table_info(${t.name as string})`).toArray().map((c) => `${c.name}:${c.type}:${c.notnull}:${c.dflt_value}:${c.pk}`)]),
  );
}

function dropAll(sql: SqlStorage) {
  for (const t of sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()) {
    sql.exec(`DROP TABLE ${t.name as string}`);
  }
}

it("gives a fresh contact exactly the schema the migrations build, and migrates an old one", async () => {
  const stub = env.CONTACT.getByName("schema-check");
  await runInDurableObject(stub, (_i: ContactDO, state) => {
    const sql = state.storage.sql;
    dropAll(sql);
    sql.exec(FRESH);
    const fresh = columns(sql);
    dropAll(sql);
    // An old contact: only the first migration ran, before versions were kept.
    sql.exec(MIGRATIONS[0]!);
    new ContactStore(sql);
    const migrated = columns(sql);
    expect(migrated).toEqual(fresh);
    expect(sql.exec("SELECT max(version) AS v FROM _schema").one().v).toBe(MIGRATIONS.length);
  });
});

it("stores an event as two billed rows (the row and its message_id index), and its seq keeps growing after a migration", async () => {
  const stub = env.CONTACT.getByName("schema-event-rows");
  await runInDurableObject(stub, (_i: ContactDO, state) => {
    const sql = state.storage.sql;
    dropAll(sql);
    // A contact from before: events under AUTOINCREMENT, its oldest trimmed away.
    sql.exec(MIGRATIONS[0]!);
    for (const id of ["a", "b", "c"]) sql.exec("INSERT INTO events (message_id, type, name, properties, at, received_at) VALUES (?, 'track', 'x', '{}', 1, 1)", id);
    sql.exec("DELETE FROM events WHERE message_id = 'a'");
    new ContactStore(sql);
    expect(sql.exec("SELECT message_id, seq FROM events ORDER BY seq").toArray()).toEqual([{ message_id: "b", seq: 2 }, { message_id: "c", seq: 3 }]);
    const write = sql.exec("INSERT INTO events (message_id, type, name, properties, at, received_at) VALUES ('d', 'track', 'x', '{}', 1, 1)");
    expect(write.rowsWritten).toBe(2);
    expect(sql.exec("SELECT seq FROM events WHERE message_id = 'd'").one().seq).toBe(4);
  });
});
