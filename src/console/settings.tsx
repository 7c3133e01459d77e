/**
 * Settings: every section as a form drawn from its schema and current value (plain values as inputs,
 * lists and objects as JSON), saved through `PUT /v1/settings/:section` so it is validated exactly
 * as in the API, with each error shown next to the field it names.
 */
import { Hono } from "hono";
import type { FieldError } from "../http/problem";
import { SECTIONS, type SectionName } from "../settings/schema";
import type { ConsoleContext, ConsoleEnv } from "./api";
import { Csrf, FieldErrors, Problem, can, errorsFor } from "./layout";
import { done, formBody, refused, render } from "./page";

/** Settings pages. */
export const settingsPage = new Hono<ConsoleEnv>();

const ABOUT: Partial<Record<SectionName, string>> = {
  brand: "Name, support contact and default time zone",
  stages: "The lifecycle stages contacts move through",
  traits: "Traits templates may use",
  messages: "How long each job's messages may wait",
  gateway: "Which gateway sends, and provider options",
  templates: "Segments, smart encoding, opt-out and link checks, prices",
  consent: "Topics, implied purposes, double opt-in, confirmations",
  rules: "Eligibility rules and the events that set flags",
  quietHours: "Sending windows by jurisdiction (narrow only)",
  caps: "Frequency caps",
  links: "Short-link base, lifetime and UTM tags",
  keywords: "Extra STOP/START/HELP words and reply texts",
  routing: "Reply intents, owners, stage owners and SLAs",
  stageRules: "Events that move stages, and inactivity",
  governance: "Governance report thresholds",
  senders: "Senders by country and purpose, with their rates",
  webhooks: "Endpoints that get the signed event stream (secrets are write-only)",
};

type Kind = "text" | "number" | "bool" | "json" | "enum";
/** One top-level field of a section's form. */
export interface SettingField {
  name: string;
  kind: Kind;
  /** The form value (JSON text for lists and objects). */
  value: string;
  options?: string[];
  /** Whether the current value is unset (left empty, it stays unset). */
  unset: boolean;
}

// zod v4 internals, read defensively: a missing piece only makes the field a JSON one.
function unwrap(s: any): any {
  let cur = s;
  for (let i = 0; i < 5 && cur?._zod?.def && ["optional", "default", "nullable", "prefault"].includes(cur._zod.def.type); i++) cur = cur._zod.def.innerType;
  return cur;
}

function shapeOf(schema: any): Record<string, any> {
  const s = unwrap(schema);
  return (s?._zod?.def?.shape ?? s?.shape ?? {}) as Record<string, any>;
}

/** The form fields of a section: its schema's keys (and any key in the value), typed by the schema and the value. */
export function sectionFields(section: SectionName, value: Record<string, unknown>): SettingField[] {
  const shape = shapeOf(SECTIONS[section]);
  const names = [...new Set([...Object.keys(shape), ...Object.keys(value ?? {})])];
  return names.map((name) => {
    const v = value?.[name];
    const def = unwrap(shape[name])?._zod?.def;
    const t = def?.type;
    if (t === "enum" && def.entries) return { name, kind: "enum" as const, value: v === undefined ? "" : String(v), options: Object.values(def.entries as Record<string, string>), unset: v === undefined };
    const kind: Kind =
      t === "boolean" || typeof v === "boolean" ? "bool" : t === "number" || typeof v === "number" ? "number" : t === "string" || typeof v === "string" ? "text" : "json";
    const text = v === undefined ? "" : kind === "json" ? JSON.stringify(v, null, 2) : String(v);
    return { name, kind, value: text, unset: v === undefined };
  });
}

/** The section body a form describes; JSON that does not parse is an error on its field. */
export function sectionBody(fields: SettingField[], form: Record<string, string>): { body: Record<string, unknown>; errors: FieldError[] } {
  const body: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const f of fields) {
    const raw = form[`v.${f.name}`];
    if (raw === undefined) continue;
    const t = raw.trim();
    if (t === "" && (f.unset || f.kind !== "text")) continue; // empty keeps the default
    if (f.kind === "json") {
      try {
        body[f.name] = JSON.parse(t);
      } catch (e) {
        errors.push({ field: f.name, message: `not valid JSON: ${(e as Error).message}` });
      }
    } else if (f.kind === "number") body[f.name] = /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : raw;
    else if (f.kind === "bool") body[f.name] = t === "true" ? true : t === "false" ? false : raw;
    else body[f.name] = raw;
  }
  return { body, errors };
}

const isSection = (s: string): s is SectionName => Object.hasOwn(SECTIONS, s);

settingsPage.get("/", async (c) => {
  const r = await c.get("api")("GET", "/v1/settings");
  const stop = refused(c, r);
  if (stop) return stop;
  return render(
    c,
    "Settings",
    <>
      <p class="mute">Configuration version {r.body.version}. Each section is validated exactly as the API validates it.</p>
      <table>
        <thead>
          <tr>
            <th>Section</th>
            <th>What it holds</th>
          </tr>
        </thead>
        <tbody>
          {(Object.keys(SECTIONS) as SectionName[]).map((s) => (
            <tr>
              <td>
                <a href={`/console/settings/${s}`}>{s}</a>
              </td>
              <td>{ABOUT[s] ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>,
  );
});

async function sectionPage(c: ConsoleContext, section: SectionName, form?: Record<string, string>, errors: FieldError[] = [], detail?: string) {
  const r = await c.get("api")("GET", `/v1/settings/${section}`);
  const stop = refused(c, r, `Section ${section}`);
  if (stop) return stop;
  const fields = sectionFields(section, r.body.value);
  const canWrite = can(c.get("role"), "settings:write");
  return render(
    c,
    `Settings: ${section}`,
    <>
      <p>
        {ABOUT[section] ?? section}. Version {r.body.version || "— (defaults)"}. <a href="/console/settings">All sections</a>
      </p>
      <form method="post" action={`/console/settings/${section}`} class="card">
        {canWrite ? <Csrf token={c.get("csrf")} /> : null}
        <Problem detail={errors.length ? undefined : detail} errors={errors} shown={fields.map((f) => f.name)} />
        <fieldset disabled={!canWrite} style="border:0;padding:0;margin:0">
          {fields.map((f) => {
            const id = `f-${f.name}`;
            const value = form?.[`v.${f.name}`] ?? f.value;
            const messages = errorsFor(errors, f.name);
            const invalid = messages.length ? "true" : undefined;
            const described = messages.length ? `${id}-error` : undefined;
            return (
              <div data-field={f.name}>
                <label for={id}>
                  {f.name} <span class="hint">{f.kind === "json" ? (f.unset ? "JSON; not set" : "JSON") : f.unset ? "not set: empty keeps the default" : ""}</span>
                </label>
                {f.kind === "json" ? (
                  <textarea id={id} name={`v.${f.name}`} rows={Math.min(16, Math.max(3, value.split("\n").length + 1))} aria-invalid={invalid} aria-describedby={described}>
                    {value}
                  </textarea>
                ) : f.kind === "bool" || f.kind === "enum" ? (
                  <select id={id} name={`v.${f.name}`} aria-invalid={invalid} aria-describedby={described}>
                    <option value="" selected={value === ""}>
                      (not set)
                    </option>
                    {(f.kind === "bool" ? ["true", "false"] : f.options!).map((o) => (
                      <option value={o} selected={o === value}>
                        {o}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input id={id} name={`v.${f.name}`} type="text" inputmode={f.kind === "number" ? "numeric" : undefined} value={value} aria-invalid={invalid} aria-describedby={described} />
                )}
                <FieldErrors id={id} messages={messages} />
              </div>
            );
          })}
        </fieldset>
        {canWrite ? (
          <div class="actions">
            <button type="submit">Save {section}</button>
          </div>
        ) : (
          <p class="mute">Your role can read settings, not change them.</p>
        )}
      </form>
    </>,
    errors.length || detail ? 400 : 200,
  );
}

settingsPage.get("/:section", async (c) => {
  const section = c.req.param("section");
  if (!isSection(section)) return render(c, "Not found", <p class="problem">No settings section {section}.</p>, 404);
  return sectionPage(c, section);
});

settingsPage.post("/:section", async (c) => {
  const section = c.req.param("section");
  if (!isSection(section)) return render(c, "Not found", <p class="problem">No settings section {section}.</p>, 404);
  const form = await formBody(c);
  const cur = await c.get("api")("GET", `/v1/settings/${section}`);
  const stop = refused(c, cur);
  if (stop) return stop;
  const { body, errors } = sectionBody(sectionFields(section, cur.body.value), form);
  if (errors.length) return sectionPage(c, section, form, errors);
  const r = await c.get("api")("PUT", `/v1/settings/${section}`, body);
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return sectionPage(c, section, form, r.errors, r.detail);
  return done(c, `/console/settings/${section}`, r.body.changed ? `Saved ${section} (version ${r.body.version}).` : "Nothing changed.");
});
