/** `POST /v1/contacts/:id/consent`, `.../consent/confirm` and contact flags. */
import { z } from "@hono/zod-openapi";
import { audit } from "../audit/audit";
import { resolveRef } from "../contacts/identity";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { Purpose } from "../settings/schema";
import { SOURCE } from "./ledger";

/** Consent and flags sub-app. */
export const consent = newApp();

const Ref = z.object({ id: z.string().min(1).max(300).openapi({ example: "user:u-123" }) });
const Grant = z
  .object({
    purpose: Purpose,
    action: z.enum(["grant", "revoke"]),
    source: z.string().regex(SOURCE, "form, keyword, api, import, shopify or provider:<code>").default("api"),
    text: z.string().min(1).max(1000).optional().openapi({ description: "The text the person agreed to" }),
    at: z.iso.datetime({ offset: true }).optional(),
    proof: z.object({ ip: z.string().max(64).optional(), url: z.url().max(2000).optional(), userAgent: z.string().max(400).optional() }).strict().optional(),
  })
  .strict()
  .openapi("ConsentChange", { example: { purpose: "marketing", action: "grant", source: "form", text: "Yes, text me offers (up to 4/month).", proof: { ip: "203.0.113.7", url: "https://shop.example/join" } } });

/** The contact's id, or a 404 problem; 400 when the purpose is not declared in settings. */
async function target(env: Env, ref: string, purpose?: string): Promise<string | Response> {
  if (purpose && !["transactional", "marketing"].includes(purpose)) {
    const topics = (await getConfig(env.DB)).settings.consent.topics;
    if (!topics.includes(purpose)) return badFields([{ field: "purpose", message: `not transactional, marketing or a topic in settings.consent.topics (${topics.join(", ") || "none"})` }]);
  }
  const id = await resolveRef(env, ref);
  if (!id || !(await env.CONTACT.getByName(id).view())) return problem(404, "Contact not found", `no contact for ${ref}`);
  return id;
}

consent.openapi(
  route("contacts:write", {
    method: "post",
    path: "/contacts/{id}/consent",
    tags: ["Consent"],
    summary: "Grant or revoke consent for a purpose, with provenance (appended to the ledger)",
    request: { params: Ref, body: { required: true, content: { "application/json": { schema: Grant } } } },
    responses: {
      200: { description: "The purpose's state afterwards (pending under double opt-in), `applied: true`" },
      404: { description: "No such contact" },
      409: { description: "Recorded in the ledger but not applied: a STOP or revocation that only the person's own opt-in undoes, or a newer entry decides (`state`, `reason`)" },
      ...PROBLEMS,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const id = await target(c.env, c.req.valid("param").id, body.purpose);
    if (typeof id !== "string") return id;
    const before = (await c.env.CONTACT.getByName(id).view())?.consent[body.purpose] ?? "none";
    const { state, applied, reason } = await c.env.CONTACT.getByName(id).consent(id, { ...body, at: body.at ? Date.parse(body.at) : undefined });
    await audit(c, { action: `consent.${body.action}`, target: `contact:${id}`, before: { purpose: body.purpose, state: before }, after: { purpose: body.purpose, state, source: body.source, applied } });
    if (!applied) {
      return problem(409, "Consent not changed", notApplied(body.purpose, state, reason ?? "superseded"), { contactId: id, purpose: body.purpose, state, applied, reason, recorded: true });
    }
    return c.json({ contactId: id, purpose: body.purpose, state, applied }, 200);
  },
);

/** Why a recorded change did not change the state, for a developer reading the 409. */
function notApplied(purpose: string, state: string, reason: string): string {
  if (reason === "superseded") return `consent for ${purpose} is ${state}: a newer entry (by when it happened) decides it; this one is recorded`;
  const [held, why] = reason.split(":");
  const what = held === "stopped" ? "the number sent STOP" : `consent for ${purpose} was revoked`;
  const cause = why === "no_proof" ? "this grant carries no proof of the person's act (text, and proof.url or proof.ip)" : `a grant from ${why} never undoes it`;
  return `${what}, and only the person's own new opt-in undoes it (START, UNSTOP or YES from the number, or a grant with the text agreed to and the page or IP); ${cause}. It is recorded in the ledger, not applied.`;
}

consent.openapi(
  route("contacts:write", {
    method: "post",
    path: "/contacts/{id}/consent/confirm",
    tags: ["Consent"],
    summary: "Confirm a pending double opt-in",
    request: { params: Ref, body: { required: true, content: { "application/json": { schema: z.object({ purpose: Purpose, source: z.string().regex(SOURCE).default("api") }).strict() } } } },
    responses: { 200: { description: "The purpose's state afterwards" }, 404: { description: "No such contact" }, 409: { description: "Nothing pending to confirm" }, ...PROBLEMS },
  }),
  async (c) => {
    const { purpose, source } = c.req.valid("json");
    const id = await target(c.env, c.req.valid("param").id, purpose);
    if (typeof id !== "string") return id;
    // Confirming twice is fine (still granted); confirming what was never pending is not.
    const { state } = await c.env.CONTACT.getByName(id).consent(id, { purpose, action: "confirm", source });
    if (state !== "granted") return problem(409, "Nothing to confirm", `consent for ${purpose} is ${state}, not pending`);
    await audit(c, { action: "consent.confirm", target: `contact:${id}`, before: { purpose, state: "pending" }, after: { purpose, state, source } });
    return c.json({ contactId: id, purpose, state }, 200);
  },
);

const FlagRef = Ref.extend({ flag: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a flag name in snake_case") });

for (const [method, on] of [["put", true], ["delete", false]] as const) {
  consent.openapi(
    route("contacts:write", {
      method,
      path: "/contacts/{id}/flags/{flag}",
      tags: ["Contacts"],
      summary: on ? "Set a flag on a contact (eligibility rules read flags)" : "Clear a flag",
      request: { params: FlagRef },
      responses: { 200: { description: "Done (idempotent)" }, 404: { description: "No such contact" }, ...PROBLEMS },
    }),
    async (c) => {
      const { id: ref, flag } = c.req.valid("param");
      const id = await target(c.env, ref);
      if (typeof id !== "string") return id;
      const changed = await c.env.CONTACT.getByName(id).flag(id, flag, on, `api:${c.get("keyId")}`);
      if (changed) await audit(c, { action: on ? "flag.set" : "flag.clear", target: `contact:${id}`, before: { flag, set: !on }, after: { flag, set: on } });
      return c.json({ contactId: id, flag, set: on, changed }, 200);
    },
  );
}
