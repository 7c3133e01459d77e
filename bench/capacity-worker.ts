/**
 * Bench-only Worker for bench/capacity.mjs and bench/latency.mjs (never deployed): the whole of
 * Tidings (its app, queue consumers and Durable Object classes) with counters around the runtime's
 * own APIs, and a clock the benchmark can set (`wrangler dev` has none).
 *
 * What it counts, from the runtime itself:
 *   - Durable Object requests: every call on a ContactDO, AliasDO or SenderDO stub, and every alarm.
 *   - DO SQLite: `rowsWritten` / `rowsRead` of every SQL cursor (index rows included, as billed),
 *     plus `setAlarm` / `deleteAlarm` calls (a storage write each), and each contact's
 *     `ctx.storage.sql.databaseSize` after each call.
 *   - D1: `meta.rows_written` / `meta.rows_read` of every `run`, `all` and `batch` result (`first`
 *     and `raw` give no meta: counted as queries only), and the database's page count × page size.
 *   - Worker requests (HTTP into the app), queue messages produced and consumed, consumer invocations.
 *
 * Bench endpoints (under /__bench, not counted):
 *   POST /__bench/clock {at}   set the product clock (now()) to `at`
 *   POST /__bench/tick         run the alarm of every contact whose earliest timer is due by now()
 *   GET  /__bench/stats        the counters, D1 bytes and DO bytes
 *   GET  /__bench/idle         queue messages produced vs consumed and requests in flight
 * The counters live in module scope: under `wrangler dev` the Worker and its Durable Objects share
 * one isolate, as in the vitest pool.
 */
import worker, { app, AliasDO as BaseAliasDO, ContactDO as BaseContactDO, SenderDO as BaseSenderDO } from "../src/index";
import { now, setClock } from "../src/clock";
import { onError } from "../src/http/problem";

// Errors logged as plain strings: wrangler's own error formatting is not running under --no-bundle, so objects would be lost.
const logError = console.error.bind(console);
console.error = (...parts: unknown[]) => logError(parts.map((p) => (p instanceof Error ? (p.stack ?? String(p)) : typeof p === "string" ? p : JSON.stringify(p))).join(" "));

/** The last errors the app answered 500 for (GET /__bench/errors). */
const errors: string[] = [];
app.onError((err, c) => {
  errors.push(`${c.req.method} ${c.req.path}: ${err?.stack ?? err}`);
  errors.splice(0, errors.length - 20);
  return onError(err, c);
});

const stats = {
  workerRequests: 0,
  doRequests: { ContactDO: 0, AliasDO: 0, SenderDO: 0 } as Record<string, number>,
  alarms: 0,
  doRowsWritten: 0,
  doRowsRead: 0,
  setAlarm: 0,
  deleteAlarm: 0,
  d1RowsWritten: 0,
  d1RowsRead: 0,
  d1Queries: 0,
  d1QueriesWithoutMeta: 0,
  queueProduced: 0,
  queueConsumed: {} as Record<string, number>,
  queueInvocations: 0,
  inFlight: 0,
};
/** Each Durable Object's last known SQLite size, by class and id. */
const sizes: Record<string, Map<string, number>> = { ContactDO: new Map(), AliasDO: new Map(), SenderDO: new Map() };
/** Each contact's earliest pending alarm in product time (null: none), by DO id. */
const dueAt = new Map<string, number | null>();
/** Cursors not yet added up (their counts grow while they are read). */
let cursors: Array<[string, SqlStorageCursor<Record<string, SqlStorageValue>>]> = [];
/** DO rows written by statement (its first 90 characters), for the breakdown. */
const writesBySql: Record<string, number> = {};
/** While true, D1 calls are not counted (the bench's own size query). */
let quiet = false;

/** Add up the cursors read so far. */
function settleCursors(): void {
  for (const [q, c] of cursors) {
    // Miniflare's own bookkeeping in each object's database (wrangler dev only), not the product's.
    if (q.includes("__miniflare")) continue;
    stats.doRowsWritten += c.rowsWritten;
    stats.doRowsRead += c.rowsRead;
    if (c.rowsWritten) writesBySql[q] = (writesBySql[q] ?? 0) + c.rowsWritten;
  }
  cursors = [];
}

let sqlPatched = false;
/** Count every SQL cursor and alarm write of every Durable Object (patched once, on the shared prototypes). */
function patchStorage(storage: DurableObjectStorage): void {
  if (sqlPatched) return;
  sqlPatched = true;
  const sqlProto = Object.getPrototypeOf(storage.sql);
  const exec = sqlProto.exec;
  sqlProto.exec = function (this: SqlStorage, ...args: unknown[]) {
    const c = exec.apply(this, args);
    cursors.push([String(args[0]).replace(/\s+/g, " ").trim().slice(0, 90), c]);
    return c;
  };
  const storageProto = Object.getPrototypeOf(storage);
  const setAlarm = storageProto.setAlarm;
  storageProto.setAlarm = function (this: DurableObjectStorage, ...args: unknown[]) {
    stats.setAlarm++;
    return setAlarm.apply(this, args);
  };
  const deleteAlarm = storageProto.deleteAlarm;
  storageProto.deleteAlarm = function (this: DurableObjectStorage, ...args: unknown[]) {
    stats.deleteAlarm++;
    return deleteAlarm.apply(this, args);
  };
}

let d1Patched = false;
/** Count rows read and written by every D1 statement and batch (patched once, on the shared prototypes). */
function patchD1(db: D1Database): void {
  if (d1Patched) return;
  d1Patched = true;
  const add = (meta: D1Meta | undefined) => {
    if (quiet) return;
    stats.d1Queries++;
    stats.d1RowsWritten += meta?.rows_written ?? 0;
    stats.d1RowsRead += meta?.rows_read ?? 0;
  };
  const dbProto = Object.getPrototypeOf(db);
  const batch = dbProto.batch;
  dbProto.batch = async function (this: D1Database, ...args: unknown[]) {
    const results = (await batch.apply(this, args)) as D1Result[];
    for (const r of results) add(r.meta);
    return results;
  };
  const stmtProto = Object.getPrototypeOf(db.prepare("SELECT 1"));
  for (const name of ["run", "all"]) {
    const fn = stmtProto[name];
    stmtProto[name] = async function (this: D1PreparedStatement, ...args: unknown[]) {
      const r = (await fn.apply(this, args)) as D1Result;
      add(r.meta);
      return r;
    };
  }
  for (const name of ["first", "raw"]) {
    const fn = stmtProto[name];
    stmtProto[name] = function (this: D1PreparedStatement, ...args: unknown[]) {
      if (!quiet) stats.d1QueriesWithoutMeta++;
      return fn.apply(this, args);
    };
  }
}

type DOClass = abstract new (ctx: DurableObjectState, env: Env) => { ctx?: DurableObjectState };

const BINDINGS: Record<string, string> = { CONTACT: "ContactDO", ALIAS: "AliasDO", SENDER: "SenderDO" };
const wrapped = new WeakMap<object, Env>();

/** `env` whose Durable Object stubs count each call as one request to their class (counted where the call is made). */
function countingEnv(env: Env): Env {
  const known = wrapped.get(env);
  if (known) return known;
  const stub = (s: any, name: string) =>
    new Proxy(s, {
      get(t, p) {
        const v = t[p];
        if (typeof v !== "function" || p === "then") return v;
        return (...args: unknown[]) => {
          stats.doRequests[name]!++;
          return Reflect.apply(v, t, args);
        };
      },
    });
  const namespace = (ns: any, name: string) =>
    new Proxy(ns, {
      get(t, p) {
        const v = t[p];
        if (typeof v !== "function") return v;
        if (p === "get" || p === "getByName") return (...args: unknown[]) => stub(Reflect.apply(v, t, args), name);
        return v.bind(t);
      },
    });
  const out = new Proxy(env, {
    get(t, p) {
      const v = (t as any)[p];
      return typeof p === "string" && BINDINGS[p] ? namespace(v, BINDINGS[p]!) : v;
    },
  });
  wrapped.set(env, out);
  return out;
}

/**
 * `base` with counters: its storage and D1 calls counted, its alarms counted, and after each of its
 * async methods the object's size (and `after`) noted. Requests are counted where they are made
 * (countingEnv), so a method calling another is one request.
 */
function counted<T extends DOClass>(name: string, base: T, after?: (self: any) => void): T {
  abstract class Counted extends (base as any) {
    constructor(ctx: DurableObjectState, env: Env) {
      patchStorage(ctx.storage);
      patchD1(env.DB);
      super(ctx, countingEnv(env));
    }
  }
  for (const key of Object.getOwnPropertyNames(base.prototype)) {
    if (key === "constructor") continue;
    const fn = (base.prototype as any)[key];
    // Only async methods: a sync one must stay sync (a private helper returning a plain value).
    if (typeof fn !== "function" || fn.constructor?.name !== "AsyncFunction") continue;
    (Counted.prototype as any)[key] = async function (this: any, ...args: unknown[]) {
      if (key === "alarm") stats.alarms++;
      try {
        return await fn.apply(this, args);
      } finally {
        settleCursors();
        sizes[name]!.set(this.ctx.id.toString(), this.ctx.storage.sql.databaseSize);
        after?.(this);
      }
    };
  }
  return Counted as unknown as T;
}

/** Remember when a contact's alarm is due, in product time (the DO keeps it in real time). */
function noteAlarm(self: { armedAt?: number | null; ctx: DurableObjectState }): void {
  const armed = self.armedAt;
  if (armed === undefined) return;
  dueAt.set(self.ctx.id.toString(), armed === null ? null : armed + (now() - Date.now()));
}

/** ContactDO with counters, and `benchAlarm()` for the benchmark's simulated time. */
export class ContactDO extends counted("ContactDO", BaseContactDO, noteAlarm) {
  /** Run the alarm now when its earliest timer is due in product time (the runtime's alarm would fire in real time). */
  async benchAlarm(): Promise<boolean> {
    const next = (this as any).store.first("SELECT min(due_at) AS at FROM timers")?.at as number | null | undefined;
    const pending = (this as any).store.first("SELECT 1 AS x FROM outbox LIMIT 1");
    // These two look-ups are the bench's, not the product's: not counted.
    cursors.splice(-2);
    if ((next == null || next > now()) && !pending) {
      noteAlarm(this as any);
      return false;
    }
    await (this as any).alarm();
    return true;
  }
}
export const AliasDO = counted("AliasDO", BaseAliasDO);
export const SenderDO = counted("SenderDO", BaseSenderDO);

/** Run `fn` over `items`, `limit` at a time. */
async function mapLimit<T>(items: T[], limit: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** The D1 database's size in bytes, from a result's `meta.size_after` (local D1 refuses PRAGMA page_count). */
async function d1Bytes(db: D1Database): Promise<number> {
  quiet = true;
  try {
    const r = await db.prepare("SELECT 1 AS x").all();
    return (r.meta as D1Meta & { size_after?: number }).size_after ?? NaN;
  } finally {
    quiet = false;
  }
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    patchD1(env.DB);
    const url = new URL(req.url);
    if (url.pathname === "/__bench/clock" && req.method === "POST") {
      const { at } = (await req.json()) as { at: number };
      setClock(at);
      return Response.json({ now: now() });
    }
    if (url.pathname === "/__bench/tick" && req.method === "POST") {
      const due = [...dueAt].filter(([, at]) => at !== null && at <= now()).map(([id]) => id);
      let ran = 0;
      await mapLimit(due, 8, async (id) => {
        const stub = env.CONTACT.get(env.CONTACT.idFromString(id)) as unknown as { benchAlarm(): Promise<boolean> };
        if (await stub.benchAlarm()) ran++;
      });
      return Response.json({ due: due.length, ran });
    }
    if (url.pathname === "/__bench/errors") return Response.json(errors);
    if (url.pathname === "/__bench/idle") {
      const consumed = Object.values(stats.queueConsumed).reduce((a, b) => a + b, 0);
      return Response.json({ produced: stats.queueProduced, consumed, inFlight: stats.inFlight });
    }
    if (url.pathname === "/__bench/stats") {
      settleCursors();
      const dos = Object.fromEntries(Object.entries(sizes).map(([k, m]) => [k, { objects: m.size, bytes: sum(m) }]));
      return Response.json({ ...stats, d1Bytes: await d1Bytes(env.DB), dos, writesBySql });
    }
    stats.workerRequests++;
    stats.inFlight++;
    try {
      return await worker.fetch(req, countingEnv(wrapQueues(env)), ctx);
    } finally {
      stats.inFlight--;
    }
  },
  async queue(batch: MessageBatch, env: Env, ctx: ExecutionContext): Promise<void> {
    patchD1(env.DB);
    stats.queueInvocations++;
    stats.inFlight++;
    try {
      await worker.queue(batch as never, countingEnv(wrapQueues(env)), ctx);
    } finally {
      stats.inFlight--;
      stats.queueConsumed[batch.queue] = (stats.queueConsumed[batch.queue] ?? 0) + batch.messages.length;
    }
  },
};

let queuesPatched = false;
/** Count queue messages produced (patched once on the producer binding's prototype; the DOs share it). */
function wrapQueues(env: Env): Env {
  if (queuesPatched) return env;
  queuesPatched = true;
  const proto = Object.getPrototypeOf(env.SEND_QUEUE);
  const send = proto.send;
  proto.send = function (this: Queue, ...args: unknown[]) {
    stats.queueProduced++;
    return send.apply(this, args);
  };
  const sendBatch = proto.sendBatch;
  proto.sendBatch = function (this: Queue, messages: Iterable<unknown>, ...rest: unknown[]) {
    const list = [...messages];
    stats.queueProduced += list.length;
    return sendBatch.call(this, list, ...rest);
  };
  return env;
}
