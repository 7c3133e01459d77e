/**
 * Segment Spec calls (identify, track, page, screen, group, alias, batch), validated with zod as
 * Segment's clients send them: absent ids as `null` (analytics.js), numeric ids, `context.library`,
 * `integrations`, `_metadata` and any other extra field are accepted; `integrations` is ignored.
 */
import { z } from "@hono/zod-openapi";
import { callSizeErrors } from "../size-limits";

const Obj = z.record(z.string(), z.unknown());

/** An id as Segment accepts it: a string or a number (kept as its string); null or blank is absent. */
const Id = z
  .union([z.string().max(200), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v).trim() || undefined));
/** An id a call cannot do without. */
const RequiredId = z.union([z.string().trim().min(1).max(200), z.number()]).transform(String);
/** A JSON object that clients may send as `null` for "none". */
const Bag = Obj.nullish().transform((v) => v ?? {});
/** ISO 8601 (with an offset, or none: UTC), or null (absent). */
const Instant = z.iso.datetime({ offset: true, local: true }).nullish().transform((v) => v ?? undefined);

/** zod schema of `context`: what Tidings reads of it (the rest, `library`, `page`, `userAgent`…, is kept as sent). */
export const Context = z
  .object({
    timezone: z.string().max(64).nullish().transform((v) => v ?? undefined),
    locale: z.string().max(35).nullish().transform((v) => v ?? undefined),
    traits: Bag.optional(),
  })
  .loose();

const Common = {
  userId: Id,
  anonymousId: Id,
  messageId: z.string().min(1).max(200).nullish().transform((v) => v ?? undefined),
  /** When it happened, by the sender's clock. */
  timestamp: Instant,
  /** When the sender sent it, by the same clock: `timestamp` is corrected by (received − sentAt). */
  sentAt: Instant,
  /** Segment's name for `timestamp` as the device saw it; used when `timestamp` is absent. */
  originalTimestamp: Instant,
  context: Context.nullish().transform((v) => v ?? undefined),
  /** Which destinations Segment should forward to: nothing for Tidings to do. */
  integrations: z.unknown().optional(),
};

const needsId = (v: { userId?: string; anonymousId?: string }) => Boolean(v.userId || v.anonymousId);
const idMessage = { message: "userId or anonymousId is required", path: ["userId"] };

/** A call over its size limit (32 KB a call, 16 KB of traits) is refused naming its biggest field. */
export function withinSizeLimits(value: object, ctx: z.RefinementCtx): void {
  for (const e of callSizeErrors(value as Record<string, unknown>)) ctx.addIssue({ code: "custom", path: e.path, message: e.message });
}

/** zod schema of an identify call. */
export const IdentifyCall = z
  .object({ type: z.literal("identify").optional(), ...Common, traits: Bag })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("IdentifyCall", {
    example: { userId: "u-123", anonymousId: "a-9", traits: { firstName: "Ada", phone: "+1 415 555 0100" }, context: { timezone: "America/Los_Angeles" } },
  });

/** zod schema of a track call. */
export const TrackCall = z
  .object({ type: z.literal("track").optional(), ...Common, event: z.string().trim().min(1).max(200), properties: Bag })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("TrackCall", {
    example: { userId: "u-123", event: "Checkout Started", messageId: "evt-1", properties: { value: 42.5, currency: "USD", checkout_url: "https://shop.example/c/1" } },
  });

const Named = { name: z.string().max(200).nullish().transform((v) => v ?? undefined), category: z.string().max(200).nullish().transform((v) => v ?? undefined), properties: Bag };

/** zod schema of a page call: becomes the event `Page Viewed`. */
export const PageCall = z
  .object({ type: z.literal("page").optional(), ...Common, ...Named })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("PageCall", {
    example: { anonymousId: "a-9", name: "Pricing", category: "Docs", properties: { path: "/pricing", url: "https://shop.example/pricing", title: "Pricing" } },
  });

/** zod schema of a screen call: becomes the event `Screen Viewed`. */
export const ScreenCall = z
  .object({ type: z.literal("screen").optional(), ...Common, ...Named })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("ScreenCall", { example: { userId: "u-123", name: "Cart", properties: { items: 2 } } });

/** zod schema of a group call: the company is recorded as the contact's `company` trait. */
export const GroupCall = z
  .object({ type: z.literal("group").optional(), ...Common, groupId: RequiredId, traits: Bag })
  .loose()
  .refine(needsId, idMessage)
  .superRefine(withinSizeLimits)
  .openapi("GroupCall", { example: { userId: "u-123", groupId: "acme", traits: { name: "Acme Inc.", plan: "enterprise" } } });

/** zod schema of an alias call: `previousId` (an anonymousId or a former userId) is joined to `userId`. */
export const AliasCall = z
  .object({ type: z.literal("alias").optional(), ...Common, userId: RequiredId, previousId: RequiredId })
  .loose()
  .superRefine(withinSizeLimits)
  .openapi("AliasCall", { example: { userId: "u-123", previousId: "a-9" } });

/** An identify call after validation. */
export type IdentifyCall = z.infer<typeof IdentifyCall>;
/** A track call after validation. */
export type TrackCall = z.infer<typeof TrackCall>;
/** A page call after validation. */
export type PageCall = z.infer<typeof PageCall>;
/** A screen call after validation. */
export type ScreenCall = z.infer<typeof ScreenCall>;
/** A group call after validation. */
export type GroupCall = z.infer<typeof GroupCall>;
/** An alias call after validation. */
export type AliasCall = z.infer<typeof AliasCall>;

/** The Segment call types and their schemas. */
export const CALL_SCHEMAS = { identify: IdentifyCall, track: TrackCall, page: PageCall, screen: ScreenCall, group: GroupCall, alias: AliasCall } as const;
/** A Segment call type. */
export type CallType = keyof typeof CALL_SCHEMAS;
/** `context` after validation. */
export type Context = z.infer<typeof Context>;
/** A validated Segment call of any type, with its type. */
export type SegmentCall =
  | (IdentifyCall & { type: "identify" })
  | (TrackCall & { type: "track" })
  | (PageCall & { type: "page" })
  | (ScreenCall & { type: "screen" })
  | (GroupCall & { type: "group" })
  | (AliasCall & { type: "alias" });

/**
 * zod schema of a batch: its calls are validated one by one, so one bad call does not sink the rest.
 * No count limit: the request may weigh 500 KB (Segment's limit), whatever the number of calls.
 * `sentAt` and `context` at the top apply to every call that lacks its own.
 */
export const BatchBody = z
  .object({ batch: z.array(z.unknown()).min(1), sentAt: Instant, context: Context.nullish().transform((v) => v ?? undefined), integrations: z.unknown().optional() })
  .loose()
  .openapi("Batch", { example: { batch: [{ type: "track", userId: "u-123", event: "Product Viewed" }, { type: "page", userId: "u-123", name: "Cart" }] } });

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
