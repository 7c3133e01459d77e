/**
 * Templates: the library, an editor with a live preview (the text for a sample contact, encoding,
 * segments, cost, lint findings with the characters highlighted, the smart-encoding suggestion),
 * versions and retire. The preview is `POST /v1/templates/preview`, drawn on the server; a small
 * script asks for it again as the person types, and a plain "Preview" button does the same without it.
 */
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { FieldError } from "../http/problem";
import { JOBS } from "../settings/vocabulary";
import { TEMPLATE_STATUSES } from "../templates/schema";
import type { Preview } from "../templates/preview";
import { nonGsmCharacters } from "../templates/segments";
import type { ConsoleContext, ConsoleEnv } from "./api";
import { Badge, Csrf, Field, FieldErrors, Problem, Select, When, can, errorsFor } from "./layout";
import { SAFE_KEY, done, formBody, listOf, parseJson, refused, render } from "./page";

/** Templates pages. */
export const templatesPage = new Hono<ConsoleEnv>();

/** A template as the editor holds it (form strings). */
interface Draft {
  key: string;
  body: string;
  job: string;
  purpose: string;
  status: string;
  tags: string;
  properties: string;
  maxSegments: string;
  smartEncoding: string;
  locales: string;
  contact: string;
}

const EMPTY: Draft = { key: "", body: "", job: "conversion", purpose: "marketing", status: "draft", tags: "", properties: "", maxSegments: "", smartEncoding: "", locales: "", contact: "" };

function draftOf(t: any, key: string): Draft {
  return {
    key,
    body: t.body ?? "",
    job: t.job ?? "conversion",
    purpose: t.purpose ?? "marketing",
    status: t.status ?? "active",
    tags: (t.tags ?? []).join(", "),
    properties: (t.properties ?? []).join(", "),
    maxSegments: t.maxSegments === undefined ? "" : String(t.maxSegments),
    smartEncoding: t.smartEncoding === undefined ? "" : t.smartEncoding ? "on" : "off",
    locales: t.locales ? JSON.stringify(t.locales, null, 2) : "",
    contact: "",
  };
}

function draftFromForm(f: Record<string, string>): Draft {
  const d = { ...EMPTY };
  for (const k of Object.keys(EMPTY) as (keyof Draft)[]) if (typeof f[k] === "string") d[k] = f[k]!;
  return d;
}

/** The API body of a draft; a bad locales JSON is reported like an API error on `locales`. */
function templateBody(d: Draft): { body: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const locales = parseJson(d.locales, "locales");
  if (locales.error) errors.push(locales.error);
  const body: Record<string, unknown> = { body: d.body, job: d.job, purpose: d.purpose, status: d.status, tags: listOf(d.tags), properties: listOf(d.properties) };
  if (d.maxSegments.trim()) body.maxSegments = /^\d+$/.test(d.maxSegments.trim()) ? Number(d.maxSegments) : d.maxSegments;
  if (d.smartEncoding === "on" || d.smartEncoding === "off") body.smartEncoding = d.smartEncoding === "on";
  if (locales.value !== undefined) body.locales = locales.value;
  return { body, errors };
}

/** Sample values for a template's properties: links look like links, the rest like an order number. */
function sampleProperties(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, /(url|link|href|website)$/i.test(n) ? `https://shop.example/${n.replace(/_?(url|link|href|website)$/i, "") || "x"}/1` : "1001"]));
}

/** The preview request for a draft: inline body, sample contact Ada (or a real contact). */
function previewRequest(d: Draft): Record<string, unknown> {
  const { body } = templateBody(d);
  const req: Record<string, unknown> = {
    body: d.body,
    job: body.job,
    purpose: body.purpose,
    properties: sampleProperties(listOf(d.properties)),
  };
  if (body.maxSegments !== undefined) req.maxSegments = body.maxSegments;
  if (body.smartEncoding !== undefined) req.smartEncoding = body.smartEncoding;
  if (body.locales !== undefined) req.locales = body.locales;
  if (d.contact.trim()) req.contact = d.contact.trim();
  else req.traits = { firstName: "Ada" };
  return req;
}

/** The text with the characters and words the findings name (and every UCS-2 character) marked. */
export const Highlighted: FC<{ text: string; items: string[] }> = ({ text, items }) => {
  const marks = new Set(items.filter((i) => i.length > 0 && i.length <= 40));
  for (const { char } of nonGsmCharacters(text)) marks.add(char);
  if (!marks.size) return <>{text}</>;
  const escaped = [...marks].sort((a, b) => b.length - a.length).map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const parts = text.split(new RegExp(`(${escaped.join("|")})`, "gu"));
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <mark title={`${JSON.stringify(p)} (U+${p.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`} data-char={p}>
            {p}
          </mark>
        ) : (
          p
        ),
      )}
    </>
  );
};

/** The preview panel: what the API's preview answered, or the fields it refused. */
export const PreviewPanel: FC<{ preview?: Preview; errors?: FieldError[]; detail?: string }> = ({ preview: p, errors = [], detail }) => {
  if (!p) {
    return (
      <div id="preview" aria-live="polite">
        {errors.length || detail ? (
          <div class="problem">
            <p>The preview needs a valid template:</p>
            <ul>
              {errors.length ? (
                errors.map((e) => (
                  <li>
                    <span class="mono">{e.field}</span>: {e.message}
                  </li>
                ))
              ) : (
                <li>{detail}</li>
              )}
            </ul>
          </div>
        ) : (
          <p class="mute">Type a message to preview it.</p>
        )}
      </div>
    );
  }
  const items: string[] = p.warnings.flatMap((w) => w.items ?? []);
  const se = p.smartEncoding;
  return (
    <div id="preview" aria-live="polite">
      <p class="sms" data-testid="preview-text">
        <Highlighted text={p.text} items={items} />
      </p>
      <table>
        <tbody>
          <tr>
            <th scope="row">Encoding</th>
            <td>
              <output id="pv-encoding" data-encoding={p.encoding}>
                {p.encoding}
              </output>
            </td>
          </tr>
          <tr>
            <th scope="row">Segments</th>
            <td>
              <output id="pv-segments" data-segments={String(p.segments)}>
                {p.segments}
              </output>{" "}
              <span class="mute">
                ({p.units} {p.encoding === "GSM-7" ? "septets" : "UTF-16 units"}; a single message holds {p.encoding === "GSM-7" ? 160 : 70})
              </span>
            </td>
          </tr>
          <tr>
            <th scope="row">Cost</th>
            <td>
              {p.costs.length
                ? p.costs.map((c) => (
                    <div>
                      {c.provider}: {c.total} {c.currency} <span class="mute">({c.segments} × {c.perSegment}, {c.row === "default" ? "default rate" : c.row}{c.note ? `; ${c.note}` : ""})</span>
                    </div>
                  ))
                : "no price table"}
            </td>
          </tr>
        </tbody>
      </table>
      {se.after && !se.enabled ? (
        <p class="card" id="pv-smart">
          <strong>Smart encoding suggestion:</strong> replacing {se.replaced.map((r) => `${r.from} → ${r.to || "(nothing)"}`).join(", ")} makes this GSM-7, {se.after.segments} segment
          {se.after.segments === 1 ? "" : "s"}
          {se.segmentsSaved > 0 ? ` (saves ${se.segmentsSaved})` : ""}. Turn on smart encoding for this template, or edit the characters.
        </p>
      ) : se.enabled && se.replaced.length ? (
        <p class="card" id="pv-smart">
          Smart encoding is on: {se.replaced.map((r) => `${r.from} → ${r.to || "(nothing)"}`).join(", ")} replaced when sent.
        </p>
      ) : null}
      {p.warnings.length ? (
        <ul id="pv-findings">
          {p.warnings.map((w) => (
            <li data-rule={w.rule}>
              <Badge value={w.severity === "error" ? "failed" : "pending"} /> <span class="mono">{w.rule}</span> ({w.field}): {w.message}
            </li>
          ))}
        </ul>
      ) : (
        <p class="mute" id="pv-findings">
          No lint findings.
        </p>
      )}
    </div>
  );
};

// Debounced re-preview while typing; the server draws the panel, so this only swaps HTML.
const LIVE_PREVIEW = `
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("template-form");
  const panel = document.getElementById("preview");
  if (!form || !panel) return;
  let timer, seq = 0;
  const run = async () => {
    const mine = ++seq;
    const body = new URLSearchParams(new FormData(form));
    const res = await fetch("/console/templates/preview", { method: "POST", body, headers: { "x-csrf-token": body.get("_csrf"), "x-preview": "fragment" } });
    if (mine !== seq || !res.ok && res.status !== 400) return;
    document.getElementById("preview").outerHTML = await res.text();
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
});`;

const Editor: FC<{ d: Draft; isNew: boolean; errors: FieldError[]; detail?: string; preview: FC; csrf: string; canWrite: boolean }> = ({ d, isNew, errors, detail, preview: Preview, csrf, canWrite }) => {
  const shown = ["key", "body", "job", "purpose", "status", "tags", "properties", "maxSegments", "smartEncoding", "locales"];
  if (!canWrite) {
    return (
      <div class="grid">
        <div class="card">
          <h2>Template</h2>
          <p class="sms">{d.body}</p>
          <p>
            job <Badge value={d.job} /> purpose <Badge value={d.purpose} /> status <Badge value={d.status} />
          </p>
          {d.tags ? <p>tags: {d.tags}</p> : null}
          <p class="mute">Your role can read templates, not change them.</p>
        </div>
        <div class="card">
          <h2>Preview</h2>
          <Preview />
        </div>
      </div>
    );
  }
  return (
    <form id="template-form" method="post" action={isNew ? "/console/templates/new" : `/console/templates/${d.key}`}>
      <Csrf token={csrf} />
      <Problem detail={errors.length ? undefined : detail} errors={errors} shown={shown} />
      <div class="grid">
        <div class="card">
          <Field name="key" label="Key" value={d.key} errors={errors} readonly={!isNew} required hint="lower-case letters, digits, - and _" />
          <label for="f-body">Message</label>
          <textarea id="f-body" name="body" rows={6} aria-invalid={errorsFor(errors, "body").length ? "true" : undefined} aria-describedby="f-body-error">
            {d.body}
          </textarea>
          <FieldErrors id="f-body" messages={errorsFor(errors, "body")} />
          <p class="hint">
            Variables: {"{{firstName | default: \"there\"}}"}, {"{{brand.name}}"}, {"{{properties.checkout_url}}"}
          </p>
          <Select name="job" label="Job" value={d.job} options={JOBS} errors={errors} />
          <Field name="purpose" label="Purpose" value={d.purpose} errors={errors} hint="transactional, marketing or a topic" />
          <Select name="status" label="Status" value={d.status} options={TEMPLATE_STATUSES} errors={errors} />
          <Field name="tags" label="Tags" value={d.tags} errors={errors} hint="comma-separated" />
          <Field name="properties" label="Properties the message uses" value={d.properties} errors={errors} hint="comma-separated, e.g. checkout_url" />
          <Field name="maxSegments" label="Maximum segments" value={d.maxSegments} errors={errors} hint="empty: the brand's setting" />
          <Select name="smartEncoding" label="Smart encoding" value={d.smartEncoding} options={[["", "the brand's setting"], ["on", "on"], ["off", "off"]]} errors={errors} />
          <label for="f-locales">
            Locale variants <span class="hint">JSON, e.g. {'{"fr": "Bonjour…"}'}</span>
          </label>
          <textarea id="f-locales" name="locales" rows={3} aria-invalid={errorsFor(errors, "locales").length ? "true" : undefined}>
            {d.locales}
          </textarea>
          <FieldErrors id="f-locales" messages={errorsFor(errors, "locales")} />
          <div class="actions">
            <button type="submit">Save{isNew ? "" : " a new version"}</button>
            <button type="submit" class="secondary" formaction="/console/templates/preview">
              Preview
            </button>
          </div>
        </div>
        <div class="card">
          <h2>Preview</h2>
          <Field name="contact" label="Preview for a contact" value={d.contact} hint="empty: a sample contact named Ada; or user:…, phone:+1…" />
          <Preview />
        </div>
      </div>
    </form>
  );
};

async function previewOf(c: ConsoleContext, d: Draft) {
  if (!d.body.trim()) return { panel: <PreviewPanel /> };
  const r = await c.get("api")("POST", "/v1/templates/preview", previewRequest(d));
  if (r.status === 401 || r.status === 403) return { refusal: r };
  return { panel: r.ok ? <PreviewPanel preview={r.body} /> : <PreviewPanel errors={r.errors} detail={r.detail} /> };
}

async function editorPage(c: ConsoleContext, d: Draft, isNew: boolean, errors: FieldError[] = [], detail?: string, status: 200 | 400 | 409 = 200, note?: string) {
  const pv = await previewOf(c, d);
  if (pv.refusal) return refused(c, pv.refusal)!;
  const canWrite = can(c.get("role"), "templates:write");
  let versions: any[] = [];
  let usedBy: any[] = [];
  if (!isNew) {
    const [v, t] = await Promise.all([c.get("api")("GET", `/v1/templates/${d.key}/versions`), c.get("api")("GET", `/v1/templates/${d.key}`)]);
    if (v.ok) versions = v.body.versions;
    if (t.ok) usedBy = t.body.usedBy ?? [];
  }
  return render(
    c,
    isNew ? "New template" : `Template ${d.key}`,
    <>
      {note ? (
        <p class="flash" role="status">
          {note}
        </p>
      ) : null}
      <Editor d={d} isNew={isNew} errors={errors} detail={detail} preview={() => pv.panel!} csrf={c.get("csrf")} canWrite={canWrite} />
      {!isNew ? (
        <>
          {usedBy.length ? (
            <p>
              Sent by: {usedBy.map((f: any) => (
                <>
                  <a href={`/console/flows/${f.flow ?? f.key}`}>{f.flow ?? f.key}</a> <Badge value={f.status} />{" "}
                </>
              ))}
            </p>
          ) : (
            <p class="mute">No flow sends this template.</p>
          )}
          {canWrite && d.status !== "retired" ? (
            <form method="post" action={`/console/templates/${d.key}/retire`} class="actions">
              <Csrf token={c.get("csrf")} />
              <button type="submit" class="danger">
                Retire this template
              </button>
              <span class="hint">Retired templates start no new sends; flows that still send it skip with template_retired.</span>
            </form>
          ) : null}
          <h2>Versions</h2>
          <table>
            <thead>
              <tr>
                <th class="num">Version</th>
                <th>Status</th>
                <th>Saved</th>
                <th>Message</th>
                {canWrite ? <th>Edit</th> : null}
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr>
                  <td class="num">{v.version}</td>
                  <td>
                    <Badge value={v.status} />
                  </td>
                  <td>
                    <When at={v.createdAt} />
                  </td>
                  <td>
                    <pre>{v.template.body}</pre>
                  </td>
                  {canWrite ? (
                    <td>{v.version === versions[0]?.version ? <span class="mute">current</span> : <a href={`/console/templates/${d.key}?from=${v.version}`}>edit from here</a>}</td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>,
    status,
    canWrite ? <script nonce={c.get("nonce")} dangerouslySetInnerHTML={{ __html: LIVE_PREVIEW }} /> : undefined,
  );
}

templatesPage.get("/", async (c) => {
  const q = c.req.query("status");
  const r = await c.get("api")("GET", `/v1/templates${q && ["draft", "active", "retired"].includes(q) ? `?status=${q}` : ""}`);
  const stop = refused(c, r);
  if (stop) return stop;
  const list: any[] = r.body.templates ?? [];
  return render(
    c,
    "Templates",
    <>
      {can(c.get("role"), "templates:write") ? (
        <p class="actions">
          <a href="/console/templates/new">
            <button type="button">New template</button>
          </a>
        </p>
      ) : null}
      <p>
        Show: <a href="/console/templates">all</a> · <a href="/console/templates?status=active">active</a> · <a href="/console/templates?status=draft">drafts</a> ·{" "}
        <a href="/console/templates?status=retired">retired</a>
      </p>
      <table>
        <thead>
          <tr>
            <th>Template</th>
            <th>Status</th>
            <th>Job</th>
            <th>Purpose</th>
            <th class="num">Segments</th>
            <th>Encoding</th>
            <th class="num">Version</th>
          </tr>
        </thead>
        <tbody>
          {list.map((t) => (
            <tr>
              <td>
                <a href={`/console/templates/${t.key}`}>{t.key}</a>
                <div class="mute">{t.body.length > 80 ? `${t.body.slice(0, 80)}…` : t.body}</div>
              </td>
              <td>
                <Badge value={t.status} />
              </td>
              <td>{t.job}</td>
              <td>{t.purpose}</td>
              <td class="num">{t.segments}</td>
              <td>{t.encoding}</td>
              <td class="num">{t.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length ? null : <p class="mute">No templates yet.</p>}
    </>,
  );
});

templatesPage.get("/new", (c) => {
  if (!can(c.get("role"), "templates:write")) return render(c, "Not allowed", <p class="problem">Your role cannot create templates.</p>, 403);
  return editorPage(c, { ...EMPTY }, true);
});

// The live preview (fragment for the script) and the no-script "Preview" button (the whole editor).
templatesPage.post("/preview", async (c) => {
  const d = draftFromForm(await formBody(c));
  if (c.req.header("x-preview") === "fragment") {
    const pv = await previewOf(c, d);
    if (pv.refusal) return c.html(<PreviewPanel detail={pv.refusal.detail} />, pv.refusal.status === 401 ? 401 : 403);
    return c.html(pv.panel!);
  }
  const isNew = !(await c.get("api")("GET", `/v1/templates/${SAFE_KEY.test(d.key) ? d.key : "-"}`)).ok;
  return editorPage(c, d, isNew);
});

templatesPage.get("/:key", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No template {key}.</p>, 404);
  const r = await c.get("api")("GET", `/v1/templates/${key}`);
  const stop = refused(c, r, `Template ${key}`);
  if (stop) return stop;
  // "Edit from version N": that version's fields in the editor; saving makes them the newest version.
  const from = Number(c.req.query("from"));
  if (Number.isInteger(from) && from > 0 && from !== r.body.version) {
    const v = await c.get("api")("GET", `/v1/templates/${key}/versions`);
    const old = v.ok ? v.body.versions.find((x: any) => x.version === from) : undefined;
    if (old) return editorPage(c, { ...draftOf(old.template, key) }, false, [], undefined, 200, `Editing from version ${from}: saving makes it version ${r.body.version + 1}.`);
  }
  return editorPage(c, draftOf(r.body, key), false);
});

async function save(c: ConsoleContext, d: Draft, isNew: boolean) {
  const { body, errors } = templateBody(d);
  if (!SAFE_KEY.test(d.key)) errors.push({ field: "key", message: "a key: lower-case letters, digits, - and _" });
  if (errors.length) return editorPage(c, d, isNew, errors, undefined, 400);
  if (isNew && (await c.get("api")("GET", `/v1/templates/${d.key}`)).ok) {
    return editorPage(c, d, isNew, [{ field: "key", message: `a template ${d.key} already exists; open it to change it` }], undefined, 409);
  }
  const r = await c.get("api")("PUT", `/v1/templates/${d.key}`, body);
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return editorPage(c, d, isNew, r.errors, r.detail, 400);
  const warnings = (r.body.warnings ?? []).length;
  return done(c, `/console/templates/${d.key}`, r.body.changed ? `Saved version ${r.body.version}${warnings ? ` with ${warnings} warning(s)` : ""}.` : "Nothing changed.");
}

templatesPage.post("/new", async (c) => save(c, draftFromForm(await formBody(c)), true));

templatesPage.post("/:key", async (c) => {
  const key = c.req.param("key");
  const d = draftFromForm(await formBody(c));
  d.key = key;
  return save(c, d, false);
});

templatesPage.post("/:key/retire", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No template {key}.</p>, 404);
  const cur = await c.get("api")("GET", `/v1/templates/${key}`);
  const stop = refused(c, cur, `Template ${key}`);
  if (stop) return stop;
  const { key: _k, version: _v, encoding: _e, segments: _s, units: _u, usedBy: _b, ...template } = cur.body;
  const r = await c.get("api")("PUT", `/v1/templates/${key}`, { ...template, status: "retired" });
  if (!r.ok) return refused(c, r) ?? editorPage(c, draftOf(cur.body, key), false, r.errors, r.detail, 400);
  return done(c, `/console/templates/${key}`, `Retired (version ${r.body.version}).`);
});
