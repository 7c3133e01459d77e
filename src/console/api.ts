/**
 * The console is a client of the API, in process: every read and write goes through the same routes
 * with the signed-in key, so validation errors and role refusals are exactly the API's.
 */
import type { Context } from "hono";
import type { FieldError } from "../http/problem";
import type { Role } from "../http/auth";
import type { Session } from "./session";

/** Something that answers HTTP requests like the Worker's app. */
export interface ApiApp {
  fetch(req: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response>;
}

/** An API answer: status, JSON body, and the fields it named (problem+json `errors`). */
export interface ApiResult<T = any> {
  status: number;
  ok: boolean;
  body: T;
  errors: FieldError[];
  /** problem+json `detail` (or title) for a failure. */
  detail: string;
}

/** Call the API as the signed-in person. */
export type ApiCall = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResult<T>>;

/** Hono environment of console routes. */
export type ConsoleEnv = {
  Bindings: Env;
  Variables: { session: Session; role: Role; csrf: string; api: ApiCall; nonce: string; secureHeadersNonce?: string };
};

/** A console context. */
export type ConsoleContext = Context<ConsoleEnv>;

/** An ApiCall bound to one request and key. */
export function apiClient(app: ApiApp, c: Context, key: string): ApiCall {
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    ctx = undefined; // app.request in a unit test has none
  }
  const origin = new URL(c.req.url).origin;
  return async (method, path, body, headers) => {
    const req = new Request(origin + path, {
      method,
      headers: { ...headers, authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const res = await app.fetch(req, c.env as Env, ctx);
    const text = await res.text();
    let json: any = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { detail: text };
    }
    const errors: FieldError[] = res.ok ? [] : Array.isArray(json?.errors) ? json.errors : [];
    return { status: res.status, ok: res.ok, body: json, errors, detail: res.ok ? "" : String(json?.detail ?? json?.title ?? res.statusText) };
  };
}
