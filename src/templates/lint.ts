/**
 * Template lint: findings with a stable `rule` code, each naming the offending characters, variables
 * or words. Findings of severity `error` block a save; `warning`s are returned with the saved template
 * and in previews. Pure: no bindings, so the rules are tested directly.
 *
 * Segment counts of a template are estimates, because variable values are unknown at save time:
 * every variable counts as PLACEHOLDER_LENGTH GSM-7 characters (links and email LONG_PLACEHOLDER_LENGTH),
 * or as its default when that is longer; `{{brand.*}}` counts as the brand's current value.
 */
import type { Settings } from "../settings/schema";
import { hasOptOutInstruction, keywordInstructions } from "./opt-out";
import { type VariableUse, renderEach, undeclaredVariables, variablesOf } from "./render";
import type { TemplateBody } from "./schema";
import { nonGsmCharacters, segmentInfo } from "./segments";
import { smartEncode } from "./smart-encoding";

/** Stable codes of the lint rules. */
export const LINT_RULES = [
  "malformed_variable",
  "undeclared_variable",
  "too_many_segments",
  "replaceable_ucs2",
  "missing_opt_out",
  "opt_out_keyword_misuse",
  "missing_link",
] as const;
/** A lint rule code. */
export type LintRule = (typeof LINT_RULES)[number];

/** One lint finding. */
export interface Finding {
  rule: LintRule;
  /** `error` blocks a save; `warning` does not. */
  severity: "error" | "warning";
  /** Where: `body` or `locales.<tag>`. */
  field: string;
  message: string;
  /** The offending characters, variables or words ([] when the finding is about something missing). */
  items: string[];
  /** For replaceable_ucs2: each character and its GSM-7 replacement. */
  replacements?: Array<{ char: string; replacement: string }>;
  /** For too_many_segments: the (estimated) segments and the maximum. */
  segments?: number;
  maxSegments?: number;
}

/** What the rules need to know about a template and its brand. */
export interface LintOptions {
  job?: string;
  purpose?: string;
  maxSegments: number;
  smartEncoding: boolean;
  requireOptOut: boolean;
  linkJobs: readonly string[];
}

/** Characters an ordinary variable counts as in a segment estimate. */
export const PLACEHOLDER_LENGTH = 15;
/** Characters a link or email variable counts as in a segment estimate. */
export const LONG_PLACEHOLDER_LENGTH = 30;

const LINK_VARIABLE = /(url|link|href|website)$/i;
const LINK = /\bhttps?:\/\/\S+|\bwww\.\S+|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}\/\S*/i;

/** The rule options for a template under a brand's settings (the template's own overrides first). */
export function lintOptions(tpl: Partial<Pick<TemplateBody, "job" | "purpose" | "maxSegments" | "smartEncoding">>, settings: Settings): LintOptions {
  const t = settings.templates;
  return {
    job: tpl.job,
    purpose: tpl.purpose,
    maxSegments: tpl.maxSegments ?? t.maxSegments,
    smartEncoding: tpl.smartEncoding ?? t.smartEncoding,
    requireOptOut: t.requireOptOut,
    linkJobs: t.linkJobs,
  };
}

/** Findings on a body's variables: malformed `{{…}}` and undeclared names (both block a save). */
export function lintVariables(body: string, field: string, declaredTraits: readonly string[], properties: readonly string[]): Finding[] {
  const out: Finding[] = [];
  for (const m of variablesOf(body).malformed) {
    out.push({ rule: "malformed_variable", severity: "error", field, items: [m], message: `malformed variable ${m} (use {{name}} or {{name | default: "text"}})` });
  }
  for (const v of undeclaredVariables(body, declaredTraits, properties)) {
    out.push({
      rule: "undeclared_variable",
      severity: "error",
      field,
      items: [`{{${v}}}`],
      message: v.startsWith("properties.")
        ? `variable {{${v}}} is not declared: add "${v.slice(11)}" to properties`
        : `variable {{${v}}} is not declared: use a reserved trait, declare it in settings.traits, or use properties.<name>`,
    });
  }
  return out;
}

/**
 * Findings on one message text as rendered (before smart encoding, which this applies itself when on):
 * segments over the maximum, replaceable characters forcing UCS-2, opt-out instructions, links.
 */
export function lintText(text: string, field: string, o: LintOptions, estimated = ""): Finding[] {
  const out: Finding[] = [];
  const smart = smartEncode(text);
  const sent = o.smartEncoding ? smart.text : text;
  const over = segmentsFinding(sent, field, o.maxSegments, estimated);
  if (over) out.push(over);
  if (!o.smartEncoding && smart.replaced.length) {
    const pairs = uniqueBy(smart.replaced.map((r) => ({ char: r.from, replacement: r.to })), (p) => p.char);
    const gsm = segmentInfo(smart.text).segments;
    out.push({
      rule: "replaceable_ucs2",
      severity: "warning",
      field,
      items: pairs.map((p) => p.char),
      replacements: pairs,
      message:
        `${pairs.map((p) => `${p.char} (${JSON.stringify(p.replacement)} in GSM-7)`).join(", ")} make${pairs.length > 1 ? "" : "s"} the message UCS-2 ` +
        `(${plural(segmentInfo(text).segments, "segment")}; ${gsm} in GSM-7): replace ${pairs.length > 1 ? "them" : "it"} or turn on smart encoding`,
    });
  }
  if (o.requireOptOut && o.purpose === "marketing" && !hasOptOutInstruction(text)) {
    out.push({ rule: "missing_opt_out", severity: "warning", field, items: [], message: 'a marketing message must say how to opt out, e.g. "Reply STOP to opt out"' });
  }
  for (const i of keywordInstructions(text)) {
    if (i.optsOut) continue;
    out.push({
      rule: "opt_out_keyword_misuse",
      severity: "error",
      field,
      items: [i.keyword],
      message:
        `"${i.instruction}": ${i.keyword} is an opt-out keyword, so that reply would opt the person out of every message ` +
        `instead of doing what the text says; use a word that is not an opt-out keyword (e.g. NO or 2), or say it opts out`,
    });
  }
  if (o.job && o.linkJobs.includes(o.job) && !LINK.test(text)) {
    out.push({ rule: "missing_link", severity: "warning", field, items: [], message: `a ${o.job} message needs a link: a URL or a variable such as {{properties.checkout_url}}` });
  }
  return out;
}

/** A body with every variable at its estimate (`estimate`) or at its default or nothing (`minimum`). */
export function estimateText(body: string, brand: { name: string; support: string }, mode: "estimate" | "minimum"): string {
  return renderEach(body, (use) => {
    if (use.name === "brand.name") return brand.name;
    if (use.name === "brand.support") return brand.support;
    const fallback = use.fallback ?? "";
    return mode === "minimum" ? fallback : placeholder(use, fallback);
  });
}

function placeholder(use: VariableUse, fallback: string): string {
  const last = use.name.split(".").pop()!;
  const link = LINK_VARIABLE.test(last);
  const length = link || last === "email" ? LONG_PLACEHOLDER_LENGTH : PLACEHOLDER_LENGTH;
  if (fallback.length >= length) return fallback;
  // A link variable stands for a URL, so the link rule sees one.
  return link ? "https://t.example/".padEnd(length, "x") : fallback.padEnd(length, "x");
}

/**
 * Every finding for a template at save time, for its body and each locale variant. Segments over the
 * maximum block the save only when even the minimum rendering (defaults, else nothing) is over it.
 */
export function lintTemplate(tpl: TemplateBody, settings: Settings): Finding[] {
  const o = lintOptions(tpl, settings);
  const variants: Array<[string, string]> = [["body", tpl.body], ...Object.entries(tpl.locales ?? {}).map(([k, v]): [string, string] => [`locales.${k}`, v])];
  const out: Finding[] = [];
  for (const [field, body] of variants) {
    out.push(...lintVariables(body, field, settings.traits.declared, tpl.properties));
    const exact = variablesOf(body).uses.every((u) => u.name.startsWith("brand."));
    const minimum = estimateText(body, settings.brand, "minimum");
    const over = segmentsFinding(o.smartEncoding ? smartEncode(minimum).text : minimum, field, o.maxSegments, exact ? "" : " even with every variable at its default or empty");
    if (over) out.push({ ...over, severity: "error", message: `${over.message}: shorten it or raise maxSegments` });
    const estimated = exact ? "" : ` (estimated with each variable as ${PLACEHOLDER_LENGTH} characters, links and email ${LONG_PLACEHOLDER_LENGTH})`;
    // When even the minimum is over, the estimate's warning would only repeat the error.
    out.push(...lintText(estimateText(body, settings.brand, "estimate"), field, o, estimated).filter((f) => !(over && f.rule === "too_many_segments")));
  }
  return out;
}

function segmentsFinding(sent: string, field: string, max: number, how: string): Finding | undefined {
  const info = segmentInfo(sent);
  if (info.segments <= max) return undefined;
  const ucs = info.encoding === "UCS-2" ? unique(nonGsmCharacters(sent).map((c) => c.char)) : [];
  const units = `${info.units} ${info.encoding === "GSM-7" ? "septets" : "UTF-16 units"}`;
  return {
    rule: "too_many_segments",
    severity: "warning",
    field,
    items: ucs,
    segments: info.segments,
    maxSegments: max,
    message:
      `${plural(info.segments, "segment")} (${info.encoding}, ${units})${how}, over the maximum of ${max}` +
      (ucs.length ? `; ${ucs.join(" ")} make it UCS-2 (70 characters per segment instead of 160)` : ""),
  };
}

/** True when a finding blocks a save. */
export function blocks(f: Finding): boolean {
  return f.severity === "error";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function uniqueBy<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)));
}
