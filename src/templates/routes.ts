/** `PUT /v1/templates/:key`, `GET /v1/templates`, `GET /v1/templates/:key`: versioned, variables checked at save. */
import { z } from "@hono/zod-openapi";
import { currentVersion, saveVersion } from "../db/versions";
import { PROBLEMS, newApp, route } from "../http/app";
import { type FieldError, badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { undeclaredVariables, variablesOf } from "./render";
import { TemplateBody } from "./schema";
import { segmentInfo } from "./segments";

/** Templates sub-app. */
export const templates = newApp();

const Key = z.object({ key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _").openapi({ example: "cart-reminder" }) });

templates.openapi(
  route("read", { method: "get", path: "/templates", tags: ["Templates"], summary: "Every template's current version", responses: { 200: { description: "Templates" }, ...PROBLEMS } }),
  async (c) => {
    const config = await getConfig(c.env.DB);
    return c.json({ templates: [...config.templates.values()].map((t) => ({ ...t, ...segmentInfo(t.body) })) }, 200);
  },
);

templates.openapi(
  route("read", {
    method: "get",
    path: "/templates/{key}",
    tags: ["Templates"],
    summary: "A template's current version",
    request: { params: Key },
    responses: { 200: { description: "The template" }, 404: { description: "No such template" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const row = await currentVersion(c.env.DB, "templates", key);
    if (!row) return problem(404, "Template not found", `no template ${key}`);
    const t = JSON.parse(row.body) as TemplateBody;
    return c.json({ key, version: row.version, ...t, ...segmentInfo(t.body) }, 200);
  },
);

templates.openapi(
  route("templates:write", {
    method: "put",
    path: "/templates/{key}",
    tags: ["Templates"],
    summary: "Create or change a template (a new version); undeclared variables are refused",
    request: { params: Key, body: { required: true, content: { "application/json": { schema: TemplateBody } } } },
    responses: { 200: { description: "Saved" }, ...PROBLEMS },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const body = c.req.valid("json");
    const config = await getConfig(c.env.DB);
    const errors: FieldError[] = [];
    for (const m of variablesOf(body.body).malformed) errors.push({ field: "body", message: `malformed variable ${m} (use {{name}} or {{name | default: "text"}})` });
    for (const v of undeclaredVariables(body.body, config.settings.traits.declared, body.properties)) {
      errors.push({
        field: "body",
        message: v.startsWith("properties.")
          ? `variable {{${v}}} is not declared: add "${v.slice(11)}" to properties`
          : `variable {{${v}}} is not declared: use a reserved trait, declare it in settings.traits, or use properties.<name>`,
      });
    }
    if (errors.length) return badFields(errors);
    const { version, changed } = await saveVersion(c.env.DB, "templates", key, body);
    return c.json({ key, version, changed, template: body, ...segmentInfo(body.body) }, 200);
  },
);
