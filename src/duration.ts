/** ISO 8601 durations (PnW, PnDTnHnMnS): the unit of every wait, window and expiry. */
import { z } from "@hono/zod-openapi";

const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds in an ISO 8601 duration, or undefined when it is not one we accept (no years or months: their length varies). */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text);
  if (!m || text === "P" || text.endsWith("T")) return undefined;
  const [, w, d, h, min, s] = m;
  const n = (v: string | undefined) => (v ? Number(v) : 0);
  return ((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(min)) * 60 + n(s)) * 1000;
}

/** zod schema for an ISO 8601 duration such as "PT1H" or "P7D". */
export const Duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, {
    message: 'an ISO 8601 duration such as "PT30M", "PT1H" or "P7D" (weeks, days, hours, minutes, seconds)',
  })
  .openapi({ example: "PT1H" });

/** Milliseconds in a duration that may be negative ("-P1D": the day before), or undefined. */
export function parseSignedDuration(text: string): number | undefined {
  const negative = text.startsWith("-");
  const ms = parseDuration(negative ? text.slice(1) : text);
  return ms === undefined ? undefined : negative ? -ms : ms;
}

/** zod schema for a duration that may be negative, such as "-P1D". */
export const SignedDuration = z
  .string()
  .refine((v) => parseSignedDuration(v) !== undefined, { message: 'an ISO 8601 duration, optionally negative, such as "-P1D" or "PT2H"' })
  .openapi({ example: "-P1D" });
