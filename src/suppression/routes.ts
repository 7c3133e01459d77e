/** `POST /v1/suppressions`, `DELETE /v1/suppressions/:phone`, `GET /v1/suppressions/:phone`: numbers never texted. */
import { z } from "@hono/zod-openapi";
import { auditStatement } from "../audit/audit";
import { now } from "../clock";
import { lookupAlias, toE164 } from "../contacts/identity";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { suppressionHash } from "./hash";

/** Suppressions sub-app. */
export const suppressions = newApp();

const Phone = z.object({ phone: z.string().min(3).max(40).openapi({ example: "+14155552671" }) });
const badPhone = () => badFields([{ field: "phone", message: "not a valid phone number (use E.164, e.g. +14155550100)" }]);

/** Tell the contact that owns the number, so its sends stop (or resume) at once. */
async function notifyOwner(env: Env, phone: string, on: boolean): Promise<void> {
  const owner = await lookupAlias(env, `phone:${phone}`);
  if (owner) await env.CONTACT.getByName(owner).suppress(phone, on);
}

suppressions.openapi(
  route("contacts:write", {
    method: "post",
    path: "/suppressions",
    tags: ["Suppression"],
    summary: "Add a number to the suppression list (stored only as a keyed hash)",
    request: { body: { required: true, content: { "application/json": { schema: Phone.extend({ reason: z.string().min(1).max(200).default("api") }).strict() } } } },
    responses: { 200: { description: "Suppressed (idempotent)" }, ...PROBLEMS },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const phone = toE164(body.phone);
    if (!phone) return badPhone();
    const hash = await suppressionHash(c.env.SUPPRESSION_KEY, phone);
    // The audit names the hash, never the number.
    await c.env.DB.batch([
      c.env.DB.prepare("INSERT OR IGNORE INTO suppressions (hash, reason, source, created_at) VALUES (?, ?, ?, ?)").bind(hash, body.reason, c.get("keyId"), now()),
      auditStatement(c, { action: "suppression.add", target: `suppression:${hash}`, after: { suppressed: true, reason: body.reason } }),
    ]);
    await notifyOwner(c.env, phone, true);
    return c.json({ suppressed: true, hash }, 200);
  },
);

suppressions.openapi(
  route("contacts:write", {
    method: "delete",
    path: "/suppressions/{phone}",
    tags: ["Suppression"],
    summary: "Remove a number from the suppression list",
    request: { params: Phone },
    responses: { 200: { description: "No longer suppressed" }, ...PROBLEMS },
  }),
  async (c) => {
    const phone = toE164(c.req.valid("param").phone);
    if (!phone) return badPhone();
    const hash = await suppressionHash(c.env.SUPPRESSION_KEY, phone);
    // Erasure is permanent: its row is what keeps the number from being imported or texted again.
    const erased = await c.env.DB.prepare("SELECT 1 FROM suppressions WHERE hash = ? AND reason = 'erased'").bind(hash).first();
    if (erased) return problem(409, "Number erased", "the number was erased under a personal-data request; erasure cannot be undone", { errors: [{ field: "phone", message: "erased" }] });
    const [r] = await c.env.DB.batch([
      c.env.DB.prepare("DELETE FROM suppressions WHERE hash = ? AND reason <> 'erased'").bind(hash),
      auditStatement(c, { action: "suppression.remove", target: `suppression:${hash}`, before: { suppressed: true }, after: { suppressed: false } }),
    ]);
    await notifyOwner(c.env, phone, false);
    return c.json({ suppressed: false, removed: r!.meta.changes > 0 }, 200);
  },
);

suppressions.openapi(
  route("read", {
    method: "get",
    path: "/suppressions/{phone}",
    tags: ["Suppression"],
    summary: "Whether a number is on the suppression list",
    request: { params: Phone },
    responses: { 200: { description: "The answer" }, ...PROBLEMS },
  }),
  async (c) => {
    const phone = toE164(c.req.valid("param").phone);
    if (!phone) return badPhone();
    const hash = await suppressionHash(c.env.SUPPRESSION_KEY, phone);
    const row = await c.env.DB.prepare("SELECT reason, created_at FROM suppressions WHERE hash = ?").bind(hash).first<{ reason: string; created_at: number }>();
    return c.json(row ? { suppressed: true, reason: row.reason, since: new Date(row.created_at).toISOString() } : { suppressed: false }, 200);
  },
);
