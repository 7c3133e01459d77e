/**
 * `/v1/broadcasts`: create (with its dry run), launch, pause, resume, cancel, and progress. Creating
 * and steering need `messages:send` (the sender role); reading needs `read`. Launch, pause, resume
 * and cancel are in the audit log.
 */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { saveVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { newId } from "../ids";
import { getConfig } from "../settings/config";
import { stagesOf } from "../settings/schema";
import { type BroadcastRow, type FanoutJob, forgetStatus } from "./fanout";
import { BroadcastBody, broadcastFlow, flowKeyOf } from "./schema";

/** Broadcasts sub-app. */
export const broadcasts = newApp();

const Id = z.object({ id: z.string().regex(/^b_[0-9a-z]{1,40}$/, "a broadcast id") });

/** Progress: the dry run's and the fan-out's counts, and the broadcast's messages by status and reason. */
async function progress(env: Env, b: BroadcastRow & { name: string; created_at: number; launched_at: number | null }) {
  const [pages, messages] = await env.DB.batch([
    env.DB.prepare("SELECT phase, count(*) AS pages, sum(contacts) AS contacts, json_group_array(json(counts)) AS counts FROM broadcast_pages WHERE broadcast_id = ? GROUP BY phase").bind(b.id),
    env.DB.prepare("SELECT status, coalesce(reason, '') AS reason, count(*) AS n FROM messages WHERE flow_key = ? GROUP BY status, reason").bind(b.flow_key),
  ]);
  const phases: Record<string, { pages: number; contacts: number; counts: Record<string, number> }> = {};
  for (const r of pages!.results as Array<{ phase: string; pages: number; contacts: number; counts: string }>) {
    const counts: Record<string, number> = {};
    for (const page of JSON.parse(r.counts) as Array<Record<string, number>>) for (const [k, v] of Object.entries(page)) counts[k] = (counts[k] ?? 0) + v;
    phases[r.phase] = { pages: r.pages, contacts: r.contacts, counts };
  }
  const byStatus: Record<string, number> = {};
  const notSent: Record<string, number> = {};
  for (const r of messages!.results as Array<{ status: string; reason: string; n: number }>) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
    if (r.status === "skipped" || r.status === "deferred") notSent[`${r.status}:${r.reason}`] = (notSent[`${r.status}:${r.reason}`] ?? 0) + r.n;
  }
  const body = JSON.parse(b.body) as BroadcastBody;
  return {
    ...body, id: b.id, status: b.status, flow: b.flow_key, createdAt: new Date(b.created_at).toISOString(),
    launchedAt: b.launched_at ? new Date(b.launched_at).toISOString() : null,
    dryRun: b.dry_run ? { status: b.dry_run, contacts: phases.dry_run?.contacts ?? 0, counts: phases.dry_run?.counts ?? {} } : null,
    fanout: phases.send ? { contacts: phases.send.contacts, counts: phases.send.counts } : null,
    messages: { byStatus, deferredOrSkipped: notSent },
  };
}

const load = (env: Env, id: string) =>
  env.DB.prepare("SELECT * FROM broadcasts WHERE id = ?").bind(id).first<BroadcastRow & { name: string; created_at: number; launched_at: number | null; fanout_done: number }>();

broadcasts.openapi(
  route("messages:send", {
    method: "post",
    path: "/broadcasts",
    tags: ["Broadcasts"],
    summary: "Create a broadcast (a draft) and start its dry run; the same Idempotency-Key returns the same broadcast",
    request: {
      headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
      body: { required: true, content: { "application/json": { schema: BroadcastBody } } },
    },
    responses: {
      201: { description: "Created; the dry run is under way" },
      200: { description: "Replayed (a dry run that never started is queued again)" },
      503: { description: "Created, but the dry run could not be queued: repeat the request with the same Idempotency-Key" },
      ...PROBLEMS,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    if (key) {
      const prior = await replay(c.env, key);
      if (prior) return prior;
    }
    const config = await getConfig(c.env.DB);
    const tpl = config.templates.get(body.template);
    const errors = [];
    if (!tpl) errors.push({ field: "template", message: `template ${body.template} does not exist` });
    else if (tpl.status !== "active") errors.push({ field: "template", message: `template ${body.template} is ${tpl.status}` });
    (body.variants ?? []).forEach((v, i) => {
      const t = config.templates.get(v.template);
      if (!t || t.status !== "active") errors.push({ field: `variants.${i}.template`, message: `template ${v.template} ${t ? `is ${t.status}` : "does not exist"}` });
      else if (tpl && t.purpose !== tpl.purpose) errors.push({ field: `variants.${i}.template`, message: `template ${v.template} is for ${t.purpose}, not ${tpl.purpose} like ${body.template}` });
    });
    const stages = stagesOf(config.settings);
    body.segment.stages.forEach((s, i) => {
      if (!stages.includes(s)) errors.push({ field: `segment.stages.${i}`, message: `stage ${s} is not one of ${stages.join(", ")}` });
    });
    if ("at" in body.sendAt && Date.parse(body.sendAt.at) < now() - 60_000) errors.push({ field: "sendAt.at", message: "is in the past" });
    if (errors.length || !tpl) return badFields(errors);
    const id = newId("b").toLowerCase();
    const flowKey = flowKeyOf(id);
    // The message's purpose is always the template's: `segment.consent` only narrows who is asked.
    const purpose = tpl.purpose;
    const t = now();
    // One D1 batch (one transaction): the broadcast, its flow and the audit entry are all written or none is.
    try {
      await saveVersion(c.env.DB, "flows", flowKey, broadcastFlow(body, purpose, tpl.job), () => [
        c.env.DB.prepare(
          "INSERT INTO broadcasts (id, name, status, body, flow_key, dry_run, idempotency_key, created_by, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?, 'running', ?, ?, ?, ?)",
        ).bind(id, body.name, JSON.stringify({ ...body, purpose }), flowKey, key ?? null, c.get("keyId"), t, t),
        auditStatement(c, { action: "broadcast.create", target: `broadcast:${id}`, after: body }),
      ]);
    } catch (err) {
      // Two requests with one Idempotency-Key at once: the unique key lets one in; the other's batch
      // rolls back whole and it answers with the one that got in.
      const prior = key ? await replay(c.env, key) : undefined;
      if (prior) return prior;
      throw err;
    }
    if (!(await startDryRun(c.env, id))) {
      return problem(503, "Dry run not started", `broadcast ${id} was created but its dry run could not be queued; repeat the request with the same Idempotency-Key, or POST /v1/broadcasts/${id}/dry-run`, { broadcast: id });
    }
    return c.json(await progress(c.env, (await load(c.env, id))!), 201);
  },
);

/** Queue the first page of a broadcast's dry run; false (logged) when the queue refused it. */
async function startDryRun(env: Env, id: string): Promise<boolean> {
  try {
    await env.BROADCAST_QUEUE.send({ id, phase: "dry_run", page: 0, after: "" } satisfies FanoutJob, { contentType: "json" });
    return true;
  } catch (err) {
    console.error(`broadcast ${id}: the dry run could not be queued`, err);
    return false;
  }
}

/**
 * The answer to a repeated Idempotency-Key: the broadcast it created. A dry run that is still
 * "running" with no page stored may never have been queued (the first request failed after its
 * commit), so it is queued again; fan-out pages are idempotent, so a second chain changes no count.
 */
async function replay(env: Env, key: string): Promise<Response | undefined> {
  const prior = await env.DB.prepare("SELECT id FROM broadcasts WHERE idempotency_key = ?").bind(key).first<{ id: string }>();
  if (!prior) return undefined;
  const b = (await load(env, prior.id))!;
  if (b.status === "draft" && b.dry_run === "running") {
    const page = await env.DB.prepare("SELECT 1 FROM broadcast_pages WHERE broadcast_id = ? AND phase = 'dry_run' LIMIT 1").bind(b.id).first();
    if (!page && !(await startDryRun(env, b.id))) {
      return problem(503, "Dry run not started", `broadcast ${b.id} exists but its dry run could not be queued; try again`, { broadcast: b.id });
    }
  }
  return Response.json(await progress(env, b), { status: 200 });
}

broadcasts.openapi(
  route("read", { method: "get", path: "/broadcasts", tags: ["Broadcasts"], summary: "Broadcasts, newest first", responses: { 200: { description: "Broadcasts" }, ...PROBLEMS } }),
  async (c) => {
    const { results } = await c.env.DB.prepare("SELECT id, name, status, dry_run, created_at, launched_at FROM broadcasts ORDER BY created_at DESC LIMIT 200").all();
    return c.json({ broadcasts: results }, 200);
  },
);

broadcasts.openapi(
  route("read", {
    method: "get",
    path: "/broadcasts/{id}",
    tags: ["Broadcasts"],
    summary: "A broadcast's progress: dry-run counts by reason, fan-out counts, messages by status (who got it, who will later, who did not and why)",
    request: { params: Id },
    responses: { 200: { description: "Progress" }, 404: { description: "No such broadcast" }, ...PROBLEMS },
  }),
  async (c) => {
    const b = await load(c.env, c.req.valid("param").id);
    return b ? c.json(await progress(c.env, b), 200) : problem(404, "Broadcast not found", "no such broadcast");
  },
);

/** What each action may start from, and where it leads. */
const ACTIONS = {
  launch: { from: ["draft"], to: "running" },
  pause: { from: ["running", "done"], to: "paused" },
  // Resuming a running broadcast restarts a stalled fan-out from its last stored page (pages are idempotent).
  resume: { from: ["paused", "running"], to: "running" },
  cancel: { from: ["draft", "running", "paused", "done"], to: "cancelled" },
} as const;

for (const action of Object.keys(ACTIONS) as Array<keyof typeof ACTIONS>) {
  broadcasts.openapi(
    route("messages:send", {
      method: "post",
      path: `/broadcasts/{id}/${action}`,
      tags: ["Broadcasts"],
      summary: {
        launch: "Launch: the fan-out starts through the queue",
        pause: "Pause: the fan-out stops and messages wait before the gateway",
        resume: "Resume after a pause",
        cancel: "Cancel: nothing more reaches the gateway",
      }[action],
      request: { params: Id },
      responses: { 200: { description: "Done (repeating an action already taken answers the same)" }, 404: { description: "No such broadcast" }, 409: { description: "Not possible from the current status" }, ...PROBLEMS },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = await load(c.env, id);
      if (!b) return problem(404, "Broadcast not found", "no such broadcast");
      const { from } = ACTIONS[action];
      // A fan-out that had finished before a pause is not reopened by resume (contacts added since stay out).
      const to = action === "resume" && b.fanout_done ? "done" : ACTIONS[action].to;
      if (b.status === to && action !== "resume") return c.json(await progress(c.env, b), 200); // a retried request
      if (!(from as readonly string[]).includes(b.status)) return problem(409, "Conflict", `cannot ${action} a broadcast that is ${b.status}`);
      const t = now();
      if (b.status === to) {
        await auditStatement(c, { action: "broadcast.resume", target: `broadcast:${id}`, before: { status: b.status, page: b.page }, after: { status: to } }).run();
        await c.env.BROADCAST_QUEUE.send({ id, phase: "send", page: b.page, after: b.cursor ?? "" } satisfies FanoutJob, { contentType: "json" });
        return c.json(await progress(c.env, b), 200);
      }
      // Conditional on the status read, so two concurrent actions cannot both apply.
      const [changed] = await c.env.DB.batch([
        c.env.DB.prepare(`UPDATE broadcasts SET status = ?, updated_at = ?${action === "launch" ? ", launched_at = ?" : ""} WHERE id = ? AND status = ? RETURNING id`)
          .bind(...(action === "launch" ? [to, t, t, id, b.status] : [to, t, id, b.status])),
        auditStatement(c, { action: `broadcast.${action}`, target: `broadcast:${id}`, before: { status: b.status }, after: { status: to } }),
      ]);
      if (!changed!.results.length) return problem(409, "Conflict", "the broadcast changed meanwhile; try again");
      forgetStatus(id);
      if (action === "launch" || (action === "resume" && to === "running")) {
        await c.env.BROADCAST_QUEUE.send({ id, phase: "send", page: b.page, after: b.cursor ?? "" } satisfies FanoutJob, { contentType: "json" });
      }
      return c.json(await progress(c.env, (await load(c.env, id))!), 200);
    },
  );
}

broadcasts.openapi(
  route("messages:send", {
    method: "post",
    path: "/broadcasts/{id}/dry-run",
    tags: ["Broadcasts"],
    summary: "Run a draft's dry run again (after settings, consent or contacts changed, or if it stalled)",
    request: { params: Id },
    responses: { 200: { description: "The dry run restarted" }, 404: { description: "No such broadcast" }, 409: { description: "Not a draft" }, ...PROBLEMS },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const b = await load(c.env, id);
    if (!b) return problem(404, "Broadcast not found", "no such broadcast");
    if (b.status !== "draft") return problem(409, "Conflict", `a dry run is for a draft; this broadcast is ${b.status}`);
    await c.env.DB.batch([
      c.env.DB.prepare("DELETE FROM broadcast_pages WHERE broadcast_id = ? AND phase = 'dry_run'").bind(id),
      c.env.DB.prepare("UPDATE broadcasts SET dry_run = 'running', updated_at = ? WHERE id = ?").bind(now(), id),
    ]);
    await c.env.BROADCAST_QUEUE.send({ id, phase: "dry_run", page: 0, after: "" } satisfies FanoutJob, { contentType: "json" });
    return c.json(await progress(c.env, (await load(c.env, id))!), 200);
  },
);
