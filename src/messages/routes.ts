/** `POST /v1/messages` (one-off sends, idempotent) and `GET /v1/messages`. */
import { z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { contactForPhone, resolveRef, toE164 } from "../contacts/identity";
import { messages as messagesTable } from "../db/schema";
import { Duration, parseDuration } from "../duration";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { sendRefusal } from "../templates/library";
import { Job, Purpose } from "../settings/schema";
import { iso } from "../clock";
import { erasedError, isErased } from "../privacy/erased";
import { withinSizeLimits } from "../events/schema";

/** Messages sub-app. */
export const messages = newApp();

const SendBody = z
  .object({
    contact: z.string().min(1).max(300).optional().openapi({ description: "Contact id or alias (user:…, phone:…)" }),
    to: z.string().min(3).max(40).optional().openapi({ description: "A phone number; its contact is found or created" }),
    template: z.string().min(1).max(64),
    properties: z.record(z.string(), z.unknown()).default({}),
    purpose: Purpose.optional(),
    job: Job.optional(),
    expires_in: Duration.optional(),
  })
  .strict()
  .refine((b) => Boolean(b.contact) !== Boolean(b.to), { message: "give exactly one of contact or to", path: ["contact"] })
  .superRefine(withinSizeLimits)
  .openapi("SendMessage", { example: { to: "+14155550100", template: "order-confirmation", properties: { order_id: "1001" } } });

async function fingerprint(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(value)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

messages.openapi(
  route("messages:send", {
    method: "post",
    path: "/messages",
    tags: ["Messages"],
    summary: "Send one message through the gate (Idempotency-Key: the same key returns the first answer)",
    request: {
      headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
      body: { required: true, content: { "application/json": { schema: SendBody } } },
    },
    responses: {
      202: { description: "Decided: queued for the gateway, deferred or skipped, with the reason" },
      409: { description: "The template is a draft" },
      422: { description: "Idempotency-Key reused with a different request" },
      ...PROBLEMS,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const config = await getConfig(c.env.DB);
    const refusal = sendRefusal(body.template, config.templates.get(body.template));
    if (refusal) return refusal;
    let contactId: string | undefined;
    if (body.to) {
      const phone = toE164(body.to);
      if (!phone) return badFields([{ field: "to", message: "not a valid phone number (use E.164, e.g. +14155550100)" }]);
      if (await isErased(c.env, phone)) return badFields([erasedError("to")]);
      contactId = await contactForPhone(c.env, phone, config.version);
    } else {
      contactId = await resolveRef(c.env, body.contact!);
      if (!contactId || !(await c.env.CONTACT.getByName(contactId).view())) return problem(404, "Contact not found", `no contact for ${body.contact}`);
    }
    const r = await c.env.CONTACT.getByName(contactId).sendOne(
      contactId,
      {
        idempotencyKey: key,
        fingerprint: await fingerprint(body),
        template: body.template,
        purpose: body.purpose,
        job: body.job,
        expiresInMs: body.expires_in ? parseDuration(body.expires_in) : undefined,
        properties: body.properties,
      },
      config.version,
    );
    if (r.conflict) return problem(422, "Idempotency-Key reused", "this Idempotency-Key was used with a different request");
    const d = r.decision;
    return c.json(
      {
        messageId: r.message.id,
        contactId,
        status: r.message.status,
        replayed: r.replayed,
        decision: d ? { outcome: d.outcome, reason: d.reason, until: iso(d.until), detail: d.detail ?? undefined } : undefined,
      },
      202,
    );
  },
);

messages.openapi(
  route("read", {
    method: "get",
    path: "/messages",
    tags: ["Messages"],
    summary: "Messages, newest first, optionally for one contact or flow",
    request: {
      query: z.object({
        contact: z.string().optional(),
        flow: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        before: z.coerce.number().int().optional().openapi({ description: "Cursor: createdAt (ms) of the last message of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of messages" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const contactId = q.contact ? await resolveRef(c.env, q.contact) : undefined;
    if (q.contact && !contactId) return c.json({ messages: [], next: null }, 200);
    const m = messagesTable;
    const rows = await drizzle(c.env.DB)
      .select()
      .from(m)
      .where(and(contactId ? eq(m.contactId, contactId) : undefined, q.flow ? eq(m.flowKey, q.flow) : undefined, q.before ? lt(m.createdAt, q.before) : undefined))
      .orderBy(desc(m.createdAt))
      .limit(q.limit);
    return c.json({ messages: rows, next: rows.length === q.limit ? rows[rows.length - 1]!.createdAt : null }, 200);
  },
);
