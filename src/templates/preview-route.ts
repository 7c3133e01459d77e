/** `POST /v1/templates/preview`: a saved template or an inline body, for a sample or a real contact, with cost. */
import { z } from "@hono/zod-openapi";
import type { ContactView } from "../contacts/rpc-types";
import { resolveRef, toE164 } from "../contacts/identity";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig, getTemplateVersion } from "../settings/config";
import { Job, Purpose } from "../settings/schema";
import { countryOfNumber } from "../time/phone-zones";
import { type PreviewTemplate, previewMessage } from "./preview";
import { Locales, TemplateKey } from "./schema";

/** The preview sub-app (mounted by the templates sub-app). */
export const previewRoutes = newApp();

const INLINE_ONLY = ["job", "purpose", "locales", "maxSegments"] as const;

const PreviewRequest = z
  .object({
    template: TemplateKey.optional().openapi({ description: "A saved template's key (or give an inline `body`)" }),
    version: z.number().int().min(1).optional().openapi({ description: "A saved template's version (default: current)" }),
    body: z.string().min(1).max(1600).optional().openapi({ description: "An inline template body" }),
    job: Job.optional(),
    purpose: Purpose.optional(),
    locales: Locales.optional(),
    maxSegments: z.number().int().min(1).max(10).optional(),
    smartEncoding: z.boolean().optional().openapi({ description: "Preview with smart encoding on or off (default: the template's, else the brand's)" }),
    contact: z.string().min(1).max(300).optional().openapi({ description: "A real contact: id or alias (user:…, phone:…)" }),
    traits: z.record(z.string(), z.unknown()).default({}).openapi({ description: "Sample traits (with `contact`: added over the contact's)" }),
    properties: z.record(z.string(), z.unknown()).default({}),
    country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 country code such as US").optional().openapi({ description: "Destination country (default: from the phone)" }),
    provider: z.string().min(1).max(40).optional().openapi({ description: "Price one provider (default: every provider in the price table)" }),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.template === undefined) === (b.body === undefined)) ctx.addIssue({ code: "custom", path: ["template"], message: "give exactly one of template (a saved key) or body (inline)" });
    if (b.version !== undefined && b.template === undefined) ctx.addIssue({ code: "custom", path: ["version"], message: "version needs template" });
    for (const f of INLINE_ONLY) {
      if (b.template !== undefined && b[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `${f} is only for an inline body; a saved template has its own` });
    }
  })
  .openapi("TemplatePreview", {
    example: { template: "cart-reminder", contact: "user:u-1", properties: { checkout_url: "https://shop.example/c/1" } },
  });

previewRoutes.openapi(
  route("read", {
    method: "post",
    path: "/templates/preview",
    tags: ["Templates"],
    summary: "Preview a message: text, encoding, segments, lint warnings, smart-encoding suggestion and cost",
    request: { body: { required: true, content: { "application/json": { schema: PreviewRequest } } } },
    responses: { 200: { description: "The preview" }, 404: { description: "No such contact" }, ...PROBLEMS },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const config = await getConfig(c.env.DB);
    const settings = config.settings;

    let tpl: PreviewTemplate;
    let saved: { key: string; version: number; status: string } | null = null;
    if (b.template !== undefined) {
      const t = b.version === undefined ? config.templates.get(b.template) : await getTemplateVersion(c.env.DB, config, b.template, b.version);
      if (!t) {
        return b.version === undefined || !config.templates.has(b.template)
          ? badFields([{ field: "template", message: `template ${b.template} does not exist` }])
          : badFields([{ field: "version", message: `template ${b.template} has no version ${b.version}` }]);
      }
      tpl = t;
      saved = { key: t.key, version: t.version, status: t.status };
    } else {
      tpl = { body: b.body!, job: b.job, purpose: b.purpose, locales: b.locales, maxSegments: b.maxSegments, smartEncoding: undefined };
    }
    if (b.provider && !settings.templates.prices[b.provider]) {
      return badFields([{ field: "provider", message: `no prices for ${b.provider}: the price table (settings.templates.prices) has ${Object.keys(settings.templates.prices).join(", ")}` }]);
    }

    let traits = b.traits;
    let phone = typeof b.traits.phone === "string" ? toE164(b.traits.phone) : undefined;
    let contactId: string | null = null;
    if (b.contact) {
      const id = await resolveRef(c.env, b.contact);
      // The RPC stub's inferred type of a nested view collapses to never; the shape is ContactView.
      const view = (id ? await c.env.CONTACT.getByName(id).view() : undefined) as ContactView | undefined;
      if (!id || !view) return problem(404, "Contact not found", `contact: no contact for ${b.contact}`, { errors: [{ field: "contact", message: `no contact for ${b.contact}` }] });
      contactId = id;
      traits = { ...view.traits, ...b.traits };
      phone = view.phone ?? phone;
    }
    const country = b.country ?? (phone ? countryOfNumber(phone) : undefined);
    const preview = previewMessage(tpl, { traits, properties: b.properties, brand: settings.brand }, settings, { country, provider: b.provider, smartEncoding: b.smartEncoding });
    return c.json({ template: saved, contact: contactId, ...preview }, 200);
  },
);
