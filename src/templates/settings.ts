/** The `templates` settings section: how templates are checked, encoded and priced. */
import { z } from "@hono/zod-openapi";
import { Job } from "../settings/vocabulary";
import { EXAMPLE_PRICES, PriceTable } from "./prices";

/** zod schema of the `templates` settings section. */
export const TemplatesSection = z
  .object({
    /** Default maximum segments a template may use (a template's own `maxSegments` overrides it). */
    maxSegments: z.number().int().min(1).max(10).default(3),
    /** Replace look-alike characters when that makes a message GSM-7 (a template's own `smartEncoding` overrides it). */
    smartEncoding: z.boolean().default(false),
    /** Marketing templates must tell the reader how to opt out ("Reply STOP to opt out"). */
    requireOptOut: z.boolean().default(true),
    /** Jobs whose templates need a link (a URL, or a variable such as {{properties.checkout_url}}). */
    linkJobs: z.array(Job).max(7).default(["conversion"]),
    /** Price per segment by provider and destination country; the seeded rows are examples. */
    prices: PriceTable.default(() => structuredClone(EXAMPLE_PRICES)),
  })
  .strict();
/** The templates settings. */
export type TemplatesSettings = z.infer<typeof TemplatesSection>;
