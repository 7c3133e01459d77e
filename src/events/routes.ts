/**
 * Segment's HTTP tracking API: `POST /v1/identify`, `/track`, `/page`, `/screen`, `/group`, `/alias`
 * and `/batch`, plus the short paths analytics.js posts to (`/v1/i`, `/t`, `/p`, `/s`, `/g`, `/a`,
 * `/b`). Transport (write key, content type, size, CORS, browser keys) is src/events/edge.ts.
 */
import { z } from "@hono/zod-openapi";
import type { Context as HonoContext } from "hono";
import { now } from "../clock";
import { type AppEnv, PROBLEMS, newApp, route } from "../http/app";
import { requires } from "../http/auth";
import { type FieldError, badFields, fieldErrors, invalid, problem } from "../http/problem";
import { erasedError, isErased } from "../privacy/erased";
import { browserRefusal } from "./browser";
import { PAGE_VIEWED, SCREEN_VIEWED } from "../settings/vocabulary";
import { type BatchDefaults, personOf, toContactCalls } from "./calls";
import { type Call, ingest, joinPreviousUser, normalise } from "./ingest";
import { BatchBody, CALL_SCHEMAS, type CallType, type IngestCall, type SegmentCall } from "./schema";

/** Events sub-app. */
export const events = newApp();

type Ctx = HonoContext<AppEnv>;

const Accepted = z.object({ ok: z.literal(true), contactId: z.string(), duplicate: z.boolean() }).openapi("Accepted");
// analytics.js posts JSON as text/plain (no CORS preflight); both are read as JSON.
const body = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema }, "text/plain": { schema } }, required: true });
const MORE = {
  403: { description: "A browser key sent what only a server may (alias, consent events, a phone), or came from an origin it does not allow" },
  429: { description: "A browser key's rate for this client address is spent (Retry-After)" },
} as const;

/** A call ready to deliver: the ContactDO calls it became, normalised. */
interface Ready {
  call: SegmentCall;
  index: number;
  parts: Array<{ call: Call; n: IngestCall }>;
}
type Refused = { errors: FieldError[]; forbidden: boolean };

/** Browser policy, mapping and normalisation of one validated call. */
function prepare(call: SegmentCall, index: number, prefix: string, receivedAt: number, browser: boolean, batch?: BatchDefaults): Ready | Refused {
  if (browser) {
    const refusal = browserRefusal(call, prefix);
    if (refusal) return { errors: [refusal], forbidden: true };
  }
  const parts: Ready["parts"] = [];
  for (const c of toContactCalls(call, receivedAt, batch, !browser)) {
    const n = normalise(c, prefix);
    if (!n.ok) return { errors: n.errors, forbidden: false };
    parts.push({ call: c, n: n.call });
  }
  return { call, index, parts };
}

/** Deliver a prepared call to its contact(s); an erased number or a traits cap refuses it. */
async function deliver(env: Env, r: Ready, prefix: string): Promise<{ contactId: string; duplicate: boolean } | Refused> {
  for (const p of r.parts) {
    // An erased contact's number is never stored again (one D1 read, only when the call carries a phone).
    if (p.n.phone && (await isErased(env, p.n.phone))) return { errors: [erasedError(`${prefix}traits.phone`)], forbidden: false };
  }
  let last = { contactId: "", duplicate: false };
  for (const p of r.parts) {
    const out = await ingest(env, p.call, p.n, prefix);
    if (out.refused) return { errors: [out.refused], forbidden: false };
    last = out;
  }
  if (r.call.type === "alias") await joinPreviousUser(env, r.call.userId, r.call.previousId);
  return { contactId: last.contactId, duplicate: last.duplicate };
}

const refuse = (r: Refused, extra: Record<string, unknown> = {}) =>
  r.forbidden ? problem(403, "Forbidden", r.errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors: r.errors, ...extra }) : badFields(r.errors, extra);

/** One call of `type`, validated. */
async function acceptOne(c: Ctx, type: CallType, data: object): Promise<Response> {
  const ready = prepare({ ...data, type } as SegmentCall, 0, "", now(), c.get("browserOrigin") !== undefined);
  if ("errors" in ready) return refuse(ready);
  const r = await deliver(c.env, ready, "");
  if ("errors" in r) return refuse(r);
  return c.json({ ok: true as const, contactId: r.contactId, duplicate: r.duplicate }, 200);
}

const TYPES = Object.keys(CALL_SCHEMAS) as CallType[];

/** A batch: valid calls are accepted, the others listed by index. */
async function acceptBatch(c: Ctx, b: z.infer<typeof BatchBody>): Promise<Response> {
  const receivedAt = now();
  const browser = c.get("browserOrigin") !== undefined;
  const defaults: BatchDefaults = { sentAt: b.sentAt, context: b.context };
  const rejected: Array<{ index: number; errors: FieldError[] }> = [];
  let forbidden = 0;
  const groups = new Map<string, Ready[]>();
  b.batch.forEach((raw, index) => {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !TYPES.includes(type as CallType)) {
      return void rejected.push({ index, errors: [{ field: `batch.${index}.type`, message: `must be one of ${TYPES.join(", ")}` }] });
    }
    const parsed = CALL_SCHEMAS[type as CallType].safeParse(raw);
    if (!parsed.success) return void rejected.push({ index, errors: fieldErrors(parsed.error, `batch.${index}`) });
    const ready = prepare({ ...parsed.data, type } as SegmentCall, index, `batch.${index}.`, receivedAt, browser, defaults);
    if ("errors" in ready) {
      if (ready.forbidden) forbidden++;
      return void rejected.push({ index, errors: ready.errors });
    }
    // Calls for one person keep their order; different people go in parallel.
    const key = personOf(ready.call);
    groups.set(key, [...(groups.get(key) ?? []), ready]);
  });
  let accepted = 0;
  let duplicates = 0;
  await Promise.all(
    [...groups.values()].map(async (list) => {
      for (const ready of list) {
        const r = await deliver(c.env, ready, `batch.${ready.index}.`);
        if ("errors" in r) {
          rejected.push({ index: ready.index, errors: r.errors });
          continue;
        }
        accepted++;
        if (r.duplicate) duplicates++;
      }
    }),
  );
  rejected.sort((x, y) => x.index - y.index);
  if (!accepted) return refuse({ errors: rejected.flatMap((r) => r.errors), forbidden: forbidden === rejected.length }, { rejected });
  return c.json({ accepted, duplicates, rejected }, 200);
}

const SUMMARIES: Record<CallType, string> = {
  identify: "Identify a contact (traits, phone, time zone)",
  track: "Track an event",
  page: `A page view: the event \`${PAGE_VIEWED}\` (properties, name, category)`,
  screen: `A screen view: the event \`${SCREEN_VIEWED}\` (properties, name, category)`,
  group: "The contact's company: the trait `company` ({ id: groupId, ...traits })",
  alias: "Join previousId (an anonymousId or a former userId) to userId: the same merge as identify",
};

for (const type of TYPES) {
  events.openapi(
    route("events:write", {
      method: "post",
      path: `/${type}`,
      tags: ["Events"],
      summary: SUMMARIES[type],
      request: { body: body(CALL_SCHEMAS[type]) },
      responses: { 200: { description: "Accepted (a repeated messageId changes nothing)", content: { "application/json": { schema: Accepted } } }, ...PROBLEMS, ...MORE },
    }),
    (c) => acceptOne(c, type, c.req.valid("json") as object),
  );
}

const BatchResult = z
  .object({
    accepted: z.number(),
    duplicates: z.number(),
    rejected: z.array(z.object({ index: z.number(), errors: z.array(z.object({ field: z.string(), message: z.string() })) })),
  })
  .openapi("BatchResult");

events.openapi(
  route("events:write", {
    method: "post",
    path: "/batch",
    tags: ["Events"],
    summary: "Calls of any type, up to 500 KB a request; valid ones are accepted, invalid ones listed by index",
    request: { body: body(BatchBody) },
    responses: { 200: { description: "Per-call outcome", content: { "application/json": { schema: BatchResult } } }, ...PROBLEMS, ...MORE },
  }),
  (c) => acceptBatch(c, c.req.valid("json")),
);

/** analytics.js's paths: the call type's first letter (`/v1/t`), and `/v1/b` for its batches. */
export const SHORT_PATHS: Record<string, CallType | "batch"> = { i: "identify", t: "track", p: "page", s: "screen", g: "group", a: "alias", b: "batch" };

for (const [short, type] of Object.entries(SHORT_PATHS)) {
  events.post(`/${short}`, requires("events:write"), async (c) => {
    const raw: unknown = await c.req.json();
    if (type === "batch") {
      const b = BatchBody.safeParse(raw);
      return b.success ? acceptBatch(c, b.data) : invalid(b.error);
    }
    const parsed = CALL_SCHEMAS[type].safeParse(raw);
    return parsed.success ? acceptOne(c, type, parsed.data) : invalid(parsed.error);
  });
}
