/** `GET /v1/archive`: the archive objects in R2 (kind, day, rows), and since when each kind is still hot in D1. */
import { z } from "@hono/zod-openapi";
import { now } from "../clock";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields } from "../http/problem";
import { getConfig } from "../settings/config";
import { listArchive } from "./archive";
import { D1_KINDS, hotSince } from "./d1-prune";

/** Archive sub-app. */
export const archive = newApp();

const KINDS = D1_KINDS.filter((k) => k.archive !== false).map((k) => k.kind) as [string, ...string[]];
// Round-trip through Date so 2026-02-30 is refused rather than read as 2 March.
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD").refine((d) => {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}, "not a real date");

archive.openapi(
  route("read", {
    method: "get",
    path: "/archive",
    tags: ["Retention"],
    summary: "Archive objects in R2 (gzip NDJSON by kind and UTC day), oldest day first within a kind; and since when each kind is hot in D1",
    request: {
      query: z.object({
        kind: z.enum(KINDS).optional().openapi({ description: "Only this kind of record" }),
        from: Day.optional().openapi({ description: "First day (UTC), inclusive" }),
        to: Day.optional().openapi({ description: "Last day (UTC), inclusive" }),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        cursor: z.string().min(1).max(1024).optional().openapi({ description: "`cursor` of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of archive objects" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    if (q.from && q.to && q.from > q.to) return badFields([{ field: "query.from", message: "must not be after to" }]);
    const page = await listArchive(c.env.ARCHIVE, q);
    const { settings } = await getConfig(c.env.DB);
    return c.json({ ...page, hotSince: hotSince(settings, now()) }, 200);
  },
);
