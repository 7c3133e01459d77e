/**
 * The console's typed client: the answers of the routes the console reads, named by method and
 * path, with types taken from the routes' own zod response schemas (`z.infer`) or the report and
 * flow types the routes build their answers from. A page calls `typed(api)("GET /v1/flows/{key}",
 * { key })` and gets the body's shape instead of guessing it.
 */
import type { z } from "@hono/zod-openapi";
import type { FlowEvents, SimulationSchema, StepResults } from "../flows/insight-routes";
import type { FlowBody, FlowVersion } from "../flows/schema";
import type { FlowRow } from "../reports/report";
import type { Preview } from "../templates/preview";
import type { ApiCall, ApiResult } from "./api";

/** A flow as `GET /v1/flows` and `GET /v1/flows/:key` answer it: the version and the runs waiting per step (a broadcast's flow has status "broadcast"). */
export type FlowAnswer = Omit<FlowVersion, "status"> & { status: FlowVersion["status"] | "broadcast"; waiting: Record<string, number> };

/** Answers by "METHOD /path" (path parameters in braces, as in the OpenAPI document). */
export interface Responses {
  "GET /v1/flows": { flows: FlowAnswer[] };
  "GET /v1/flows/{key}": FlowAnswer;
  "PUT /v1/flows/{key}": { key: string; version: number; changed: boolean; flow: FlowBody };
  "GET /v1/flows/{key}/steps": z.infer<typeof StepResults>;
  "POST /v1/flows/{key}/simulate": z.infer<typeof SimulationSchema>;
  "GET /v1/flow-events": z.infer<typeof FlowEvents>;
  "GET /v1/reports/flows": { flows: FlowRow[] };
  "GET /v1/settings/stages": { section: "stages"; version: number; value: { preset: string; stages?: string[] } };
  "GET /v1/templates": { templates: Array<{ key: string; version: number; status: string; body: string; properties?: string[] }> };
  "POST /v1/templates/preview": Preview & { template: unknown; contact: string | null };
  "GET /v1/templates/{key}": { key: string; version: number; status: string; body: string; properties?: string[] };
}

/** A route the typed client knows. */
export type Route = keyof Responses;

type Params<R extends string> = R extends `${string}{${infer P}}${infer Rest}` ? { [K in P]: string } & Params<Rest> : {};

/** The API call, typed by route: path parameters filled in (encoded), the answer's body typed. */
export function typed(api: ApiCall) {
  return <R extends Route>(route: R, params: Params<R>, body?: unknown, query?: string): Promise<ApiResult<Responses[R]>> => {
    const [method, template] = route.split(" ") as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent((params as Record<string, string>)[k] ?? ""));
    return api<Responses[R]>(method, query ? `${path}?${query}` : path, body);
  };
}
