/**
 * Bad requests generated from an OpenAPI operation's own schemas, as fast-check arbitraries: each
 * breaks one rule the document states (a type, a required field, an enum, a length, a pattern, a
 * range, a closed object, the JSON itself, the content type, a path or query parameter, a header,
 * the key) and says which field the answer should name.
 */
import fc from "fast-check";

/** A JSON schema node (OpenAPI 3.1). */
export type Schema = { [k: string]: any };

/** One operation of the document: method, path template, parameters and JSON body schema. */
export interface Operation {
  method: string;
  path: string;
  params: Array<{ in: "path" | "query" | "header"; name: string; schema: Schema }>;
  body?: Schema;
  /** The content types the body may come as (the tracking API also takes analytics.js's text/plain). */
  types?: string[];
}

/** A generated request: what it breaks, and the field a 400/415/422 answer must name. */
export interface BadRequest {
  rule: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  field?: string;
}

/** The base a request is built on: a valid value for each path parameter and the key to send. */
export interface Base {
  pathParams: Record<string, string>;
  authorization: string;
}

type Doc = { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

/** Every operation of an OpenAPI document. */
export function operations(doc: Doc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = ((op.parameters ?? []) as any[]).map((p) => ({ in: p.in, name: p.name, schema: deref(doc, p.schema ?? {}) }));
      const body = op.requestBody?.content?.["application/json"]?.schema;
      out.push({ method: method.toUpperCase(), path, params, ...(body ? { body: deref(doc, body), types: Object.keys(op.requestBody.content) } : {}) });
    }
  }
  return out;
}

/** A schema with its `$ref` resolved. */
function deref(doc: Doc, s: Schema): Schema {
  while (s?.$ref) s = doc.components!.schemas![String(s.$ref).split("/").pop()!]!;
  return s ?? {};
}

const typesOf = (s: Schema): string[] | undefined => {
  if (s.enum) return [...new Set(s.enum.map(jsonType))] as string[];
  if (!s.type) return undefined;
  const t = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
  return t.includes("number") ? [...t, "integer"] : t;
};

/** The JSON type of a value, as a schema names it. */
function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const DATE_TIME = "2026-11-24T18:00:00.000Z";
const PATTERN_SAMPLES = ["a", "a1", "marketing", "form", "b_1", "AA", "2026-11-24", "10:00", "+14155550100"];

/** A value the schema accepts (its example, default or the simplest thing that fits). */
function sample(doc: Doc, s0: Schema): unknown {
  const s = deref(doc, s0);
  if ("example" in s) return s.example;
  if ("default" in s) return s.default;
  if (s.enum) return s.enum[0];
  if ("const" in s) return s.const;
  if (s.anyOf || s.oneOf) return sample(doc, (s.anyOf ?? s.oneOf)[0]);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      if (s.format === "date-time") return DATE_TIME;
      if (s.pattern) return PATTERN_SAMPLES.find((x) => new RegExp(s.pattern, "u").test(x)) ?? "a";
      return "x".repeat(Math.max(1, s.minLength ?? 1));
    case "integer":
    case "number":
      return s.minimum ?? 1;
    case "boolean":
      return true;
    case "array":
      return Array.from({ length: s.minItems ?? 0 }, () => sample(doc, s.items ?? {}));
    case "object":
      return Object.fromEntries(((s.required ?? []) as string[]).map((k) => [k, sample(doc, s.properties?.[k] ?? {})]));
    default:
      return null;
  }
}

/** A node of a value with the schema that governs it. */
interface Node {
  path: string[];
  schema: Schema;
  value: unknown;
}

/** Every node of `value` whose schema is plain enough to break on purpose (unions are not entered). */
function nodes(doc: Doc, s0: Schema, value: unknown, path: string[] = []): Node[] {
  const s = deref(doc, s0);
  if (s.anyOf || s.oneOf) return [];
  const out: Node[] = [{ path, schema: s, value }];
  if (jsonType(value) === "object" && s.type === "object") {
    for (const [k, v] of Object.entries(value as object)) {
      const child = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
      if (child && Object.keys(child).length) out.push(...nodes(doc, child, v, [...path, k]));
    }
  }
  if (Array.isArray(value) && s.items) value.forEach((v, i) => out.push(...nodes(doc, s.items, v, [...path, String(i)])));
  return out;
}

/** Marks a node to delete rather than replace. */
const DELETE = Symbol("delete");

/** `value` with the node at `path` replaced (or deleted when `to` is `DELETE`). */
function setAt(value: unknown, path: string[], to: unknown): unknown {
  if (!path.length) return to;
  const copy = structuredClone(value) as Record<string, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (to === DELETE) delete node[last];
  else node[last] = to;
  return copy;
}

/** The field name problem.ts gives a body path. */
const fieldOf = (path: string[]) => path.join(".") || "(body)";

const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== "__proto__"), fc.integer(), { maxKeys: 3 }),
);

/** A value of a JSON type the schema does not allow. */
function wrongType(s: Schema): fc.Arbitrary<unknown> | undefined {
  const allowed = typesOf(s);
  if (!allowed) return undefined;
  return anyJson.filter((v) => !allowed.includes(jsonType(v)));
}

/** A huge string: over every limit we state, under the 1 MiB body cap. */
const huge = fc.integer({ min: 20_000, max: 200_000 }).map((n) => "x".repeat(n));

/** A value of the right type that breaks one of the schema's constraints (length, pattern, enum, range, format, items). */
function outOfBounds(s: Schema, value: unknown, big = true): fc.Arbitrary<unknown> | undefined {
  const arbs: Array<fc.Arbitrary<unknown>> = [];
  if (s.enum) arbs.push(fc.string({ maxLength: 20 }).filter((x) => !s.enum.includes(x)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "string" && !s.enum) {
    if (s.maxLength !== undefined) arbs.push(fc.integer({ min: s.maxLength + 1, max: s.maxLength + 2_000 }).map((n) => "x".repeat(n)), ...(big ? [huge] : []));
    if (s.minLength) arbs.push(fc.string({ maxLength: s.minLength - 1 }));
    if (s.pattern) arbs.push(fc.string({ maxLength: 30 }).filter((x) => !new RegExp(s.pattern, "u").test(x)));
    if (s.format === "date-time") arbs.push(fc.constantFrom("yesterday", "2026-13-01T00:00:00Z", "2026-11-24", "24/11/2026 18:00", "2026-11-24T25:00:00Z"));
    if (s.format === "uri") arbs.push(fc.constantFrom("not a url", "://x", "http//x"));
  }
  if (type === "integer" || type === "number") {
    if (s.minimum !== undefined) arbs.push(fc.integer({ min: -1_000_000, max: Math.ceil(s.minimum) - 1 }));
    if (s.maximum !== undefined) arbs.push(fc.integer({ min: Math.floor(s.maximum) + 1, max: Math.floor(s.maximum) + 1_000_000 }));
    if (type === "integer") arbs.push(fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)));
  }
  if (type === "array") {
    const items = Array.isArray(value) && value.length ? value : undefined;
    if (s.minItems) arbs.push(fc.constant([]));
    if (s.maxItems !== undefined && items) arbs.push(fc.constant(Array.from({ length: s.maxItems + 1 }, (_, i) => items[i % items.length])));
  }
  return arbs.length ? fc.oneof(...arbs) : undefined;
}

const safeKey = (s: Schema) => fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !(k in (s.properties ?? {})) && k !== "__proto__" && /^[\w-]+$/.test(k));

/** Bodies that break one rule of the schema, each with the field it breaks. */
function badBodies(doc: Doc, schema: Schema): fc.Arbitrary<{ rule: string; body: unknown; field: string }> {
  const base = sample(doc, schema);
  const arbs: Array<fc.Arbitrary<{ rule: string; body: unknown; field: string }>> = [];
  for (const n of nodes(doc, schema, base)) {
    const field = fieldOf(n.path);
    const wrong = wrongType(n.schema);
    if (wrong) arbs.push(wrong.map((v) => ({ rule: `wrong type at ${field}`, body: setAt(base, n.path, v), field })));
    const oob = outOfBounds(n.schema, n.value);
    if (oob) arbs.push(oob.map((v) => ({ rule: `out of bounds at ${field}`, body: setAt(base, n.path, v), field })));
    if (jsonType(n.value) === "object") {
      const present = ((n.schema.required ?? []) as string[]).filter((k) => k in (n.value as object));
      if (present.length) {
        arbs.push(fc.constantFrom(...present).map((k) => ({ rule: `missing ${fieldOf([...n.path, k])}`, body: setAt(base, [...n.path, k], DELETE), field: fieldOf([...n.path, k]) })));
      }
      if (n.schema.additionalProperties === false) {
        arbs.push(fc.tuple(safeKey(n.schema), fc.oneof(huge, anyJson)).map(([k, v]) => ({ rule: `unknown key ${fieldOf([...n.path, k])}`, body: setAt(base, [...n.path, k], v), field: fieldOf([...n.path, k]) })));
      }
    }
  }
  return fc.oneof(...arbs);
}

const MALFORMED_JSON = fc.oneof(
  fc.constantFrom("", "{", '{"a":', "[1,", "nul", "{a:1}", "{'a':1}", '{"a":1}}', "\u0000", "\ufeff{}x"),
  fc.string({ maxLength: 40 }).filter((t) => {
    try {
      JSON.parse(t);
      return false;
    } catch {
      return true;
    }
  }),
);

const OTHER_CONTENT_TYPES = fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/csv", "application/jsonx", null);

/** A query or path value that breaks the parameter's schema (as the string it travels as). */
function badParam(s: Schema): fc.Arbitrary<string> | undefined {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const arbs: Array<fc.Arbitrary<string>> = [];
  if (type === "integer" || type === "number") arbs.push(fc.string({ minLength: 1, maxLength: 12 }).filter((x) => Number.isNaN(Number(x))));
  // URLs and headers stay under a few KB: their size limits are the platform's, not ours.
  const oob = outOfBounds(s, undefined, false);
  if (oob) arbs.push(oob.map(String));
  return arbs.length ? fc.oneof(...arbs) : undefined;
}

/**
 * Path segments that are not even well-formed: broken percent-encoding, encoded separators, control
 * characters, any text. (Not `.` or `..`: a client's URL parser resolves those before sending.)
 */
export const GARBAGE_SEGMENT = fc.oneof(
  fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "a%2Fb", "%C0%AF", "%FF%FE", "%0A"),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent).filter((x) => x !== "." && x !== ".."),
);

/** Whether a string breaks a string schema's enum, pattern or length. */
function breaks(s: Schema, v: string): boolean {
  if (s.enum) return !s.enum.includes(v);
  if (s.pattern && !new RegExp(s.pattern, "u").test(v)) return true;
  return v.length > (s.maxLength ?? Infinity) || v.length < (s.minLength ?? 0);
}

const decoded = (v: string) => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

const qs = (q: Record<string, string>) => {
  const s = new URLSearchParams(q).toString();
  return s ? `?${s}` : "";
};

/** Every kind of bad request for one operation. */
export function badRequests(doc: Doc, op: Operation, base: Base): fc.Arbitrary<BadRequest> {
  const path = (over: Record<string, string> = {}) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => over[name] ?? encodeURIComponent(base.pathParams[name] ?? String(sample(doc, op.params.find((p) => p.name === name)?.schema ?? {}))));
  const json = { authorization: base.authorization, "content-type": "application/json" };
  const validBody = op.body ? JSON.stringify(sample(doc, op.body)) : undefined;
  const req = (rule: string, over: Partial<BadRequest>): BadRequest => ({ rule, method: op.method, path: path(), headers: json, ...(validBody ? { body: validBody } : {}), ...over });
  // Weighted: the body and the parameters are where a route's own rules live; the key and the method are shared.
  const arbs: Array<fc.WeightedArbitrary<BadRequest>> = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<BadRequest>) => arbs.push({ weight, arbitrary });

  // The key: none, another scheme, an unknown one, an absurd one.
  add(
    1,
    fc.constantFrom(undefined, "Basic dXNlcjpwYXNz", "Bearer", "Bearer tid_not_a_key", `Bearer ${"k".repeat(5_000)}`).map((a) => {
      const { authorization: _a, ...rest } = json;
      return req(`authorization ${a?.slice(0, 20) ?? "missing"}`, { headers: a === undefined ? rest : { ...rest, authorization: a } });
    }),
  );
  // A method the path does not have.
  const methods = Object.keys(doc.paths[op.path]!).map((m) => m.toUpperCase());
  const others = ["GET", "POST", "PUT", "DELETE", "PATCH"].filter((m) => !methods.includes(m));
  if (others.length) add(1, fc.constantFrom(...others).map((m) => req(`method ${m}`, { method: m, ...(m === "GET" ? { body: undefined } : {}) })));

  if (op.body) {
    add(8, badBodies(doc, op.body).map((b) => req(b.rule, { body: JSON.stringify(b.body), field: b.field })));
    add(1, MALFORMED_JSON.map((t) => req("malformed JSON", { body: t, field: "(body)" })));
    add(1, fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string(), fc.array(anyJson, { maxLength: 3 })).map((v) => req("not an object", { body: JSON.stringify(v), field: "(body)" })));
    add(
      1,
      OTHER_CONTENT_TYPES.filter((type) => !op.types?.includes(type!)).map((type) => {
        const { "content-type": _t, ...rest } = json;
        // Bytes, so fetch adds no content type of its own when there is none.
        return req(`content type ${type ?? "missing"}`, { headers: type ? { ...rest, "content-type": type } : rest, body: new TextEncoder().encode(validBody), field: "content-type" });
      }),
    );
  }
  for (const p of op.params) {
    if (p.in === "query") {
      const bad = badParam(p.schema);
      if (bad) add(3, bad.map((v) => req(`query ${p.name}=${v.slice(0, 20)}`, { path: path() + qs({ [p.name]: v }), field: `query.${p.name}` })));
    } else if (p.in === "path") {
      const bad = badParam(p.schema);
      if (bad) add(2, bad.map((v) => req(`path ${p.name}=${v.slice(0, 20)}`, { path: path({ [p.name]: encodeURIComponent(v) }), field: `param.${p.name}` })));
      // Garbage names nothing in particular (an unknown contact is a 404), but must not be a valid value by chance.
      const garbage = p.schema.pattern || p.schema.enum ? GARBAGE_SEGMENT.filter((v) => breaks(p.schema, decoded(v))) : GARBAGE_SEGMENT;
      add(2, garbage.map((v) => req(`path ${p.name}=${v.slice(0, 20)}`, { path: path({ [p.name]: v }) })));
    } else if (p.in === "header") {
      const bad = badParam(p.schema);
      if (bad) add(2, bad.map((v) => req(`header ${p.name}`, { headers: { ...json, [p.name]: v }, field: `header.${p.name}` })));
    }
  }
  return fc.oneof(...arbs);
}

/** Whether a problem's `errors` name `field` (validation names query/path/header fields with their target prefix). */
export function namesField(errors: Array<{ field: string }>, field: string): boolean {
  const bare = field.replace(/^(query|param|header)\./, "");
  return errors.some((e) => e.field === field || e.field === bare || e.field.toLowerCase() === bare.toLowerCase());
}
