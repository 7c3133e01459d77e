/**
 * Generated bad input (property-based, fast-check): every operation of the Worker's own OpenAPI
 * document, and every webhook, receives requests that break one stated rule (test/bad-requests.ts,
 * test/bad-webhooks.ts). Whatever arrives: no 5xx; a refusal (4xx) that is problem+json; a 400, 415
 * or 422 that names the field it broke; and nothing written: every D1 table reads the same before and
 * after, and so does the contact a request was aimed at.
 *
 * Budget: RUNS requests per route (about 60 routes). Raise it for a deeper local run; to replay a
 * failure, copy the `seed` and `path` fast-check prints into REPLAY.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type BadRequest, badRequests, namesField, operations } from "./bad-requests";
import { type BadDelivery, badDeliveries, signed } from "./bad-webhooks";
import { OWNER, api, contactStub, flushRecords, phone, unique } from "./helpers";

/** Generated requests per route: the knob that keeps this file well under a minute. */
const RUNS = 10;
/** Replay a failure: `{ seed: …, path: "…", endOnFailure: true }` as fast-check printed it. */
const REPLAY: Partial<fc.Parameters<unknown>> = {};

const PROBLEM = "application/problem+json";
const doc = await (await exports.default.fetch("http://tidings.test/openapi.json")).json<any>();
const ops = operations(doc);

let tables: string[] | undefined;

/** Our D1 tables (not SQLite's, D1's or the migrations' own). */
async function d1Tables(): Promise<string[]> {
  tables ??= (
    await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*' AND name NOT GLOB 'd1_*' ORDER BY name").all<{ name: string }>()
  ).results.map((t) => t.name);
  return tables;
}

// The records queue's ping (flushRecords) is the test's own row, not the Worker's.
const rowsOf = (t: string) => `"${t}"${t === "meta" ? " WHERE key <> 'records_ping'" : ""}`;

/** The row count of every D1 table, in one query (checked around every request). */
async function d1Counts(): Promise<Record<string, number>> {
  const list = await d1Tables();
  return (await env.DB.prepare(`SELECT ${list.map((t) => `(SELECT count(*) FROM ${rowsOf(t)}) AS "${t}"`).join(", ")}`).first<Record<string, number>>())!;
}

/** Every row of every D1 table (compared around each route's whole run, so an update shows too). */
async function d1Rows(): Promise<Record<string, string[]>> {
  const list = await d1Tables();
  const answers = await env.DB.batch(list.map((t) => env.DB.prepare(`SELECT * FROM ${rowsOf(t)}`)));
  return Object.fromEntries(list.map((t, i) => [t, answers[i]!.results.map((r) => JSON.stringify(r)).sort()]));
}

/** The tables that differ, with their row counts before and after. */
function changed<T extends number | string[]>(before: Record<string, T>, after: Record<string, T>): string[] {
  const n = (x: T | undefined) => (typeof x === "number" ? x : (x?.length ?? 0));
  return Object.keys(after).filter((t) => JSON.stringify(before[t]) !== JSON.stringify(after[t])).map((t) => `${t}: ${n(before[t])} → ${n(after[t])} rows`);
}

let contact: { ref: string; id: string };
let publicBaseUrl: string;

/** Everything the contact's Durable Object holds. */
async function contactState(): Promise<string> {
  const { stub } = await contactStub(contact.id);
  return JSON.stringify(await (stub as any).exportData());
}

beforeAll(async () => {
  // One real contact (phone, traits, consent) for the routes that target a contact.
  const userId = unique("u");
  const r = await api("POST", "/v1/identify", { userId, traits: { phone: phone(), firstName: "Bea" } });
  expect(r.status).toBe(200);
  await api("POST", `/v1/contacts/user:${userId}/consent`, { purpose: "marketing", action: "grant", source: "form", text: "Yes, text me." });
  contact = { ref: `user:${userId}`, id: r.body.contactId };
  publicBaseUrl = (await api("GET", "/v1/settings/gateway")).body.value.publicBaseUrl;
  await flushRecords();
});

/** D1's counts as the last check left them: the next request's "before" (refused requests write nothing). */
let last: Record<string, number> | undefined;

/** Send one request and check the answer and the state around it. */
async function check(r: BadRequest | BadDelivery, opts: { aimsAtContact: boolean; fields?: string[] }) {
  const before = last ?? (await d1Counts());
  last = undefined;
  const contactBefore = opts.aimsAtContact ? await contactState() : undefined;
  const res = await exports.default.fetch(`http://tidings.test${r.path}`, {
    method: r.method,
    headers: r.headers,
    body: r.method === "GET" || r.method === "HEAD" ? undefined : r.body,
  });
  const text = await res.text();
  const where = `${r.method} ${r.path.slice(0, 160)} [${r.rule}] → ${res.status} ${text.slice(0, 300)}`;
  // A webhook whose secret is not configured is closed (503 naming the secret): a refusal, not a crash.
  if (res.status === 503 && r.path.startsWith("/webhooks") && /secret|token/i.test(text)) return expect(res.headers.get("content-type"), where).toBe(PROBLEM);
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  if (r.method !== "HEAD" && (r.path.startsWith("/v1") || r.path.startsWith("/webhooks"))) expect(res.headers.get("content-type"), where).toBe(PROBLEM);
  if ([400, 415, 422].includes(res.status)) {
    const errors = JSON.parse(text).errors;
    expect(Array.isArray(errors) && errors.length > 0 && errors.every((e: any) => typeof e.field === "string" && e.field && typeof e.message === "string"), `${where}: errors[] names no field`).toBe(true);
    if (opts.fields?.length) expect(opts.fields.some((f) => namesField(errors, f)), `${where}: should name ${opts.fields.join(" or ")}`).toBe(true);
  }
  const after = await d1Counts();
  expect(changed(before, after), `${where}: D1 rows written`).toEqual([]);
  last = after;
  if (contactBefore !== undefined) expect(await contactState(), `${where}: the contact changed`).toBe(contactBefore);
}

describe("every operation of /openapi.json", () => {
  it("lists the API's routes", () => {
    // The document is the contract: a document that lost its routes would make this file test nothing.
    expect(ops.length).toBeGreaterThanOrEqual(45);
  });

  for (const op of ops) {
    const aimsAtContact = op.path.startsWith("/v1/contacts/{id}");
    it(`${op.method} ${op.path} refuses generated bad requests without writing anything`, async () => {
      const start = await d1Rows();
      last = undefined;
      const base = { pathParams: (aimsAtContact ? { id: contact.ref } : {}) as Record<string, string>, authorization: `Bearer ${OWNER}` };
      await fc.assert(
        fc.asyncProperty(badRequests(doc, op, base), (r) => check(r, { aimsAtContact, ...(r.field ? { fields: [r.field] } : {}) })),
        { numRuns: RUNS, ...REPLAY },
      );
      // Nothing queued behind an answer either: once the records queue is drained, D1 is as it was.
      await flushRecords();
      expect(changed(start, await d1Rows())).toEqual([]);
    });
  }
});

describe("contact imports (streamed files the OpenAPI document has no schema for)", () => {
  it("refuses a file with no rows, NDJSON or CSV, without writing anything", async () => {
    const blank = (chars: string[]) => fc.array(fc.constantFrom(...chars), { maxLength: 6 }).map((parts) => parts.join(""));
    const file = fc.oneof(
      blank(["", " ", "\n", "\r\n", "\t"]).map((body) => ({ type: "application/x-ndjson", body })),
      // A CSV with its header and nothing under it but line breaks.
      fc.tuple(fc.subarray(["userId", "phone", "stage", "firstName", "consent_marketing"], { minLength: 1 }), blank(["\n", "\r\n"])).map(([cols, tail]) => ({ type: "text/csv", body: cols.join(",") + tail })),
    );
    const start = await d1Rows();
    last = undefined;
    await fc.assert(
      fc.asyncProperty(file, ({ type, body }) =>
        check({ rule: `${type} with no rows`, method: "POST", path: "/v1/contacts/import", headers: { authorization: `Bearer ${OWNER}`, "content-type": type }, body }, { aimsAtContact: false, fields: ["(body)"] }),
      ),
      { numRuns: RUNS, ...REPLAY },
    );
    await flushRecords();
    expect(changed(start, await d1Rows())).toEqual([]);
  });
});

describe("every webhook", () => {
  for (const name of Object.keys(badDeliveries({ smsapi: "" }, ""))) {
    it(`${name} refuses generated bad deliveries without writing anything`, async () => {
      const e = env as unknown as Record<string, string>;
      const secrets = { twilio: e.TWILIO_AUTH_TOKEN!, smsapi: e.SMSAPI_CALLBACK_SECRET!, shopify: e.SHOPIFY_WEBHOOK_SECRET!, segment: e.SEGMENT_WEBHOOK_SECRET! };
      const start = await d1Rows();
      last = undefined;
      await fc.assert(
        fc.asyncProperty(badDeliveries(secrets, contact.id)[name]!, async (d) => {
          const r = await signed(d, secrets, publicBaseUrl);
          await check(r, { aimsAtContact: true, ...(r.fields ? { fields: r.fields } : {}) });
        }),
        { numRuns: RUNS, ...REPLAY },
      );
      await flushRecords();
      expect(changed(start, await d1Rows())).toEqual([]);
    });
  }
});
