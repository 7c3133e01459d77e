/**
 * Personal data: `GET /v1/contacts/:id/export` (everything held about a contact) and
 * `DELETE /v1/contacts/:id` (erasure). Both are recorded in the audit log, by contact id only.
 */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { resolveRef } from "../contacts/identity";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
import { suppressionHash } from "../suppression/hash";
import { ERASED } from "./erased";
import { emitEvents } from "../outbound/deliveries";

/** Privacy sub-app. */
export const privacy = newApp();

const Ref = z.object({ id: z.string().min(1).max(300).openapi({ example: "user:u-123" }) });
const notFound = (ref: string) => problem(404, "Contact not found", `no contact for ${ref}`);

/** D1 tables keyed by contact id, exported as they are. */
const D1_TABLES = ["contacts", "messages", "decisions", "stage_changes", "flow_runs", "conversions", "clicks", "links", "tasks", "consent_changes"] as const;

/** JSON columns come back as text: give them back as JSON. */
function parsed(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === "string" && /^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all: keep the text
      }
    }
    out[k] = v;
  }
  return out;
}

privacy.openapi(
  route("read", {
    method: "get",
    path: "/contacts/{id}/export",
    tags: ["Privacy"],
    summary: "Everything held about a contact: its Durable Object (profile, consent ledger, events, messages, decisions, tasks…) and its D1 rows",
    request: { params: Ref },
    responses: { 200: { description: "The export" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id: ref } = c.req.valid("param");
    const id = await resolveRef(c.env, ref);
    // Typed loosely: RPC's recursive mapping of JSON rows is too deep for the checker.
    const held = (id ? await c.env.CONTACT.getByName(id).exportData() : undefined) as Record<string, Record<string, unknown>[]> | undefined;
    if (!id || !held) return notFound(ref);
    const contact = Object.fromEntries(Object.entries(held).map(([t, rows]) => [t, rows.map(parsed)]));
    const d1: Record<string, Record<string, unknown>[]> = {};
    const col = (t: string) => (t === "contacts" ? "id" : "contact_id");
    // A link's destination is stored once, in link_targets: the export shows it on the link.
    const select = (t: string) => (t === "links" ? "SELECT l.*, (SELECT url FROM link_targets WHERE id = l.target) AS url FROM links l" : `SELECT * FROM ${t}`);
    const answers = await c.env.DB.batch(D1_TABLES.map((t) => c.env.DB.prepare(`${select(t)} WHERE ${col(t)} = ?`).bind(id)));
    D1_TABLES.forEach((t, i) => (d1[t] = (answers[i]!.results as Record<string, unknown>[]).map(parsed)));
    const audit = await c.env.DB.prepare("SELECT * FROM audit_log WHERE target = ? ORDER BY at").bind(`contact:${id}`).all<Record<string, unknown>>();
    await auditStatement(c, { action: "contact.export", target: `contact:${id}`, after: { tables: Object.keys(contact).length + D1_TABLES.length } }).run();
    return c.json({ contactId: id, exportedAt: new Date(now()).toISOString(), contact, d1: { ...d1, audit_log: audit.results.map(parsed) } }, 200);
  },
);

privacy.openapi(
  route("contacts:write", {
    method: "delete",
    path: "/contacts/{id}",
    tags: ["Privacy"],
    summary: "Erase a contact: its Durable Object deleted, D1 rows anonymised, aliases removed, the number kept only as a keyed hash (reason erased)",
    request: { params: Ref },
    responses: { 200: { description: "Erased" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id: ref } = c.req.valid("param");
    const id = await resolveRef(c.env, ref);
    // Order matters, and every step may run again: the contact stops texting first, then the erased
    // numbers and the anonymised rows are written, then the aliases go, and the Durable Object last.
    // A failure anywhere leaves the contact in place (suppressed), and a retry finishes the erasure.
    const stub = id ? c.env.CONTACT.getByName(id) : undefined;
    const held = await stub?.beginErasure();
    if (!id || !stub || !held) return notFound(ref);
    const at = now();
    // Numbers this contact holds or held that no other contact holds now are erased (blocked for good);
    // a number another contact took since is that person's now, and only scrubbed from this contact's rows.
    const owners = await Promise.all(held.phones.map((p) => c.env.ALIAS.getByName(`phone:${p}`).lookup()));
    const owned = held.phones.filter((p, i) => !owners[i] || owners[i] === id || p === held.phone);
    const hashes = await Promise.all(owned.map((p) => suppressionHash(c.env.SUPPRESSION_KEY, p)));
    const db = c.env.DB;
    const list = held.phones.length ? held.phones : [""];
    const marks = list.map(() => "?").join(", ");
    await db.batch([
      ...hashes.map((h) => db.prepare("INSERT OR REPLACE INTO suppressions (hash, reason, source, created_at) VALUES (?, ?, ?, ?)").bind(h, ERASED, c.get("keyId"), at)),
      db.prepare("INSERT OR REPLACE INTO erasures (contact_id, at) VALUES (?, ?)").bind(id, at),
      db.prepare("DELETE FROM contacts WHERE id = ?").bind(id),
      db.prepare(`UPDATE messages SET "to" = NULL, body = NULL WHERE contact_id = ?`).bind(id),
      db.prepare("UPDATE tasks SET reply = NULL WHERE contact_id = ?").bind(id),
      // Short links can carry personal data in their URL, clicks a user agent: the links stop working.
      // Destinations only this contact's links used go too (a shared one is the template's URL, not the person's).
      db.prepare("DELETE FROM link_targets WHERE id IN (SELECT target FROM links WHERE contact_id = ?1) AND NOT EXISTS (SELECT 1 FROM links l WHERE l.target = link_targets.id AND l.contact_id <> ?1)").bind(id),
      db.prepare("DELETE FROM links WHERE contact_id = ?").bind(id),
      db.prepare("UPDATE clicks SET user_agent = NULL WHERE contact_id = ?").bind(id),
      db.prepare(`DELETE FROM sandbox_messages WHERE "to" IN (${marks})`).bind(...list),
      // Outbound webhook payloads carry no number; a task's reply text is removed from them.
      db.prepare("UPDATE webhook_deliveries SET payload = json_remove(payload, '$.data.reply') WHERE contact_id = ? AND type LIKE 'task.%'").bind(id),
      auditStatement(c, { action: "contact.erase", target: `contact:${id}`, before: { numbers: held.phones.length }, after: { erased: true, suppressionHashes: hashes } }),
    ]);
    for (const p of held.phones) await c.env.ALIAS.getByName(`phone:${p}`).release(id);
    await stub.erase();
    // The erasure is done whatever happens here: a failure to queue the event is logged, not answered as one.
    await emitEvents(c.env, [{ key: `contact.erased:${id}`, type: "contact.erased", contactId: id, at, data: { contactId: id, at: new Date(at).toISOString() } }])
      .catch((err) => console.error(`contact.erased webhook for ${id} not queued`, err));
    return c.json({ contactId: id, erased: true, numbersErased: hashes.length }, 200);
  },
);
