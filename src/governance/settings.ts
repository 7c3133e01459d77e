/** `settings.governance`: thresholds of the governance report. */
import { z } from "@hono/zod-openapi";

/** Dates, "until", "ends", "expires", "last chance" and weekday/month names: an offer that goes stale. */
export const DEFAULT_OFFER_PATTERN =
  "\\b(until|ends?|ending|expires?|valid through|last (day|chance)|today only|this weekend)\\b|\\b\\d{1,2}[/.-]\\d{1,2}([/.-]\\d{2,4})?\\b|\\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.? \\d{1,2}\\b|\\b\\d{4}-\\d{2}-\\d{2}\\b";

/** The governance section. */
export const GovernanceSection = z
  .object({
    /** Days after a message in which a STOP or provider opt-out counts against its template and flow. */
    optOutWindowDays: z.number().int().min(1).max(90).default(3),
    /** Flag a template or flow above this opt-out rate (revocations ÷ messages sent). */
    optOutRate: z.number().min(0).max(1).default(0.02),
    /** Flag above this rate of revocations flagged for review (FCC reasonable means). */
    reviewRate: z.number().min(0).max(1).default(0.005),
    /** Rates of templates or flows with fewer messages are reported but not flagged. */
    minMessages: z.number().int().min(1).max(1_000_000).default(50),
    /** A template unchanged this long whose text carries a dated offer is flagged. */
    staleOfferDays: z.number().int().min(1).max(3650).default(60),
    /** What a dated offer looks like (case-insensitive regular expression). */
    offerPattern: z
      .string()
      .min(1)
      .max(1000)
      .refine((p) => {
        try {
          new RegExp(p, "i");
          return true;
        } catch {
          return false;
        }
      }, "not a valid regular expression")
      .default(DEFAULT_OFFER_PATTERN),
    /** How many rows the "most" lists keep (reasons, contacts). */
    top: z.number().int().min(1).max(100).default(10),
  })
  .strict();

/** The governance settings. */
export type GovernanceSettings = z.infer<typeof GovernanceSection>;
