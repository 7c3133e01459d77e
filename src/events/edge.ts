/**
 * The transport of Segment's tracking API, as Segment's clients use it, before the routes see a call:
 *
 * - the write key: `Authorization: Basic base64(<key>:)` (analytics-node, RudderStack), `Bearer`, or
 *   `writeKey` in the body (analytics.js, which sends no header);
 * - the body: JSON sent as `application/json` or, by analytics.js, `text/plain` (a "simple" request,
 *   no CORS preflight); 32 KB a call and 500 KB a batch, refused with Segment's 400;
 * - CORS: a preflight is answered for any origin (it carries no key); the call itself is honoured for
 *   a browser key only from the key's allowed origins, and only then does the answer carry
 *   `Access-Control-Allow-Origin`;
 * - browser keys: origin, then the rate per client address (429 with Retry-After).
 */
import type { MiddlewareHandler } from "hono";
import { realNow } from "../clock";
import type { AppEnv } from "../http/app";
import { presentedKey, roleOf } from "../http/auth";
import { badContentType, problem } from "../http/problem";
import { DEFAULT_RATE_PER_MINUTE, RateLimiter, originAllowed } from "../keys/browser";
import { BATCH_BYTES, CALL_BYTES, kb } from "../size-limits";
import { SHORT_PATHS } from "./routes";

const TYPES = ["identify", "track", "page", "screen", "group", "alias"];
/** Each path of the tracking API: whether it takes a batch. */
const PATHS = new Map<string, "call" | "batch">([
  ...TYPES.map((t) => [`/v1/${t}`, "call"] as const),
  ["/v1/batch", "batch"],
  ...Object.entries(SHORT_PATHS).map(([s, t]) => [`/v1/${s}`, t === "batch" ? "batch" : "call"] as const),
]);

/** Whether a path is one of the tracking API's (long or short). */
export function isTrackingPath(path: string): boolean {
  return PATHS.has(path);
}

const limiter = new RateLimiter();

const CORS_ALLOW_HEADERS = "authorization, content-type";

/** The answer to a CORS preflight: any origin may ask; the call itself is checked against the key. */
function preflight(origin: string | undefined): Response {
  const headers = new Headers({ "access-control-allow-methods": "POST, OPTIONS", "access-control-allow-headers": CORS_ALLOW_HEADERS, "access-control-max-age": "7200", vary: "Origin" });
  if (origin) headers.set("access-control-allow-origin", origin);
  return new Response(null, { status: 204, headers });
}

/** The response with CORS headers for `origin`. */
function withCors(res: Response, origin: string): Response {
  const out = new Response(res.body, res);
  out.headers.set("access-control-allow-origin", origin);
  out.headers.set("access-control-expose-headers", "retry-after, x-ratelimit-reset");
  out.headers.append("vary", "Origin");
  return out;
}

/** The body's text, or undefined when it is over `max` bytes (read no further than that). */
async function readCapped(req: Request, max: number): Promise<string | undefined> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) return undefined;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

const tooBig = (kind: "call" | "batch") =>
  problem(400, "Invalid request", kind === "batch" ? `a batch may be at most ${kb(BATCH_BYTES)} (Segment's limit); send fewer calls a request` : `a call may be at most ${kb(CALL_BYTES)} (Segment's limit)`, {
    errors: [{ field: "(body)", message: kind === "batch" ? `over ${kb(BATCH_BYTES)}` : `over ${kb(CALL_BYTES)}` }],
  });

/** Middleware on `/v1/*`: Segment's transport for the tracking API's paths, nothing for the others. */
export const segmentEdge: MiddlewareHandler<AppEnv> = async (c, next) => {
  const kind = PATHS.get(c.req.path);
  if (!kind) return next();
  const origin = c.req.header("origin");
  if (c.req.method === "OPTIONS") return preflight(origin);
  if (c.req.method !== "POST") return next();
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && type !== "text/plain") return badContentType();
  // A single call is read up to a batch's size, so the 32 KB check can name the call's biggest field.
  const text = await readCapped(c.req.raw, BATCH_BYTES);
  if (text === undefined) return tooBig(kind);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return problem(400, "Invalid request", "the body is not valid JSON", { errors: [{ field: "(body)", message: "the body is not valid JSON" }] });
  }
  let authorization = c.req.header("authorization");
  const writeKey = (json as { writeKey?: unknown } | null)?.writeKey;
  if (!authorization && typeof writeKey === "string" && writeKey.length <= 200) authorization = `Bearer ${writeKey.trim()}`;
  const key = authorization ? presentedKey(authorization, true) : undefined;
  const who = key ? await roleOf(c.env, key) : undefined;
  let corsOrigin: string | undefined;
  if (who?.role === "browser") {
    if (!originAllowed(who.origins, origin)) {
      const message = origin ? `this browser key is not allowed from ${origin}` : "a browser key is used from a web page (the request names its Origin)";
      return problem(403, "Forbidden", message, { errors: [{ field: "header.origin", message }] });
    }
    corsOrigin = origin!;
    const calls = kind === "batch" && Array.isArray((json as { batch?: unknown })?.batch) ? (json as { batch: unknown[] }).batch.length : 1;
    const client = `${who.keyId}|${c.req.header("cf-connecting-ip") ?? "unknown"}`;
    const taken = limiter.take(client, who.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE, realNow(), Math.max(1, calls));
    if (!taken.ok) {
      const res = problem(429, "Too many requests", `this browser key's rate for your address is spent; retry in ${taken.retryAfterSeconds} s`);
      res.headers.set("retry-after", String(taken.retryAfterSeconds));
      res.headers.set("x-ratelimit-reset", String(taken.retryAfterSeconds));
      return withCors(res, corsOrigin);
    }
    c.set("browserOrigin", corsOrigin);
  }
  // The routes read what they always read: a JSON body and an Authorization header.
  const headers = new Headers(c.req.raw.headers);
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  if (authorization) headers.set("authorization", authorization);
  c.req.raw = new Request(c.req.raw.url, { method: "POST", headers, body: text });
  await next();
  if (corsOrigin) c.res = withCors(c.res, corsOrigin);
};
