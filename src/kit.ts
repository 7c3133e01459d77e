/**
 * Stable helpers for tools outside the Worker. Names and behaviour are kept stable; this file and
 * what it imports run in plain Node (no `cloudflare:*` imports; imports carry their `.ts` extension
 * so Node 22's type stripping can load them: `node -e "import('./src/kit.ts')"`).
 */
export { segmentInfo } from "./templates/segments.ts";
export { zonedToInstant } from "./time/zoned.ts";
export { verifyTwilioSignature } from "./gateway/twilio-signature.ts";
export { verifyShopifyHmac } from "./webhooks/signatures.ts";
export { verifySegmentSignature } from "./webhooks/signatures.ts";
