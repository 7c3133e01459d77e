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
import { iso, now } from "../clock";
import { claimKey, fingerprint, noteKeyContact } from "./idempotency";
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

/** The 422 for a key already used with another request: names the header and what differs. */
const keyConflict = () =>
  problem(422, "Idempotency-Key reused", "this Idempotency-Key was used with a different request (within 24 hours)", {
    errors: [{ field: "idempotency-key", message: "already used with a different request body; use a new key for a new message" }],
  });

messages.openapi(
  route("messages:send", {
    method: "post",
    path: "/messages",
    tags: ["Messages"],
    summary: "Send one message through the gate (Idempotency-Key, global for 24 h: the same key and body return the first answer; another body under it is a 422)",
    request: {
      headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
      body: { required: true, content: { "application/json": { schema: SendBody } } },
    },
    responses: {
      202: { description: "Decided: queued for the gateway, deferred or skipped, with the reason" },
      409: { description: "The template is a draft" },
      422: { description: "Idempotency-Key already used with a different request in the last 24 hours" },
      ...PROBLEMS,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const config = await getConfig(c.env.DB);
    const refusal = sendRefusal(body.template, config.templates.get(body.template));
    if (refusal) return refusal;
    const phone = body.to ? toE164(body.to) : undefined;
    if (body.to && !phone) return badFields([{ field: "to", message: "not a valid phone number (use E.164, e.g. +14155550100)" }]);
    if (phone && (await isErased(c.env, phone))) return badFields([erasedError("to")]);
    // The same number written two ways is the same request.
    const print = await fingerprint({ ...body, to: phone });
    let contactId: string | undefined;
    if (body.contact) {
      contactId = await resolveRef(c.env, body.contact);
      if (!contactId || !(await c.env.CONTACT.getByName(contactId).view())) return problem(404, "Contact not found", `no contact for ${body.contact}`);
    }
    // Keys are global to the deployment: claimed (or found) before a number's contact is made.
    const claim = key ? await claimKey(c.env.DB, `messages:${key}`, print, now()) : undefined;
    if (claim && claim.fingerprint !== print) return keyConflict();
    // A replay goes to the contact the first request went to, even if the number changed hands since.
    contactId ??= claim?.contactId ?? (await contactForPhone(c.env, phone!, config.version));
    if (claim && !claim.contactId) await noteKeyContact(c.env.DB, `messages:${key}`, claim, contactId);
    const r = await c.env.CONTACT.getByName(contactId).sendOne(
      contactId,
      {
        // One message per claim of the key (a key reused after its 24 h is a new claim).
        idempotencyKey: claim ? `${key}@${claim.createdAt}` : undefined,
        fingerprint: print,
        template: body.template,
        purpose: body.purpose,
        job: body.job,
        expiresInMs: body.expires_in ? parseDuration(body.expires_in) : undefined,
        properties: body.properties,
      },
      config.version,
    );
    if (r.conflict) return keyConflict();
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
