/** `GET /v1/audit`: admin changes, newest first, filtered by action, target, key and time. */
import { z } from "@hono/zod-openapi";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields } from "../http/problem";

/** Audit sub-app. */
export const auditRoutes = newApp();

const Query = z.object({
  action: z.string().min(1).max(60).optional().openapi({ example: "template.save" }),
  target: z.string().min(1).max(300).optional().openapi({ example: "template:cart-reminder" }),
  key: z.string().min(1).max(64).optional().openapi({ description: "Key id (k_…, env:OWNER_KEY)" }),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().openapi({ description: "`next` of the previous page" }),
});

interface Row { id: string; at: number; key_id: string; role: string; action: string; target: string; before: string | null; after: string | null }

auditRoutes.openapi(
  route("read", {
    method: "get",
    path: "/audit",
    tags: ["Governance"],
    summary: "The audit log of admin changes (who, what, when, before/after), newest first",
    request: { query: Query },
    responses: { 200: { description: "A page of audit entries" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const where: string[] = [];
    const binds: unknown[] = [];
    if (q.action) where.push("action = ?"), binds.push(q.action);
    if (q.target) where.push("target = ?"), binds.push(q.target);
    if (q.key) where.push("key_id = ?"), binds.push(q.key);
    if (q.since) where.push("at >= ?"), binds.push(Date.parse(q.since));
    if (q.until) where.push("at < ?"), binds.push(Date.parse(q.until));
    if (q.cursor) {
      const [at, id] = q.cursor.split("~");
      if (!at || !id || !/^\d+$/.test(at)) return badFields([{ field: "cursor", message: "not a cursor from a previous page" }]);
      where.push("(at, id) < (?, ?)"), binds.push(Number(at), id);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, id DESC LIMIT ?`;
    const { results } = await c.env.DB.prepare(sql).bind(...binds, q.limit + 1).all<Row>();
    const page = results.slice(0, q.limit);
    const last = page[page.length - 1];
    const entries = page.map((r) => ({
      id: r.id, at: new Date(r.at).toISOString(), key: r.key_id, role: r.role, action: r.action, target: r.target,
      before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after),
    }));
    return c.json({ entries, next: results.length > q.limit && last ? `${last.at}~${last.id}` : null }, 200);
  },
);
