/** Segment Spec calls (identify, track, batch), validated with zod. */
import { z } from "@hono/zod-openapi";
import { callSizeErrors } from "../size-limits";

const Id = z.string().trim().min(1).max(200);
const Obj = z.record(z.string(), z.unknown());

const Common = {
  userId: Id.optional(),
  anonymousId: Id.optional(),
  messageId: z.string().min(1).max(200).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  context: z.object({ timezone: z.string().max(64).optional(), locale: z.string().max(35).optional() }).loose().optional(),
};

const needsId = <T extends { userId?: string; anonymousId?: string }>(v: T) => Boolean(v.userId || v.anonymousId);
const idMessage = { message: "userId or anonymousId is required", path: ["userId"] };

/** A call over its size limit (32 KB a call, 16 KB of traits) is refused naming its biggest field. */
export function withinSizeLimits(value: object, ctx: z.RefinementCtx): void {
  for (const e of callSizeErrors(value as Record<string, unknown>)) ctx.addIssue({ code: "custom", path: e.path, message: e.message });
}

/** zod schema of an identify call. */
export const IdentifyCall = z
  .object({ type: z.literal("identify").optional(), ...Common, traits: Obj.default({}) })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("IdentifyCall", {
    example: { userId: "u-123", anonymousId: "a-9", traits: { firstName: "Ada", phone: "+1 415 555 0100" }, context: { timezone: "America/Los_Angeles" } },
  });

/** zod schema of a track call. */
export const TrackCall = z
  .object({ type: z.literal("track").optional(), ...Common, event: z.string().trim().min(1).max(200), properties: Obj.default({}) })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("TrackCall", {
    example: { userId: "u-123", event: "Checkout Started", messageId: "evt-1", properties: { value: 42.5, currency: "USD", checkout_url: "https://shop.example/c/1" } },
  });

/** An identify call after validation. */
export type IdentifyCall = z.infer<typeof IdentifyCall>;
/** A track call after validation. */
export type TrackCall = z.infer<typeof TrackCall>;

/** zod schema of a batch: its calls are validated one by one, so one bad call does not sink the rest. */
export const BatchBody = z
  .object({ batch: z.array(z.unknown()).min(1).max(500) })
  .loose()
  .openapi("Batch", { example: { batch: [{ type: "track", userId: "u-123", event: "Product Viewed" }] } });

/** A call as the ContactDO receives it: normalised, phone already in E.164 and owned by the contact. */
export interface IngestCall {
  type: "identify" | "track";
  messageId: string;
  event?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  /** When it happened (epoch ms); defaults to when it arrived. */
  at?: number;
  /** `context.timezone`. */
  timezone?: string;
  /** `context.locale`: becomes the `locale` trait when the contact has none. */
  locale?: string;
  /** The E.164 phone this contact now owns, when the call carried one (the contact claims it). */
  phone?: string;
}
