/** The app factory every feature's sub-app uses: OpenAPI routes, zod errors as problem+json. */
import { OpenAPIHono, createRoute, type RouteConfig } from "@hono/zod-openapi";
import { type AuthVars, type Permission, requires } from "./auth";
import { invalid } from "./problem";

/** Hono environment of every Tidings route. */
export type AppEnv = { Bindings: Env; Variables: AuthVars };

/** A new sub-app whose validation failures answer 400 problem+json naming the field. */
export function newApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) return invalid(result.error, result.target === "json" ? "" : result.target);
    },
  });
}

/** A route that declares the permission it needs (enforced, and shown in the OpenAPI document). */
export function route<R extends Omit<RouteConfig, "middleware">>(permission: Permission, config: R) {
  return createRoute({
    ...config,
    security: [{ bearer: [] }],
    "x-permission": permission,
    middleware: [requires(permission)] as const,
  } as R & { middleware: [ReturnType<typeof requires>] });
}

/** Standard error responses for the OpenAPI document. */
export const PROBLEMS = {
  400: { description: "Invalid request (problem+json naming the field)" },
  401: { description: "Missing or unknown API key" },
  403: { description: "The key's role lacks the permission" },
} as const;
