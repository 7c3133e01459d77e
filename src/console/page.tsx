/** What every console page does the same way: its context, API refusals as pages, form bodies. */
import { deleteCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import type { ApiResult, ConsoleContext } from "./api";
import { Layout, type PageCtx } from "./layout";
import { STAGE_PRESETS } from "../settings/schema";

/** The page context of a request. */
export function pageCtx(c: ConsoleContext): PageCtx {
  const ok = c.req.query("ok");
  return { role: c.get("role"), csrf: c.get("csrf"), path: c.req.path, flash: ok && ok.length < 300 ? ok : undefined };
}

/** Render a page in the frame. */
export function render(c: ConsoleContext, title: string, body: Child, status: 200 | 400 | 403 | 404 | 409 | 422 = 200, head?: Child) {
  return c.html(
    <Layout title={title} page={pageCtx(c)} head={head}>
      {body}
    </Layout>,
    status,
  );
}

/**
 * An API refusal that ends the page: 401 (the key was revoked: the session ends), 403 (the role
 * lacks the permission: the API's own words), 404. Undefined for anything a form shows in place.
 */
export function refused(c: ConsoleContext, r: ApiResult, what = "That"): Response | Promise<Response> | undefined {
  if (r.status === 401) {
    deleteCookie(c, "tidings_session", { path: "/console" });
    return c.req.method === "GET" ? c.redirect(`/console/login?why=revoked`, 303) : render(c, "Signed out", <p class="problem">That key no longer works. <a href="/console/login">Sign in again</a>.</p>, 403);
  }
  if (r.status === 403) {
    return render(
      c,
      "Not allowed",
      <p class="problem" role="alert">
        The API refused: {r.detail}.
      </p>,
      403,
    );
  }
  if (r.status === 404) return render(c, "Not found", <p class="problem">{what} was not found: {r.detail}.</p>, 404);
  return undefined;
}

/** Throw-free form body: every field as a string (the last value of a repeated one). */
export async function formBody(c: ConsoleContext): Promise<Record<string, string>> {
  try {
    const body = await c.req.parseBody();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/** Redirect after a successful POST, with a one-line message. */
export function done(c: ConsoleContext, to: string, message: string) {
  const sep = to.includes("?") ? "&" : "?";
  return c.redirect(`${to}${sep}ok=${encodeURIComponent(message)}`, 303);
}

/** A comma- or newline-separated list. */
export function listOf(s: string | undefined): string[] {
  return (s ?? "")
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Parse JSON from a textarea; the error names the field as the API would. */
export function parseJson(text: string | undefined, field: string): { value?: unknown; error?: { field: string; message: string } } {
  const t = (text ?? "").trim();
  if (!t) return { value: undefined };
  try {
    return { value: JSON.parse(t) };
  } catch (e) {
    return { error: { field, message: `not valid JSON: ${(e as Error).message}` } };
  }
}

/** A key path segment as it may appear in a console URL. */
export const SAFE_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The ordered stages of a `GET /v1/settings/stages` value (the preset's list unless custom). */
export function stagesOfSetting(v: { preset?: string; stages?: string[] } | undefined): string[] {
  return [...(v?.stages ?? STAGE_PRESETS[v?.preset === "b2b" ? "b2b" : "b2c"])];
}
