/**
 * What a message costs: a price table per provider and destination country, per segment, with its
 * currency, and a `default` row per provider for every other country. The table lives in the
 * `templates` settings section; the seeded rows are EXAMPLES (each says so in its `note`), not quotes.
 */
import { z } from "@hono/zod-openapi";

/** zod schema of one price: per segment, in a currency (ISO 4217). */
export const Price = z
  .object({
    perSegment: z.number().min(0).max(100),
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code such as USD"),
    note: z.string().max(200).optional(),
  })
  .strict();
/** One price row. */
export type Price = z.infer<typeof Price>;

const Provider = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "a provider name such as twilio");
const Country = z.string().regex(/^([A-Z]{2}|default)$/, "an ISO 3166-1 country code such as US, or default");

/** zod schema of the price table: provider → country (or `default`) → price. Every provider needs a `default` row. */
export const PriceTable = z
  .record(Provider, z.record(Country, Price))
  .superRefine((table, ctx) => {
    for (const [provider, rows] of Object.entries(table)) {
      if (!rows.default) ctx.addIssue({ code: "custom", path: [provider, "default"], message: `${provider} needs a default price for other countries` });
    }
  });
/** The price table. */
export type PriceTable = z.infer<typeof PriceTable>;

const EXAMPLE = "example price, not a quote: replace it with your provider's rate";

/** The seeded table: illustrative rates only, labelled as examples in every row. */
export const EXAMPLE_PRICES: PriceTable = {
  twilio: {
    US: { perSegment: 0.0083, currency: "USD", note: EXAMPLE },
    CA: { perSegment: 0.0083, currency: "USD", note: EXAMPLE },
    GB: { perSegment: 0.0463, currency: "USD", note: EXAMPLE },
    PL: { perSegment: 0.0519, currency: "USD", note: EXAMPLE },
    default: { perSegment: 0.06, currency: "USD", note: EXAMPLE },
  },
  smsapi: {
    PL: { perSegment: 0.16, currency: "PLN", note: EXAMPLE },
    default: { perSegment: 0.045, currency: "EUR", note: EXAMPLE },
  },
  sandbox: { default: { perSegment: 0, currency: "USD", note: "the sandbox sends nothing and costs nothing" } },
};

/** The cost of one message through one provider. */
export interface Cost {
  provider: string;
  /** The row used: the destination country, or "default". */
  row: string;
  perSegment: number;
  segments: number;
  /** perSegment × segments, rounded to 6 decimals. */
  total: number;
  currency: string;
  note?: string;
}

/** The cost of `segments` segments to `country` (undefined: unknown) through `provider`; undefined when the table has no such provider. */
export function costOf(table: PriceTable, provider: string, country: string | undefined, segments: number): Cost | undefined {
  const rows = table[provider];
  if (!rows) return undefined;
  const row = country && rows[country] ? country : "default";
  const price = rows[row];
  if (!price) return undefined;
  const total = Math.round(price.perSegment * segments * 1e6) / 1e6;
  return { provider, row, perSegment: price.perSegment, segments, total, currency: price.currency, ...(price.note ? { note: price.note } : {}) };
}
