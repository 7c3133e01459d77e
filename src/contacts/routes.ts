/** `GET /v1/contacts`, `GET /v1/contacts/:id`, `PUT /v1/contacts/:id/stage`. */
import { z } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { contacts as contactsTable } from "../db/schema";
import { audit } from "../audit/audit";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { stagesOf } from "../settings/schema";
import { resolveRef } from "./identity";

/** Contacts sub-app. */
export const contacts = newApp();

const Ref = z.object({
  id: z.string().min(1).max(300).openapi({ description: "Internal id (c_…) or alias: user:<userId>, anon:<anonymousId>, phone:<E.164>, shopify:<id>", example: "user:u-123" }),
});
const notFound = (ref: string) => problem(404, "Contact not found", `no contact for ${ref}`);

contacts.openapi(
  route("read", {
    method: "get",
    path: "/contacts",
    tags: ["Contacts"],
    summary: "List contacts from the D1 projection, optionally by stage",
    request: {
      query: z.object({
        stage: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        after: z.string().optional().openapi({ description: "Cursor: the last id of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of contacts" }, ...PROBLEMS },
  }),
  async (c) => {
    const { stage, limit, after } = c.req.valid("query");
    const db = drizzle(c.env.DB);
    const rows = await db
      .select()
      .from(contactsTable)
      .where(and(stage ? eq(contactsTable.stage, stage) : undefined, after ? gt(contactsTable.id, after) : undefined))
      .orderBy(asc(contactsTable.id))
      .limit(limit);
    return c.json({ contacts: rows, next: rows.length === limit ? rows[rows.length - 1]!.id : null }, 200);
  },
);

contacts.openapi(
  route("read", {
    method: "get",
    path: "/contacts/{id}",
    tags: ["Contacts"],
    summary: "A contact: stage and history, pending timers, runs, recent events and decisions",
    request: { params: Ref },
    responses: { 200: { description: "The contact" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const contactId = await resolveRef(c.env, id);
    const view = contactId ? await c.env.CONTACT.getByName(contactId).view() : undefined;
    return view ? c.json(view, 200) : notFound(id);
  },
);

contacts.openapi(
  route("contacts:write", {
    method: "put",
    path: "/contacts/{id}/stage",
    tags: ["Contacts"],
    summary: "Move a contact to a stage",
    request: {
      params: Ref,
      body: { required: true, content: { "application/json": { schema: z.object({ stage: z.string().min(1), reason: z.string().max(200).default("api") }).strict() } } },
    },
    responses: { 200: { description: "The stage was set" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { stage, reason } = c.req.valid("json");
    const config = await getConfig(c.env.DB);
    const stages = stagesOf(config.settings);
    if (!stages.includes(stage)) {
      return badFields([{ field: "stage", message: `not one of ${stages.join(", ")}` }]);
    }
    const contactId = await resolveRef(c.env, id);
    const before = contactId ? await c.env.CONTACT.getByName(contactId).view() : undefined;
    if (!contactId || !before) return notFound(id);
    const moved = await c.env.CONTACT.getByName(contactId).putStage(contactId, stage, `api:${reason}`);
    if (moved) await audit(c, { action: "contact.stage", target: `contact:${contactId}`, before: { stage: before.stage }, after: { stage, reason } });
    return c.json({ contactId, stage, changed: moved }, 200);
  },
);

contacts.openapi(
  route("read", {
    method: "get",
    path: "/contacts/{id}/timeline",
    tags: ["Contacts"],
    summary: "Events, stage and consent changes, decisions (with reason codes) and messages, newest first",
    request: {
      params: Ref,
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.string().max(400).optional().openapi({ description: "Cursor: `next` of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of the timeline" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { limit, before } = c.req.valid("query");
    let cursor: [number, number, string] | undefined;
    if (before) {
      try {
        cursor = JSON.parse(atob(before.replace(/-/g, "+").replace(/_/g, "/")));
        if (!Array.isArray(cursor) || cursor.length !== 3 || typeof cursor[0] !== "number" || typeof cursor[1] !== "number") throw new Error();
      } catch {
        return badFields([{ field: "before", message: "not a cursor from a previous page" }]);
      }
    }
    const contactId = await resolveRef(c.env, id);
    const stub = contactId ? c.env.CONTACT.getByName(contactId) : undefined;
    if (!stub || !(await stub.view())) return notFound(id);
    return c.json(await stub.timeline(limit, cursor), 200);
  },
);
