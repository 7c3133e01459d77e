/**
 * `GET /l/:code`: a 302 to the link's destination, answered from one D1 read; the hit then reaches
 * the contact's Durable Object after the answer (a person's click becomes `Link Clicked`). When the
 * link base is a bare short domain (https://go.brand.example), `GET /:code` on that host works too.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../http/app";
import { now } from "../clock";
import { getConfig } from "../settings/config";
import { previewReason } from "./bots";

/** Short-link redirects (no API key: these are opened from phones). */
export const redirects = new Hono<AppEnv>();

const CODE = /^[0-9A-Za-z]{8,32}$/;

/** A small, friendly page for unknown and expired links (never a 500). */
function notFound(brand: string, expired: boolean) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${brand}</title><style>body{font:17px/1.5 system-ui,sans-serif;max-width:26rem;margin:18vh auto;padding:0 1.5rem;color:#333;text-align:center}</style></head>
<body><h1>${expired ? "This link has expired" : "This link is not valid"}</h1><p>${expired ? "Links in our texts work for a limited time." : "Please check the link in your text message."}</p><p>— ${brand}</p></body></html>`;
}

/** Answer one short-link hit. */
export async function redirect(c: import("hono").Context<AppEnv>, code: string): Promise<Response> {
  const config = await getConfig(c.env.DB);
  const brand = config.settings.brand.name;
  if (!CODE.test(code)) return c.html(notFound(brand, false), 404);
  const link = await c.env.DB.prepare("SELECT t.url, l.message_id, l.contact_id, l.expires_at FROM links l JOIN link_targets t ON t.id = l.target WHERE l.code = ?")
    .bind(code)
    .first<{ url: string; message_id: string; contact_id: string; expires_at: number }>();
  const at = now();
  if (!link) return c.html(notFound(brand, false), 404);
  if (link.expires_at <= at) return c.html(notFound(brand, true), 404);
  const userAgent = c.req.header("user-agent");
  const hit = { code, messageId: link.message_id, url: link.url, at, userAgent, previewReason: previewReason(c.req.method, userAgent) };
  // The person gets the redirect at once; the click is recorded after the answer.
  c.executionCtx.waitUntil(
    c.env.CONTACT.getByName(link.contact_id).recordClick(hit).catch((err) => console.error(`click ${code} not recorded`, err)),
  );
  return c.redirect(link.url, 302);
}

redirects.get("/l/:code", (c) => redirect(c, c.req.param("code")));

/** Middleware: on the configured short-link host, `/:code` is a short link. */
export async function shortHost(c: import("hono").Context<AppEnv>, next: () => Promise<void>): Promise<Response | void> {
  const m = /^\/([0-9A-Za-z]{8,32})$/.exec(c.req.path);
  if (m && (c.req.method === "GET" || c.req.method === "HEAD")) {
    const base = new URL((await getConfig(c.env.DB)).settings.links.base);
    if (base.host === new URL(c.req.url).host && (base.pathname === "/" || base.pathname === "")) return redirect(c, m[1]!);
  }
  await next();
}
