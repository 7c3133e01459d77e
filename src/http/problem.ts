/** RFC 9457 problem details: every 4xx/5xx answer is `application/problem+json` naming what was wrong. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";

/** One invalid field. */
export interface FieldError {
  field: string;
  message: string;
}

/** A problem+json response. */
export function problem(status: number, title: string, detail?: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extra }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

/** The fields a zod error names, as dotted paths (`properties.value`, `batch.3.userId`). */
export function fieldErrors(error: ZodError, prefix = ""): FieldError[] {
  const field = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join(".") || "(body)";
  return error.issues.flatMap((i) =>
    // An unknown key is named itself (`segment.colour`), not the object that holds it.
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => ({ field: field([...i.path, k]), message: `Unrecognized key: "${k}"` }))
      : [{ field: field(i.path), message: i.message }],
  );
}

/** 400 naming every bad field. */
export function badFields(errors: FieldError[], extra: Record<string, unknown> = {}): Response {
  return problem(400, "Invalid request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors, ...extra });
}

/** 400 for a zod failure, naming every bad field. */
export function invalid(error: ZodError, prefix = ""): Response {
  return badFields(fieldErrors(error, prefix));
}

/** 415 naming the content type: a JSON route was sent something else (or a body without a type). */
export function badContentType(): Response {
  const message = "send the body as application/json";
  return problem(415, "Unsupported media type", message, { errors: [{ field: "content-type", message }] });
}

/** Turn anything thrown in a handler into a problem response. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 415) return badContentType();
    const title = status === 413 ? "Payload too large" : status === 400 ? "Invalid request" : err.message || "Request failed";
    const detail = status === 400 && /JSON/i.test(err.message) ? "the body is not valid JSON" : err.message;
    return problem(status, title, detail, status === 400 ? { errors: [{ field: "(body)", message: detail }] } : {});
  }
  console.error(`${c.req.method} ${c.req.path} failed`, err);
  return problem(500, "Internal error", "the request failed on our side; it is safe to retry");
}
