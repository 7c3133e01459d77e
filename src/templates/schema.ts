/** Template JSON as a brand writes it (`PUT /v1/templates/:key`). */
import { z } from "@hono/zod-openapi";
import { Job, Purpose } from "../settings/schema";
import { LOCALE_TAG } from "./locale";

/** zod schema of a template key. */
export const TemplateKey = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a key: lower-case letters, digits, - and _");

/** Template statuses: only `active` templates are sent; `draft` is being written, `retired` is kept for history. */
export const TEMPLATE_STATUSES = ["draft", "active", "retired"] as const;

/** zod schema of the locale variants: locale tag → body. */
export const Locales = z
  .record(z.string().regex(LOCALE_TAG, "a locale tag such as fr or fr-CA"), z.string().min(1).max(1600))
  .refine((l) => Object.keys(l).length <= 30, "at most 30 locales")
  .superRefine((l, ctx) => {
    const seen = new Set<string>();
    for (const k of Object.keys(l)) {
      const tag = k.toLowerCase();
      if (seen.has(tag)) ctx.addIssue({ code: "custom", path: [k], message: `locale ${k} is given twice (tags ignore case)` });
      seen.add(tag);
    }
  });

/** zod schema of a template body. */
export const TemplateBody = z
  .object({
    body: z.string().min(1).max(1600),
    job: Job,
    purpose: Purpose,
    status: z.enum(TEMPLATE_STATUSES).default("active"),
    tags: z.array(z.string().min(1).max(40)).max(20).default([]),
    /** Event or one-off properties the body uses as `{{properties.<name>}}`. */
    properties: z.array(z.string().regex(/^[A-Za-z_][\w.]*$/)).max(50).default([]),
    /** Variants by the contact's `locale` trait; the body is the fallback. */
    locales: Locales.optional(),
    /** Maximum segments for this template (else settings.templates.maxSegments). */
    maxSegments: z.number().int().min(1).max(10).optional(),
    /** Smart encoding for this template (else settings.templates.smartEncoding). */
    smartEncoding: z.boolean().optional(),
  })
  .strict()
  .openapi("Template", {
    example: {
      body: 'Hi {{firstName | default: "there"}}, you left something in your cart: {{properties.checkout_url}} Reply STOP to opt out.',
      job: "conversion",
      purpose: "marketing",
      status: "active",
      tags: ["cart"],
      properties: ["checkout_url"],
      locales: { fr: 'Bonjour {{firstName}}, votre panier vous attend : {{properties.checkout_url}} STOP au 36111' },
    },
  });
/** A template definition. */
export type TemplateBody = z.infer<typeof TemplateBody>;

/** A stored template version. */
export interface TemplateVersion extends TemplateBody {
  key: string;
  version: number;
}
