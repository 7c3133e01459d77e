/** `POST /v1/identify`, `/v1/track`, `/v1/batch`: Segment Spec ingestion. */
import { z } from "@hono/zod-openapi";
import { PROBLEMS, newApp, route } from "../http/app";
import { type FieldError, badFields, fieldErrors } from "../http/problem";
import { erasedError, isErased } from "../privacy/erased";
import { type Call, ingest, normalise } from "./ingest";
import { BatchBody, IdentifyCall, TrackCall } from "./schema";

/** Events sub-app. */
export const events = newApp();

const Accepted = z.object({ ok: z.literal(true), contactId: z.string(), duplicate: z.boolean() }).openapi("Accepted");
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

for (const [type, schema] of [["identify", IdentifyCall], ["track", TrackCall]] as const) {
  events.openapi(
    route("events:write", {
      method: "post",
      path: `/${type}`,
      tags: ["Events"],
      summary: type === "identify" ? "Identify a contact (traits, phone, time zone)" : "Track an event",
      request: { body: json(schema) },
      responses: { 200: { description: "Accepted (a repeated messageId changes nothing)", content: { "application/json": { schema: Accepted } } }, ...PROBLEMS },
    }),
    async (c) => {
      const call = { ...c.req.valid("json"), type } as Call;
      const n = normalise(call);
      if (!n.ok) return badFields(n.errors);
      // An erased contact's number is never stored again (one D1 read, only when the call carries a phone).
      if (n.call.phone && (await isErased(c.env, n.call.phone))) return badFields([erasedError("traits.phone")]);
      const r = await ingest(c.env, call, n.call);
      if (r.refused) return badFields([r.refused]);
      return c.json({ ok: true as const, contactId: r.contactId, duplicate: r.duplicate }, 200);
    },
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
    summary: "Several identify/track calls; valid ones are accepted, invalid ones listed by index",
    request: { body: json(BatchBody) },
    responses: { 200: { description: "Per-call outcome", content: { "application/json": { schema: BatchResult } } }, ...PROBLEMS },
  }),
  async (c) => {
    const { batch } = c.req.valid("json");
    const rejected: Array<{ index: number; errors: FieldError[] }> = [];
    const groups = new Map<string, Array<{ call: Call; n: ReturnType<typeof normalise> & { ok: true }; index: number }>>();
    batch.forEach((raw, index) => {
      const type = (raw as { type?: unknown } | null)?.type;
      const schema = type === "identify" ? IdentifyCall : type === "track" ? TrackCall : undefined;
      if (!schema) return rejected.push({ index, errors: [{ field: `batch.${index}.type`, message: 'must be "identify" or "track"' }] });
      const parsed = schema.safeParse(raw);
      if (!parsed.success) return rejected.push({ index, errors: fieldErrors(parsed.error, `batch.${index}`) });
      const call = { ...parsed.data, type } as Call;
      const n = normalise(call, `batch.${index}.`);
      if (!n.ok) return rejected.push({ index, errors: n.errors });
      // Calls for one person keep their order; different people go in parallel.
      const key = call.userId ? `u:${call.userId}` : `a:${call.anonymousId}`;
      groups.set(key, [...(groups.get(key) ?? []), { call, n, index }]);
    });
    let accepted = 0;
    let duplicates = 0;
    await Promise.all(
      [...groups.values()].map(async (list) => {
        for (const { call, n, index } of list) {
          if (n.call.phone && (await isErased(c.env, n.call.phone))) {
            rejected.push({ index, errors: [erasedError(`batch.${index}.traits.phone`)] });
            continue;
          }
          const r = await ingest(c.env, call, n.call, `batch.${index}.`);
          if (r.refused) {
            rejected.push({ index, errors: [r.refused] });
            continue;
          }
          accepted++;
          if (r.duplicate) duplicates++;
        }
      }),
    );
    if (!accepted) return badFields(rejected.flatMap((r) => r.errors), { rejected });
    return c.json({ accepted, duplicates, rejected }, 200);
  },
);
