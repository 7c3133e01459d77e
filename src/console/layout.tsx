/** The console's page frame, navigation, small CSS and the form pieces every page shares. */
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { type Permission, ROLES, type Role } from "../http/auth";
import type { FieldError } from "../http/problem";

/** Whether a role may do something (the page hides what it may not; the API refuses anyway). */
export function can(role: Role, permission: Permission): boolean {
  return (ROLES[role] as readonly Permission[]).includes(permission);
}

const NAV = [
  ["/console", "Overview"],
  ["/console/flows", "Flows"],
  ["/console/templates", "Templates"],
  ["/console/contacts", "Contacts"],
  ["/console/tasks", "Tasks"],
  ["/console/broadcasts", "Broadcasts"],
  ["/console/governance", "Governance"],
  ["/console/webhooks", "Webhooks"],
  ["/console/settings", "Settings"],
] as const;

const CSS = `
:root{--ink:#1d2433;--mute:#5b6475;--line:#d9dde5;--bg:#f6f7f9;--accent:#2f5bd3;--ok:#1f8a4c;--warn:#b26b00;--bad:#c0362c}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#fff;border-bottom:1px solid var(--line);flex-wrap:wrap}
header .brand{font-weight:700}nav a{margin-right:.8rem;color:var(--mute);text-decoration:none}nav a[aria-current]{color:var(--ink);font-weight:600;border-bottom:2px solid var(--accent)}
header .who{margin-left:auto;color:var(--mute);font-size:.9em}main{padding:1rem 1.25rem;max-width:1100px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.3rem 0 1rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute);font-size:.85em}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem;overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}.hint{color:var(--mute);font-size:.85em;font-weight:400}
input[type=text],input[type=password],input[type=number],input[type=date],input:not([type]),select,textarea{font:inherit;padding:.35rem .45rem;border:1px solid #b9c0cc;border-radius:4px;width:100%;max-width:40rem;background:#fff}
textarea{font-family:ui-monospace,Menlo,monospace;font-size:.9em}
button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
form.inline{display:inline}.actions{margin:.8rem 0;display:flex;gap:.5rem;flex-wrap:wrap}
.error{color:var(--bad);font-size:.9em;margin:.2rem 0}[aria-invalid=true]{border-color:var(--bad)!important}
.flash{background:#e9f6ee;border:1px solid #b9e0c7;padding:.5rem .8rem;border-radius:4px}.problem{background:#fbeceb;border:1px solid #efc2be;padding:.5rem .8rem;border-radius:4px}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8em;background:#e8ebf1;color:var(--ink)}
.badge.active,.badge.sent,.badge.delivered,.badge.done,.badge.granted{background:#e3f4ea;color:var(--ok)}.badge.deferred,.badge.open,.badge.pending,.badge.paused,.badge.draft{background:#fdf1dc;color:var(--warn)}
.badge.skipped,.badge.failed,.badge.breached,.badge.retired,.badge.revoked,.badge.stopped{background:#fbeceb;color:var(--bad)}
.mono{font-family:ui-monospace,Menlo,monospace;font-size:.9em}.mute{color:var(--mute)}pre{white-space:pre-wrap;word-break:break-word;margin:0}
mark{background:#ffe08a;outline:1px solid #d9a400}.explain{font-weight:600}svg text{font:12px system-ui,sans-serif;fill:var(--ink)}
.steps li{margin:.2rem 0}.sms{background:#eef1f7;border-radius:12px;padding:.6rem .8rem;max-width:28rem;white-space:pre-wrap;word-break:break-word}
`;

/** Everything a page needs to draw its frame and its forms. */
export interface PageCtx {
  role: Role;
  csrf: string;
  /** The current path, for the navigation. */
  path: string;
  /** A one-line message after a redirect (`?ok=`). */
  flash?: string;
}

/** The frame of every signed-in page. */
export const Layout: FC<PropsWithChildren<{ title: string; page: PageCtx; head?: Child }>> = ({ title, page, children, head }) => (
  <Document title={title} head={head}>
    <header>
      <span class="brand">Tidings</span>
      <nav aria-label="Console">
        {NAV.map(([href, label]) => (
          <a href={href} aria-current={current(page.path, href) ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <span class="who">
        signed in as <span class="badge" data-role={page.role}>{page.role}</span>{" "}
        <form class="inline" method="post" action="/console/logout">
          <Csrf token={page.csrf} />
          <button class="secondary" type="submit">Sign out</button>
        </form>
      </span>
    </header>
    <main>
      {page.flash ? (
        <p class="flash" role="status">
          {page.flash}
        </p>
      ) : null}
      <h1>{title}</h1>
      {children}
    </main>
  </Document>
);

function current(path: string, href: string): boolean {
  return href === "/console" ? path === "/console" || path === "/console/" : path === href || path.startsWith(`${href}/`);
}

/** A bare page (sign-in, errors before a session exists). */
export const Bare: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <Document title={title}>
    <main style="max-width:32rem;margin:3rem auto">
      <h1>{title}</h1>
      {children}
    </main>
  </Document>
);

/** The HTML document around every console page: head, styles, then the page's body. */
const Document: FC<PropsWithChildren<{ title: string; head?: Child }>> = ({ title, head, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <link rel="icon" href="data:," />
      <title>{title} · Tidings</title>
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      {head}
    </head>
    <body>{children}</body>
  </html>
);

/** The hidden CSRF field every POST form carries. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** The messages for one field (and its sub-fields: `rules.0.name` belongs to `rules`). */
export function errorsFor(errors: readonly FieldError[], field: string): string[] {
  return errors.filter((e) => e.field === field || e.field.startsWith(`${field}.`)).map((e) => (e.field === field ? e.message : `${e.field.slice(field.length + 1)}: ${e.message}`));
}

/** The error text under a field, linked to it with aria-describedby (`<id>-error`). */
export const FieldErrors: FC<{ id: string; messages: string[] }> = ({ id, messages }) =>
  messages.length ? (
    <p class="error" id={`${id}-error`} data-field-error={id}>
      {messages.join("; ")}
    </p>
  ) : null;

/** A labelled input with its errors. */
export const Field: FC<{ name: string; label: string; value?: string | number; errors?: readonly FieldError[]; type?: string; hint?: string; readonly?: boolean; required?: boolean; errorField?: string }> = (p) => {
  const id = `f-${p.name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const messages = errorsFor(p.errors ?? [], p.errorField ?? p.name);
  return (
    <div>
      <label for={id}>
        {p.label} {p.hint ? <span class="hint">{p.hint}</span> : null}
      </label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        value={p.value === undefined ? "" : String(p.value)}
        readonly={p.readonly}
        required={p.required}
        aria-invalid={messages.length ? "true" : undefined}
        aria-describedby={messages.length ? `${id}-error` : undefined}
      />
      <FieldErrors id={id} messages={messages} />
    </div>
  );
};

/** A labelled select with its errors. */
export const Select: FC<{ name: string; label: string; value?: string; options: readonly (string | [string, string])[]; errors?: readonly FieldError[]; hint?: string }> = (p) => {
  const id = `f-${p.name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const messages = errorsFor(p.errors ?? [], p.name);
  return (
    <div>
      <label for={id}>
        {p.label} {p.hint ? <span class="hint">{p.hint}</span> : null}
      </label>
      <select id={id} name={p.name} aria-invalid={messages.length ? "true" : undefined} aria-describedby={messages.length ? `${id}-error` : undefined}>
        {p.options.map((o) => {
          const [value, text] = typeof o === "string" ? [o, o] : o;
          return (
            <option value={value} selected={value === p.value}>
              {text}
            </option>
          );
        })}
      </select>
      <FieldErrors id={id} messages={messages} />
    </div>
  );
};

/** A problem the API answered that names no field, shown at the top of a form. */
export const Problem: FC<{ detail?: string; errors?: readonly FieldError[]; shown?: readonly string[] }> = ({ detail, errors = [], shown = [] }) => {
  const rest = errors.filter((e) => !shown.some((f) => e.field === f || e.field.startsWith(`${f}.`)));
  if (!detail && !rest.length) return null;
  return (
    <div class="problem" role="alert">
      {rest.length ? (
        <ul>
          {rest.map((e) => (
            <li>
              <span class="mono">{e.field}</span>: {e.message}
            </li>
          ))}
        </ul>
      ) : (
        <p>{detail}</p>
      )}
    </div>
  );
};

/** A status as a coloured badge. */
export const Badge: FC<{ value: string | null | undefined }> = ({ value }) => <span class={`badge ${value ?? ""}`}>{value ?? "—"}</span>;

/** An ISO instant, readable (UTC), in a <time> element. */
export const When: FC<{ at: string | number | null | undefined }> = ({ at }) => {
  if (at === null || at === undefined) return <span class="mute">—</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{String(at)}</span>;
  return <time datetime={d.toISOString()}>{d.toISOString().slice(0, 16).replace("T", " ")} UTC</time>;
};
