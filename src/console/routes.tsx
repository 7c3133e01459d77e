/**
 * The console under /console: sign-in with an API key into a sealed session cookie, CSRF on every
 * form, and one sub-app per page. Every page reads and writes through the API with the signed-in
 * key (api.ts), so the key's role decides exactly as it does for developers.
 */
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { Context } from "hono";
import { roleOf } from "../http/auth";
import { type ApiApp, type ConsoleEnv, apiClient } from "./api";
import { broadcastsPage } from "./broadcasts";
import { contactsPage } from "./contacts";
import { flowsPage } from "./flows";
import { builderPage } from "./flow-builder/page";
import { governancePage } from "./governance";
import { Bare, Csrf } from "./layout";
import { overviewPage } from "./overview";
import { SESSION_TTL_MS, csrfToken, newSession, openSession, randomId, sealSession, sessionKeys, sessionSecret, validCsrf } from "./session";
import { settingsPage } from "./settings";
import { tasksPage } from "./tasks";
import { templatesPage } from "./templates";
import { webhooksPage } from "./webhooks";
import { variantsPage } from "./variants";

/** The session cookie's name. */
export const SESSION_COOKIE = "tidings_session";
const LOGIN_COOKIE = "tidings_login";

function cookieOpts(c: Context, maxAgeMs: number) {
  return {
    path: "/console",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

async function keysOf(c: Context<ConsoleEnv>) {
  const secret = sessionSecret(c.env as { SESSION_SECRET?: string; OWNER_KEY?: string });
  return secret ? sessionKeys(secret) : undefined;
}

/** A POST from another origin is refused even before the token is looked at. */
function crossOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return Boolean(origin) && origin !== "null" && origin !== new URL(c.req.url).origin;
}

const forbidden = (c: Context, why: string) =>
  c.html(
    <Bare title="Refused">
      <p class="problem" role="alert">
        {why}
      </p>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </Bare>,
    403,
  );

const SignIn = (p: { token: string; error?: string; next?: string }) => (
  <Bare title="Sign in to Tidings">
    <p>Sign in with an API key. What you can do here is what the key's role may do through the API.</p>
    {p.error ? (
      <p class="problem" role="alert">
        {p.error}
      </p>
    ) : null}
    <form method="post" action="/console/login">
      <Csrf token={p.token} />
      <input type="hidden" name="next" value={p.next ?? "/console"} />
      <label for="key">API key</label>
      <input id="key" name="key" type="password" autocomplete="current-password" required />
      <div class="actions">
        <button type="submit">Sign in</button>
      </div>
    </form>
  </Bare>
);

/** Only console paths are followed after sign-in (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(\/[A-Za-z0-9/_:.+%-]*)?(\?[^\s]*)?$/.test(next) && !next.includes("//") ? next : "/console";
}

/** The console app; `api` is the Worker's own app, called in process. */
export function consoleApp(api: ApiApp) {
  const app = new Hono<ConsoleEnv>();

  // Inline scripts run only with this request's nonce: injected markup could not run a script.
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: [NONCE],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      xFrameOptions: "DENY",
      referrerPolicy: "same-origin",
    }),
  );
  app.use("*", async (c, next) => {
    c.set("nonce", c.get("secureHeadersNonce") ?? "");
    await next();
    c.header("cache-control", "no-store");
  });

  app.get("/login", async (c) => {
    const keys = await keysOf(c);
    if (!keys) return c.text("Set SESSION_SECRET to use the console", 503);
    // A nonce cookie binds the sign-in form's CSRF token before there is a session.
    const nonce = randomId();
    setCookie(c, LOGIN_COOKIE, nonce, cookieOpts(c, 15 * 60 * 1000));
    const reason = c.req.query("why");
    const error = reason === "expired" ? "Your session ended; sign in again." : reason === "revoked" ? "That key no longer works; sign in with another." : undefined;
    return c.html(<SignIn token={await csrfToken(keys, `login:${nonce}`)} error={error} next={safeNext(c.req.query("next"))} />);
  });

  app.post("/login", async (c) => {
    const keys = await keysOf(c);
    if (!keys) return c.text("Set SESSION_SECRET to use the console", 503);
    const form = await c.req.parseBody();
    const nonce = getCookie(c, LOGIN_COOKIE);
    if (crossOrigin(c) || !nonce || !(await validCsrf(keys, `login:${nonce}`, form._csrf))) return forbidden(c, "This sign-in form expired or came from another site. Reload the sign-in page and try again.");
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const who = key && key.length <= 200 ? await roleOf(c.env, key) : undefined;
    const again = async (error: string, status: 401 | 403) => {
      const fresh = randomId();
      setCookie(c, LOGIN_COOKIE, fresh, cookieOpts(c, 15 * 60 * 1000));
      return c.html(<SignIn token={await csrfToken(keys, `login:${fresh}`)} error={error} next={safeNext(form.next)} />, status);
    };
    if (!who) return again("That key is not one of this workspace's API keys.", 401);
    if (who.role === "ingest" || who.role === "browser") return again(`${who.role === "ingest" ? "An ingest" : "A browser"} key only sends events; it cannot read the console.`, 403);
    deleteCookie(c, LOGIN_COOKIE, { path: "/console" });
    setCookie(c, SESSION_COOKIE, await sealSession(keys, newSession(key)), cookieOpts(c, SESSION_TTL_MS));
    return c.redirect(safeNext(form.next), 303);
  });

  // Every other page needs a live session whose key still works (re-checked each request; roleOf caches).
  app.use("*", async (c, next) => {
    const keys = await keysOf(c);
    if (!keys) return c.text("Set SESSION_SECRET to use the console", 503);
    const session = await openSession(keys, getCookie(c, SESSION_COOKIE));
    const toLogin = (why?: string) => {
      deleteCookie(c, SESSION_COOKIE, { path: "/console" });
      if (c.req.method !== "GET") return forbidden(c, "Your session ended. Sign in again.");
      const q = new URLSearchParams({ next: c.req.path + (new URL(c.req.url).search || "") });
      if (why) q.set("why", why);
      return c.redirect(`/console/login?${q}`, 303);
    };
    if (!session) return toLogin(getCookie(c, SESSION_COOKIE) ? "expired" : undefined);
    const who = await roleOf(c.env, session.key);
    if (!who || who.role === "ingest") return toLogin("revoked");
    c.set("session", session);
    c.set("role", who.role);
    c.set("csrf", await csrfToken(keys, session.sid));
    c.set("api", apiClient(api, c, session.key));
    if (c.req.method === "POST") {
      const token = c.req.header("x-csrf-token") ?? (await formField(c, "_csrf"));
      if (crossOrigin(c) || !(await validCsrf(keys, session.sid, token))) return forbidden(c, "This form expired or came from another site (CSRF check). Reload the page and try again.");
    }
    await next();
  });

  app.post("/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/console" });
    return c.redirect("/console/login", 303);
  });

  app.route("/", overviewPage);
  app.route("/flows", builderPage);
  app.route("/flows", flowsPage);
  app.route("/templates", templatesPage);
  app.route("/contacts", contactsPage);
  app.route("/tasks", tasksPage);
  app.route("/broadcasts", broadcastsPage);
  app.route("/governance", governancePage);
  app.route("/settings", settingsPage);
  app.route("/webhooks", webhooksPage);
  app.route("/variants", variantsPage);
  app.notFound((c) =>
    c.html(
      <Bare title="Not found">
        <p>
          No such page. <a href="/console">Back to the console</a>
        </p>
      </Bare>,
      404,
    ),
  );
  app.onError((err, c) => {
    console.error(`console ${c.req.method} ${c.req.path} failed`, err);
    return c.html(
      <Bare title="Something went wrong">
        <p class="problem" role="alert">
          The page failed on our side; it is safe to try again.
        </p>
        <p>
          <a href="/console">Back to the console</a>
        </p>
      </Bare>,
      500,
    );
  });
  return app;
}

/** A form field of a urlencoded or multipart body (parsed once; Hono caches the body). */
async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data")) return undefined;
  try {
    const v = (await c.req.parseBody())[name];
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}
