/** The product's words that many schemas share: jobs and purposes. */
import { z } from "@hono/zod-openapi";

/** What a message is for; reports group by it. */
export const JOBS = ["acquisition", "activation", "conversion", "transactional", "retention", "service", "reactivation"] as const;
/** zod schema of a job. */
export const Job = z.enum(JOBS).openapi({ example: "conversion" });
/** A job. */
export type Job = z.infer<typeof Job>;

/** zod schema of a consent purpose: `transactional`, `marketing`, or a brand topic in snake_case. */
export const Purpose = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "a purpose: transactional, marketing, or a brand topic in snake_case")
  .openapi({ example: "marketing" });

/** The event a Segment `page` call becomes (properties, `name`, `category`): flows and rules trigger on it by this name. */
export const PAGE_VIEWED = "Page Viewed";
/** The event a Segment `screen` call becomes (properties, `name`, `category`). */
export const SCREEN_VIEWED = "Screen Viewed";
/** Event names Tidings and its integrations know (Segment's e-commerce spec, Shopify, consent, B2B), offered by the flow builder. */
export const EVENT_NAMES = [
  "Subscribed",
  "Unsubscribed",
  "Product Viewed",
  "Checkout Started",
  "Order Completed",
  "Order Cancelled",
  "Pricing Viewed",
  "Appointment Booked",
  "Appointment Missed",
  "Meeting Booked",
  "Opportunity Created",
  PAGE_VIEWED,
  SCREEN_VIEWED,
] as const;
