/** `GET /v1/webhooks/deliveries`, `POST /v1/webhooks/deliveries/{id}/replay`, and the event schemas in /openapi.json. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { type DeliveryRow, replayDelivery } from "./deliveries";
import { EVENT_TYPES, envelopeSchema } from "./events";

/** Outbound webhooks sub-app. */
export const outbound = newApp();

const Query = z.object({
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  endpoint: z.string().min(1).max(60).optional().openapi({ description: "an endpoint id, or owner:<id> for a task owner" }),
  type: z.enum(EVENT_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: "`next` of the previous page" }),
});
const Id = z.object({ id: z.string().regex(/^whd_[0-9a-f]{32}$/, "a delivery id (whd_…)").openapi({ example: "whd_0123456789abcdef0123456789abcdef" }) });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A delivery as the API shows it. */
export function deliveryView(r: DeliveryRow) {
  return {
    id: r.id, webhookId: r.webhook_id, endpoint: r.endpoint, type: r.type, contactId: r.contact_id, status: r.status, attempts: r.attempts,
    lastStatus: r.last_status, lastAnswer: r.last_answer, nextAt: r.status === "pending" ? iso(r.next_at) : null, createdAt: iso(r.created_at),
    deliveredAt: iso(r.delivered_at), payload: JSON.parse(r.payload) as unknown,
  };
}

outbound.openapi(
  route("read", {
    method: "get",
    path: "/webhooks/deliveries",
    tags: ["Webhooks"],
    summary: "The outbound webhook delivery log, newest first: status, attempts, last answer",
    request: { query: Query },
    responses: { 200: { description: "A page of deliveries" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const where: string[] = [];
    const binds: unknown[] = [];
    if (q.status) where.push("status = ?"), binds.push(q.status);
    if (q.endpoint) where.push("endpoint = ?"), binds.push(q.endpoint);
    if (q.type) where.push("type = ?"), binds.push(q.type);
    if (q.cursor) {
      const m = /^(\d+)~(whd_[0-9a-f]{32})$/.exec(q.cursor);
      if (!m) return badFields([{ field: "cursor", message: "not a cursor from a previous page" }]);
      where.push("(created_at, id) < (?, ?)"), binds.push(Number(m[1]), m[2]);
    }
    const sql = `SELECT * FROM webhook_deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const { results } = await c.env.DB.prepare(sql).bind(...binds, q.limit + 1).all<DeliveryRow>();
    const page = results.slice(0, q.limit);
    const last = page[page.length - 1];
    return c.json({ deliveries: page.map(deliveryView), next: results.length > q.limit && last ? `${last.created_at}~${last.id}` : null }, 200);
  },
);

outbound.openapi(
  route("settings:write", {
    method: "post",
    path: "/webhooks/deliveries/{id}/replay",
    tags: ["Webhooks"],
    summary: "Send a delivery again, now, with the same webhook-id (receivers that already have it drop it)",
    request: { params: Id },
    responses: { 202: { description: "Queued" }, 404: { description: "No such delivery" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await replayDelivery(c.env, id);
    if (!row) return problem(404, "Not found", `no delivery ${id}`);
    return c.json(deliveryView(row), 202);
  },
);

/** Put every event type's payload schema in the OpenAPI document's `webhooks` (OpenAPI 3.1). */
export function documentWebhooks(app: OpenAPIHono<any>): void {
  for (const type of EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["Webhooks"],
      summary: `${type} (version 1), signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)`,
      request: { body: { required: true, content: { "application/json": { schema: envelopeSchema(type) } } } },
      responses: { 200: { description: "Any 2xx acknowledges; anything else is retried with backoff for 3 days" } },
    });
  }
}
