/** The `links` settings section: where short links point, how long they live, and the UTM names. */
import { z } from "@hono/zod-openapi";
import { Duration } from "../duration";

/** zod schema of the `links` settings section. */
export const LinksSection = z
  .object({
    /** Short links are `<base>/<code>`: a short custom domain in production (https://go.brand.example), the Worker's /l locally. */
    base: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8787/l"),
    /** How long a link keeps working. */
    ttl: Duration.default("P365D"),
    /** UTM parameter names (and the two fixed values); campaign is the flow key or "api", content the template key. */
    utm: z
      .object({
        enabled: z.boolean().default(true),
        source: z.string().default("sms"),
        medium: z.string().default("sms"),
        names: z
          .object({ source: z.string().default("utm_source"), medium: z.string().default("utm_medium"), campaign: z.string().default("utm_campaign"), content: z.string().default("utm_content") })
          .strict()
          .default({ source: "utm_source", medium: "utm_medium", campaign: "utm_campaign", content: "utm_content" }),
      })
      .strict()
      .default({ enabled: true, source: "sms", medium: "sms", names: { source: "utm_source", medium: "utm_medium", campaign: "utm_campaign", content: "utm_content" } }),
  })
  .strict();
/** The link settings. */
export type LinkSettings = z.infer<typeof LinksSection>;
