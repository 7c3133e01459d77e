/** `GET /v1/tasks`, `POST /v1/tasks/:id/ack`, `POST /v1/tasks/:id/done`: the owners' inbox. */
import { z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { tasks as tasksTable } from "../db/schema";
import { PROBLEMS, newApp, route } from "../http/app";
import { problem } from "../http/problem";
import { contactOfTask } from "./tasks";

/** Tasks sub-app. */
export const tasks = newApp();

tasks.openapi(
  route("read", {
    method: "get",
    path: "/tasks",
    tags: ["Tasks"],
    summary: "Tasks, soonest SLA first, by state and owner",
    request: {
      query: z.object({
        state: z.enum(["open", "acknowledged", "done", "breached"]).optional(),
        owner: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: { 200: { description: "Tasks" }, ...PROBLEMS },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const t = tasksTable;
    const rows = await drizzle(c.env.DB)
      .select()
      .from(t)
      .where(and(q.state ? eq(t.state, q.state) : undefined, q.owner ? eq(t.owner, q.owner) : undefined))
      .orderBy(asc(t.slaDueAt))
      .limit(q.limit);
    return c.json({ tasks: rows.map((r) => ({ ...r, slaDueAt: new Date(r.slaDueAt).toISOString() })) }, 200);
  },
);

for (const [verb, to] of [["ack", "acknowledged"], ["done", "done"]] as const) {
  tasks.openapi(
    route("tasks:write", {
      method: "post",
      path: `/tasks/{id}/${verb}`,
      tags: ["Tasks"],
      summary: verb === "ack" ? "Acknowledge a task (stops its SLA clock)" : "Close a task",
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: { description: "The task (idempotent)" }, 404: { description: "No such task" }, ...PROBLEMS },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const contactId = contactOfTask(id);
      const task = contactId ? await c.env.CONTACT.getByName(contactId).moveTask(contactId, id, to) : undefined;
      if (!task) return problem(404, "Task not found", `no task ${id}`);
      return c.json({ id: task.id, state: task.state, owner: task.owner, intent: task.intent }, 200);
    },
  );
}
