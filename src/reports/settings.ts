/** `settings.attribution`: which events are outcomes and how long a message keeps credit for them. */
import { z } from "@hono/zod-openapi";
import { Where } from "../conditions";
import { Duration } from "../duration";

const EventName = z.string().min(1).max(100);

/** The attribution section. */
export const AttributionSection = z
  .object({
    /** A click gives its message credit for conversions this long after the click. */
    clickWindow: Duration.default("P5D"),
    /** A delivery gives its message credit for conversions this long after delivery. */
    deliveryWindow: Duration.default("P1D"),
    /** A reply counts for the last message sent this long before it. */
    replyWindow: Duration.default("P1D"),
    /**
     * Brand-wide conversion events (besides every flow's goal), with revenue read from
     * `properties.revenue` (or `total`, `value`) and `properties.currency`.
     */
    conversions: z.array(z.object({ event: EventName, where: Where.optional() }).strict()).max(20).default([{ event: "Order Completed" }]),
    /** Service: an appointment (its time in `properties[timeProperty]`) and a missed one. */
    appointments: z
      .object({ booked: EventName.default("Appointment Booked"), missed: EventName.default("Appointment Missed"), timeProperty: z.string().min(1).max(60).default("appointment_at") })
      .strict()
      .default({ booked: "Appointment Booked", missed: "Appointment Missed", timeProperty: "appointment_at" }),
    /** B2B pipeline events. */
    b2b: z
      .object({ meeting: EventName.default("Meeting Booked"), opportunity: EventName.default("Opportunity Created"), won: EventName.default("Deal Won") })
      .strict()
      .default({ meeting: "Meeting Booked", opportunity: "Opportunity Created", won: "Deal Won" }),
  })
  .strict();

/** The attribution settings. */
export type AttributionSettings = z.infer<typeof AttributionSection>;
