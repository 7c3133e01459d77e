/** Template JSON as a brand writes it (`PUT /v1/templates/:key`). */
import { z } from "@hono/zod-openapi";
import { Job, Purpose } from "../settings/schema";

/** zod schema of a template body. */
export const TemplateBody = z
  .object({
    body: z.string().min(1).max(1600),
    job: Job,
    purpose: Purpose,
    status: z.enum(["draft", "active", "retired"]).default("active"),
    tags: z.array(z.string().min(1).max(40)).max(20).default([]),
    /** Event or one-off properties the body uses as `{{properties.<name>}}`. */
    properties: z.array(z.string().regex(/^[A-Za-z_][\w.]*$/)).max(50).default([]),
  })
  .strict()
  .openapi("Template", {
    example: {
      body: 'Hi {{firstName | default: "there"}}, you left something in your cart: {{properties.checkout_url}}',
      job: "conversion",
      purpose: "marketing",
      status: "active",
      tags: ["cart"],
      properties: ["checkout_url"],
    },
  });
/** A template definition. */
export type TemplateBody = z.infer<typeof TemplateBody>;

/** A stored template version. */
export interface TemplateVersion extends TemplateBody {
  key: string;
  version: number;
}
