/**
 * The builder's inputs: each named by the path the API's zod errors use, each showing the errors
 * that belong to it. A sink hands every error to the first field that claims it; the rest are
 * shown at the top of the form, so none is lost.
 */
import type { FieldError } from "../../http/problem";
import { OPS, UNITS, splitDuration, whereRows } from "./draft";

/** The API's field errors, claimed field by field while the builder is drawn. */
export class ErrorSink {
  private left: FieldError[];
  constructor(errors: readonly FieldError[]) {
    this.left = [...errors];
  }
  /** Messages for a field and its sub-fields (`exact`: the field alone), removed from the sink. */
  take(field: string, exact = false): string[] {
    const mine = this.left.filter((e) => e.field === field || (!exact && e.field.startsWith(`${field}.`)));
    this.left = this.left.filter((e) => !mine.includes(e));
    return mine.map((e) => (e.field === field ? e.message : `${e.field.slice(field.length + 1)}: ${e.message}`));
  }
  /** Errors no field claimed. */
  rest(): FieldError[] {
    return this.left;
  }
}

/** The id of a field's input. */
export const idOf = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;

/** The error line under a field. */
export function errorLine(name: string, messages: string[]) {
  return messages.length ? (
    <p class="error" id={`${idOf(name)}-error`} data-field-error={name}>
      {messages.join("; ")}
    </p>
  ) : null;
}

const invalid = (name: string, messages: string[]) =>
  messages.length ? { "aria-invalid": "true", "aria-describedby": `${idOf(name)}-error` } : {};

/** A labelled text (or number) input. */
export function input(sink: ErrorSink, name: string, label: string, value: unknown, o: { type?: string; list?: string; hint?: string; placeholder?: string; errorField?: string } = {}) {
  const messages = sink.take(o.errorField ?? name);
  return (
    <div class="fld">
      <label for={idOf(name)}>
        {label} {o.hint ? <span class="hint">{o.hint}</span> : null}
      </label>
      <input id={idOf(name)} name={name} type={o.type ?? "text"} value={value === undefined || value === null ? "" : String(value)} list={o.list} placeholder={o.placeholder} {...invalid(name, messages)} />
      {errorLine(name, messages)}
    </div>
  );
}

/** A labelled select. */
export function select(sink: ErrorSink, name: string, label: string, value: unknown, options: readonly (string | readonly [string, string])[], o: { hint?: string; errorField?: string; data?: Record<string, string> } = {}) {
  const messages = sink.take(o.errorField ?? name);
  const opts = options.map((x) => (typeof x === "string" ? ([x, x] as const) : x));
  // A value the options do not hold (a stage that was renamed) stays selectable, so saving shows the API's error.
  if (value !== undefined && value !== "" && !opts.some(([v]) => v === value)) opts.push([String(value), `${value} (unknown)`]);
  return (
    <div class="fld">
      <label for={idOf(name)}>
        {label} {o.hint ? <span class="hint">{o.hint}</span> : null}
      </label>
      <select id={idOf(name)} name={name} {...invalid(name, messages)} {...(o.data ?? {})}>
        {opts.map(([v, t]) => (
          <option value={v} selected={v === value}>
            {t}
          </option>
        ))}
      </select>
      {errorLine(name, messages)}
    </div>
  );
}

/** A duration as a number and a unit (`<name>.n`, `<name>.unit`; `signed` adds before/after). */
export function duration(sink: ErrorSink, name: string, label: string, iso: unknown, o: { signed?: boolean; hint?: string } = {}) {
  const messages = sink.take(name);
  const d = splitDuration(iso);
  return (
    <div class="fld">
      <label for={idOf(`${name}.n`)}>
        {label} {o.hint ? <span class="hint">{o.hint}</span> : null}
      </label>
      <span class="dur">
        <input id={idOf(`${name}.n`)} name={`${name}.n`} type="text" inputmode="decimal" size={5} value={d.n} {...invalid(name, messages)} />
        <select name={`${name}.unit`} aria-label={`${label}: unit`}>
          {UNITS.map(([u, words]) => (
            <option value={u} selected={u === d.unit}>
              {words}
            </option>
          ))}
        </select>
        {o.signed ? (
          <select name={`${name}.sign`} aria-label={`${label}: before or after`}>
            <option value="-" selected={d.sign < 0}>
              before
            </option>
            <option value="+" selected={d.sign > 0}>
              after
            </option>
          </select>
        ) : null}
      </span>
      {errorLine(name, messages)}
    </div>
  );
}

/** Condition rows (path, operator, value) plus one empty row to add another; a row with no path is dropped. */
export function conditions(sink: ErrorSink, name: string, label: string, where: unknown, o: { list?: string; hint?: string } = {}) {
  const messages = sink.take(name);
  const rows = [...whereRows(where), { path: "", op: "eq", value: "" }];
  return (
    <fieldset class="conds" data-conditions={name}>
      <legend>
        {label} {o.hint ? <span class="hint">{o.hint}</span> : null}
      </legend>
      {rows.map((r, i) => (
        <div class="cond">
          <input name={`${name}.${i}.path`} value={r.path} list={o.list} placeholder="traits.plan, stage, properties.value" aria-label={`${label} ${i + 1}: field`} {...invalid(name, messages)} />
          <select name={`${name}.${i}.op`} aria-label={`${label} ${i + 1}: test`}>
            {OPS.map((op) => (
              <option value={op} selected={op === r.op}>
                {op}
              </option>
            ))}
          </select>
          <input name={`${name}.${i}.value`} value={r.value} aria-label={`${label} ${i + 1}: value`} />
        </div>
      ))}
      {errorLine(name, messages)}
    </fieldset>
  );
}
