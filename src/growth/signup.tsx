/**
 * Hosted sign-up pages: `GET /join/<program>` draws a small form (phone, the program's consent text),
 * `POST /join/<program>` records a grant with its proof (page URL, time, IP, user agent) that waits
 * for the person's YES (double opt-in, whatever `settings.consent.doubleOptIn` says), so the consent
 * request goes out by SMS and YES grants with provenance `page:<program>`. No cookies, so nothing to
 * forge across sites; a double submit records once; a modest limit per IP.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { FC } from "hono/jsx";
import { now } from "../clock";
import { contactForPhone, toE164 } from "../contacts/identity";
import type { AppEnv } from "../http/app";
import { isErased } from "../privacy/erased";
import { getConfig } from "../settings/config";
import type { SignupProgram } from "./settings";

/** Sign-ups one IP may send per 10-minute window. */
export const SIGNUPS_PER_WINDOW = 10;
const WINDOW_MS = 10 * 60_000;

/** The sign-up pages (mounted at the root: `/join/<program>`). */
export const signupPages = new Hono<AppEnv>();

const CSS = `body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;background:#f6f7f9}
main{max-width:30rem;margin:2rem auto;padding:1.25rem;background:#fff;border:1px solid #d9dde5;border-radius:8px}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input[type=tel]{font:inherit;width:100%;padding:.45rem;border:1px solid #b9c0cc;border-radius:4px}
.consent{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}.error{color:#c0362c;margin:.25rem 0}
[aria-invalid=true]{border-color:#c0362c}button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:4px;background:#2f5bd3;color:#fff}`;

const Page: FC<{ title: string; children?: unknown }> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{p.title}</title>
      <style>{CSS}</style>
    </head>
    <body>
      <main>{p.children as never}</main>
    </body>
  </html>
);

/** The form, with each error next to its field. */
const SignupForm: FC<{ program: SignupProgram; brand: string; phone?: string; errors?: Record<string, string> }> = ({ program, brand, phone, errors = {} }) => (
  <Page title={`${program.title} · ${brand}`}>
    <h1>{program.title}</h1>
    <form method="post" action={`/join/${program.key}`}>
      <label for="phone">Mobile number</label>
      <input id="phone" name="phone" type="tel" autocomplete="tel" required value={phone ?? ""} aria-invalid={errors.phone ? "true" : undefined} aria-describedby="phone-error" />
      {errors.phone ? <p class="error" id="phone-error" role="alert">{errors.phone}</p> : null}
      <label class="consent">
        <input type="checkbox" name="agree" value="yes" required aria-invalid={errors.agree ? "true" : undefined} />
        <span>{program.text}</span>
      </label>
      {errors.agree ? <p class="error" role="alert">{errors.agree}</p> : null}
      <button type="submit">Sign up</button>
    </form>
  </Page>
);

const HEADERS = {
  // No scripts, no cookies: the page posts to itself only.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  "cache-control": "no-store",
};

async function programOf(env: Env, key: string) {
  const settings = (await getConfig(env.DB)).settings;
  return { program: settings.signup.programs.find((p) => p.key === key), brand: settings.brand.name };
}

const notFound = (c: import("hono").Context<AppEnv>) => c.html(<Page title="Not found"><h1>There is no such sign-up page.</h1></Page>, 404, HEADERS);

signupPages.get("/join/:program", async (c) => {
  const { program, brand } = await programOf(c.env, c.req.param("program"));
  if (!program) return notFound(c);
  return c.html(<SignupForm program={program} brand={brand} />, 200, HEADERS);
});

signupPages.post(
  "/join/:program",
  bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text("The form is too large.", 413) }),
  async (c) => {
    const { program, brand } = await programOf(c.env, c.req.param("program"));
    if (!program) return notFound(c);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const raw = typeof form.phone === "string" ? form.phone.slice(0, 40) : "";
    const phone = toE164(raw, program.country);
    const errors: Record<string, string> = {};
    if (!phone) errors.phone = raw.trim() ? "This is not a mobile number we can text. Include the country code if it is not in " + program.country + "." : "Enter your mobile number.";
    if (form.agree !== "yes") errors.agree = "Tick the box to agree to the messages.";
    if (Object.keys(errors).length) return c.html(<SignupForm program={program} brand={brand} phone={raw} errors={errors} />, 400, HEADERS);
    const ip = c.req.header("cf-connecting-ip") ?? "";
    if (!(await withinLimit(c.env.DB, ip))) {
      return c.html(<Page title="Try again later"><h1>Too many sign-ups from here. Please try again in a few minutes.</h1></Page>, 429, { ...HEADERS, "retry-after": "600" });
    }
    // An erased person's number is never stored again (it stays suppressed); the answer does not say so.
    if (!(await isErased(c.env, phone!))) {
      const contactId = await contactForPhone(c.env, phone!);
      const at = now();
      await c.env.CONTACT.getByName(contactId).consent(contactId, {
        purpose: program.purpose, action: "grant", source: `page:${program.key}`, text: program.text, at, confirmFirst: true, phone: phone!,
        proof: { url: c.req.url, ...(ip ? { ip } : {}), ...(c.req.header("user-agent") ? { userAgent: c.req.header("user-agent")!.slice(0, 300) } : {}) },
        // A double submit (the same number, program and 10 minutes) records once and asks once.
        dedupeKey: `page:${program.key}:${Math.floor(at / WINDOW_MS)}`,
      });
    }
    return c.html(
      <Page title={`${program.title} · ${brand}`}>
        <h1>Check your phone</h1>
        <p>We sent a text to confirm. Reply YES to it to finish signing up.</p>
      </Page>,
      200,
      HEADERS,
    );
  },
);

/** Count a sign-up from this IP (hashed) in its 10-minute window; false over the limit. Rows older than an hour go. */
async function withinLimit(db: D1Database, ip: string): Promise<boolean> {
  const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`signup:${ip}`)))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const window = Math.floor(now() / WINDOW_MS);
  const [, hit] = await db.batch([
    db.prepare("DELETE FROM signup_hits WHERE window < ?").bind(window - 6),
    db.prepare("INSERT INTO signup_hits (ip_hash, window, hits) VALUES (?, ?, 1) ON CONFLICT (ip_hash, window) DO UPDATE SET hits = hits + 1 RETURNING hits").bind(hash, window),
  ]);
  return ((hit!.results[0] as { hits: number } | undefined)?.hits ?? 1) <= SIGNUPS_PER_WINDOW;
}
