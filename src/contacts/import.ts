/**
 * Contact import, NDJSON or CSV. The request streams the file, validates each row on its own
 * (errors reported with line numbers) and sends valid rows to the import queue in chunks, so a
 * 100,000-row file never sits in memory and the request stays short. The import consumer applies a
 * chunk with one ContactDO call per contact; every effect is keyed by a hash of the row, so
 * importing the same file again changes nothing. `GET /v1/imports/:id` shows the progress.
 */
import { z } from "@hono/zod-openapi";
import { SOURCE } from "../consent/ledger";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { type FieldError, badFields, fieldErrors, problem } from "../http/problem";
import { newId } from "../ids";
import { PROBLEMS, newApp, route } from "../http/app";
import { getConfig } from "../settings/config";
import { Purpose, stagesOf } from "../settings/schema";
import { erasedChecker, erasedError } from "../privacy/erased";
import { aliasOrCreate, contactIdFor, toE164 } from "./identity";
import { CsvReader } from "./csv";
import { withinSizeLimits } from "../events/schema";
import { jsonBytes } from "../size-limits";

/** Imports sub-app. */
export const imports = newApp();

const Id = z.string().trim().min(1).max(200);
const ConsentGrant = z
  .object({
    purpose: Purpose,
    source: z.string().regex(SOURCE, "form, keyword, api, import, shopify or provider:<code>").default("import"),
    at: z.iso.datetime({ offset: true }),
    text: z.string().min(1).max(1000).optional(),
    proof: z.object({ ip: z.string().max(64).optional(), url: z.string().max(2000).optional() }).strict().optional(),
  })
  .strict();

/** One import row (NDJSON object, or a CSV record mapped by its header). */
export const ImportRow = z
  .object({
    userId: Id.optional(),
    anonymousId: Id.optional(),
    phone: z.string().max(40).optional(),
    stage: z.string().min(1).max(40).optional(),
    traits: z.record(z.string(), z.unknown()).default({}),
    consent: z.union([ConsentGrant, z.array(ConsentGrant).max(20)]).optional(),
  })
  .strict()
  .refine((r) => r.userId || r.anonymousId || r.phone, { message: "a row needs userId, anonymousId or phone", path: ["userId"] })
  .superRefine(withinSizeLimits);

/** A row ready for its contact: phone in E.164, consent as a list, and the row's hash. */
export interface ImportRecord {
  line: number;
  /** Where the row goes: `user:<id>`, `phone:<E.164>` or `anon:<id>`. */
  key: string;
  hash: string;
  phone?: string;
  stage?: string;
  traits: Record<string, unknown>;
  consent: Array<{ purpose: string; source: string; at: number; text?: string; proof?: { ip?: string; url?: string } }>;
}

const MAX_ERRORS = 1000;
/** Rows per queue message (well under the 128 KB message limit for ordinary rows). */
const CHUNK_ROWS = 100;
/** Bytes of rows per chunk (one queue message, at most 128 KB) and per send (a batch, at most 256 KB); a row is at most 32 KB. */
const CHUNK_BYTES = 96_000;
const BATCH_BYTES = 200_000;

/** A queue message: one chunk of an import. */
export interface ImportChunk {
  importId: string;
  chunk: number;
  rows: ImportRecord[];
}

/** CSV header → row field: userId, anonymousId, phone, stage, consent_purpose/source/at/text; any other column is a trait. */
function csvRow(header: string[], fields: string[]): unknown {
  const row: Record<string, unknown> = { traits: {} };
  const consent: Record<string, string> = {};
  header.forEach((h, i) => {
    const v = fields[i]?.trim() ?? "";
    if (v === "") return;
    if (["userId", "anonymousId", "phone", "stage"].includes(h)) row[h] = v;
    else if (h.startsWith("consent_")) consent[h.slice(8)] = v;
    else (row.traits as Record<string, unknown>)[h.replace(/^traits\./, "")] = v;
  });
  if (Object.keys(consent).length) row.consent = consent;
  return row;
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

imports.openapi(
  route("contacts:write", {
    method: "post",
    path: "/contacts/import",
    tags: ["Contacts"],
    summary: "Import contacts from NDJSON (application/x-ndjson) or CSV (text/csv), streamed; idempotent",
    responses: { 202: { description: "Validated and queued: counts, per-row errors with line numbers, and the import id" }, ...PROBLEMS },
  }),
  async (c) => {
    const type = c.req.header("content-type") ?? "";
    const csv = /text\/csv/i.test(type);
    if (!csv && !/ndjson|jsonl|json-seq/i.test(type)) {
      return badFields([{ field: "content-type", message: "send application/x-ndjson or text/csv" }]);
    }
    if (!c.req.raw.body) return badFields([{ field: "(body)", message: "the file is empty" }]);
    const config = await getConfig(c.env.DB);
    const stages = stagesOf(config.settings);
    const erased = await erasedChecker(c.env);
    const importId = newId("imp");
    // The import's row is written with its first chunk (its consumer counts into it), so a file with no rows writes nothing.
    let created = false;
    const create = async () => {
      if (created) return;
      created = true;
      await c.env.DB.prepare("INSERT INTO imports (id, status, created_by, created_at, updated_at) VALUES (?, 'reading', ?, ?, ?)")
        .bind(importId, c.get("keyId"), now(), now()).run();
    };
    const errors: Array<{ line: number } & FieldError> = [];
    let rows = 0, accepted = 0, rejected = 0, chunkNo = 0;
    let chunk: ImportRecord[] = [];
    let chunkBytes = 0;
    const pending: ImportChunk[] = [];
    let pendingBytes = 0;

    const reject = (line: number, errs: FieldError[]) => {
      rejected++;
      for (const e of errs) if (errors.length < MAX_ERRORS) errors.push({ line, ...e });
    };
    // Queues take at most 128 KB per message and 256 KB per batch: chunks close at 100 rows or
    // CHUNK_BYTES, and a batch goes out at 10 chunks or before it would pass BATCH_BYTES.
    const send = async () => {
      if (!pending.length) return;
      await create();
      await c.env.IMPORT_QUEUE.sendBatch(pending.map((body) => ({ body, contentType: "json" as const })));
      pending.length = 0;
      pendingBytes = 0;
    };
    const flush = async (force = false) => {
      if (chunk.length) {
        if (pendingBytes + chunkBytes > BATCH_BYTES) await send();
        pending.push({ importId, chunk: chunkNo++, rows: chunk });
        pendingBytes += chunkBytes;
      }
      chunk = [];
      chunkBytes = 0;
      if (pending.length >= 10 || force) await send();
    };
    const take = async (line: number, raw: unknown) => {
      rows++;
      const parsed = ImportRow.safeParse(raw);
      if (!parsed.success) return reject(line, fieldErrors(parsed.error));
      const r = parsed.data;
      const phone = r.phone ? toE164(r.phone) : undefined;
      if (r.phone && !phone) return reject(line, [{ field: "phone", message: "not a valid phone number (use E.164)" }]);
      if (phone && (await erased(phone))) return reject(line, [erasedError("phone")]);
      if (r.stage && !stages.includes(r.stage)) return reject(line, [{ field: "stage", message: `not one of ${stages.join(", ")}` }]);
      const record: ImportRecord = {
        line,
        key: r.userId ? `user:${r.userId}` : phone ? `phone:${phone}` : `anon:${r.anonymousId}`,
        hash: await sha256(JSON.stringify(r)),
        phone,
        stage: r.stage,
        traits: r.traits,
        consent: (Array.isArray(r.consent) ? r.consent : r.consent ? [r.consent] : []).map((g) => ({ ...g, at: Date.parse(g.at) })),
      };
      const bytes = jsonBytes(record);
      accepted++;
      if (chunkBytes + bytes > CHUNK_BYTES) await flush();
      chunk.push(record);
      chunkBytes += bytes;
      if (chunk.length >= CHUNK_ROWS) await flush();
    };

    const reader = c.req.raw.body.pipeThrough(new TextDecoderStream()).getReader();
    if (csv) {
      const parser = new CsvReader();
      let header: string[] | undefined;
      const each = async (records: ReturnType<CsvReader["push"]>) => {
        for (const rec of records) {
          if (!header) header = rec.fields.map((h) => h.trim());
          else await take(rec.line, csvRow(header, rec.fields));
        }
      };
      for (let part = await reader.read(); !part.done; part = await reader.read()) await each(parser.push(part.value));
      await each(parser.end());
    } else {
      let rest = "";
      let line = 0;
      const each = async (text: string) => {
        line++;
        if (!text.trim()) return;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          return reject(line, [{ field: "(row)", message: "not valid JSON" }]);
        }
        await take(line, raw);
      };
      for (let part = await reader.read(); !part.done; part = await reader.read()) {
        const lines = (rest + part.value).split("\n");
        rest = lines.pop()!;
        for (const l of lines) await each(l);
      }
      if (rest) await each(rest);
    }
    await flush(true);
    if (!rows) return badFields([{ field: "(body)", message: "the file has no rows" }]);
    await create();
    const status = accepted ? "applying" : "done";
    await c.env.DB.batch([
      c.env.DB.prepare("UPDATE imports SET status = ?, rows = ?, accepted = ?, rejected = ?, errors = ?, updated_at = ? WHERE id = ?")
        .bind(status, rows, accepted, rejected, JSON.stringify(errors), now(), importId),
      auditStatement(c, { action: "contacts.import", target: `import:${importId}`, after: { format: csv ? "csv" : "ndjson", rows, accepted, rejected } }),
    ]);
    return c.json({ importId, status, rows, accepted, rejected, errors, errorsTruncated: errors.length >= MAX_ERRORS }, 202);
  },
);

imports.openapi(
  route("read", {
    method: "get",
    path: "/imports/{id}",
    tags: ["Contacts"],
    summary: "An import's progress: rows read, accepted, rejected (with errors), applied, unchanged",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: { 200: { description: "The import" }, 404: { description: "No such import" }, ...PROBLEMS },
  }),
  async (c) => {
    const row = await c.env.DB.prepare("SELECT * FROM imports WHERE id = ?").bind(c.req.valid("param").id).first<Record<string, unknown>>();
    if (!row) return problem(404, "Import not found", "no such import");
    const { created_by, created_at, updated_at, errors, ...rest } = row;
    return c.json({ ...rest, errors: JSON.parse(String(errors)), createdBy: created_by, createdAt: new Date(Number(created_at)).toISOString(), updatedAt: new Date(Number(updated_at)).toISOString() }, 200);
  },
);

/** The import queue's consumer: apply each chunk, one ContactDO call per contact, then count it once. */
export async function consumeImports(batch: MessageBatch<ImportChunk>, env: Env): Promise<void> {
  const { version } = await getConfig(env.DB);
  for (const msg of batch.messages) {
    const { importId, chunk, rows } = msg.body;
    try {
      const byContact = Map.groupBy(rows, (r) => r.key);
      let applied = 0, unchanged = 0;
      const refused: Array<{ line: number } & FieldError> = [];
      await Promise.all(
        [...byContact.entries()].map(async ([key, list]) => {
          const [kind, ...rest] = key.split(":");
          const value = rest.join(":");
          // The contact claims its rows' numbers itself (with their suppression and STOP).
          const contactId = kind === "phone" ? await aliasOrCreate(env, key) : await contactIdFor(kind as "user" | "anon", value);
          const r = await env.CONTACT.getByName(contactId).importRows(contactId, list, version);
          applied += r.applied;
          unchanged += list.length - r.applied - r.refused.length;
          for (const x of r.refused) refused.push({ line: x.line, field: `traits.${x.trait}`, message: x.message });
        }),
      );
      // Count the chunk once: a redelivered chunk changes no contact and no counter.
      await env.DB.batch([
        env.DB.prepare("INSERT OR IGNORE INTO import_chunks (import_id, chunk) VALUES (?, ?)").bind(importId, chunk),
        env.DB.prepare(
          `UPDATE imports SET applied = applied + ?, unchanged = unchanged + ?, failed = failed + ?, updated_at = ?,
             status = CASE WHEN applied + unchanged + failed + ? >= accepted THEN 'done' ELSE status END,
             errors = CASE WHEN ? = 0 THEN errors ELSE (SELECT json_group_array(json(value)) FROM
               (SELECT value FROM json_each(imports.errors) UNION ALL SELECT value FROM json_each(?) LIMIT ${MAX_ERRORS})) END
           WHERE id = ? AND changes() = 1`,
        ).bind(applied, unchanged, refused.length, now(), applied + unchanged + refused.length, refused.length, JSON.stringify(refused), importId),
      ]);
      msg.ack();
    } catch (err) {
      console.error(`import ${importId} chunk ${chunk} failed; retrying`, err);
      msg.retry({ delaySeconds: 5 });
    }
  }
}
