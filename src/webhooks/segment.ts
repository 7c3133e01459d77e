/**
 * Segment's Webhooks destination: one call per request (identify, track; other types are
 * acknowledged and ignored), or a batch (`{ batch: [...] }` or a JSON array). Calls go through the
 * same ingestion as `/v1/identify` and `/v1/track`, so a redelivered messageId records once.
 */
import type { FieldError } from "../http/problem";
import { fieldErrors } from "../http/problem";
import { type Call, ingest, normalise } from "../events/ingest";
import { IdentifyCall, TrackCall } from "../events/schema";

/** What a Segment delivery came to. */
export interface SegmentOutcome {
  accepted: number;
  duplicates: number;
  /** Calls of types Tidings does not read (page, screen, group, alias). */
  ignored: number;
  rejected: Array<{ index: number; errors: FieldError[] }>;
  /** For a single call: the contact it reached. */
  contactId?: string;
}

/** The calls of a delivery: a single call, `{ batch }` or an array. */
export function segmentCalls(body: unknown): { calls: unknown[]; batch: boolean } | undefined {
  if (Array.isArray(body)) return { calls: body, batch: true };
  if (!body || typeof body !== "object") return undefined;
  const b = body as { batch?: unknown };
  if (Array.isArray(b.batch)) return { calls: b.batch, batch: true };
  return { calls: [body], batch: false };
}

/** Validate and ingest calls; one person's calls keep their order, different people go in parallel. */
export async function ingestSegment(env: Env, calls: unknown[], batch: boolean): Promise<SegmentOutcome> {
  const out: SegmentOutcome = { accepted: 0, duplicates: 0, ignored: 0, rejected: [] };
  const groups = new Map<string, Array<{ call: Call; n: Extract<ReturnType<typeof normalise>, { ok: true }>; index: number }>>();
  calls.forEach((item, index) => {
    // Segment sends absent ids as null (`"anonymousId": null` on server calls): absent is what they mean.
    const raw = item && typeof item === "object" ? Object.fromEntries(Object.entries(item).filter(([, v]) => v !== null)) : item;
    const prefix = batch ? `batch.${index}` : "";
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === "string" && type !== "identify" && type !== "track") return void out.ignored++;
    const schema = type === "identify" ? IdentifyCall : type === "track" ? TrackCall : undefined;
    if (!schema) return void out.rejected.push({ index, errors: [{ field: prefix ? `${prefix}.type` : "type", message: 'must be "identify" or "track"' }] });
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return void out.rejected.push({ index, errors: fieldErrors(parsed.error, prefix) });
    const call = { ...parsed.data, type } as Call;
    const n = normalise(call, prefix ? `${prefix}.` : "");
    if (!n.ok) return void out.rejected.push({ index, errors: n.errors });
    const key = call.userId ? `u:${call.userId}` : `a:${call.anonymousId}`;
    groups.set(key, [...(groups.get(key) ?? []), { call, n, index }]);
  });
  await Promise.all(
    [...groups.values()].map(async (list) => {
      for (const { call, n, index } of list) {
        const r = await ingest(env, call, n.call, batch ? `batch.${index}.` : "");
        if (r.refused) {
          out.rejected.push({ index, errors: [r.refused] });
          continue;
        }
        out.accepted++;
        if (r.duplicate) out.duplicates++;
        if (!batch) out.contactId = r.contactId;
      }
    }),
  );
  return out;
}
