/**
 * Template text: `Hi {{firstName | default: "there"}}, your cart: {{properties.checkout_url}}`.
 * Variables are checked when a template is saved, so a customer never receives a broken message.
 */

/** Reserved Segment traits a template may use without declaring them. */
export const RESERVED_TRAITS = [
  "firstName", "lastName", "name", "email", "phone", "title", "username", "website", "age", "birthday", "gender",
  "company.name", "address.city", "address.country", "address.state",
] as const;

/** Built-in variables about the brand. */
export const BRAND_VARIABLES = ["brand.name", "brand.support"] as const;

const VARIABLE = /\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*default:\s*"((?:[^"\\]|\\.)*)"\s*)?\}\}/g;
const ANY_BRACES = /\{\{[^}]*\}\}?/g;

/** A variable used in a template. */
export interface VariableUse {
  name: string;
  fallback?: string;
}

/** The variables a template body uses, plus any `{{…}}` that is not valid syntax. */
export function variablesOf(body: string): { uses: VariableUse[]; malformed: string[] } {
  const uses: VariableUse[] = [];
  for (const m of body.matchAll(VARIABLE)) uses.push({ name: m[1]!, fallback: m[2]?.replace(/\\(.)/g, "$1") });
  const malformed = [...body.replace(VARIABLE, "").matchAll(ANY_BRACES)].map((m) => m[0]);
  return { uses, malformed };
}

/**
 * Variables a template may not use: not a reserved trait, not a declared trait, not a brand variable,
 * and not `properties.<name>` for a property the template declares.
 */
export function undeclaredVariables(body: string, declaredTraits: readonly string[], properties: readonly string[]): string[] {
  const allowed = new Set<string>([...RESERVED_TRAITS, ...BRAND_VARIABLES, ...declaredTraits, ...properties.map((p) => `properties.${p}`)]);
  return [...new Set(variablesOf(body).uses.map((u) => u.name).filter((n) => !allowed.has(n)))];
}

/** What a template is rendered with. */
export interface RenderContext {
  traits: Record<string, unknown>;
  properties: Record<string, unknown>;
  brand: { name: string; support: string };
}

/** Render a template body: each variable's value, else its default, else nothing. */
export function render(body: string, ctx: RenderContext): string {
  return renderEach(body, ({ name, fallback }) => {
    const value = lookup(name, ctx);
    if (value === undefined || value === null || value === "") return fallback ?? "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}

/** Replace every variable with what `value` returns for it (its default already unescaped). */
export function renderEach(body: string, value: (use: VariableUse) => string): string {
  return body.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => value({ name, fallback: fallback?.replace(/\\(.)/g, "$1") }));
}

function lookup(name: string, ctx: RenderContext): unknown {
  if (name.startsWith("properties.")) return dig(ctx.properties, name.slice("properties.".length));
  if (name.startsWith("brand.")) return dig(ctx.brand, name.slice("brand.".length));
  return dig(ctx.traits, name);
}

function dig(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
