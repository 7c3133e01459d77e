/** The `templates` settings section: how templates are checked and priced. */
import { z } from "@hono/zod-openapi";

/** zod schema of the `templates` settings section. */
export const TemplatesSection = z
  .object({
    /** Default maximum segments a template may use. */
    maxSegments: z.number().int().min(1).max(10).default(3),
  })
  .strict();
