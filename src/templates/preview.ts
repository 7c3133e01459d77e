/**
 * A preview of one message: the exact text a contact would get (locale variant, variables, smart
 * encoding), its segments, the lint findings on that text, the smart-encoding suggestion and the
 * cost per provider. Pure: the route resolves the template, contact and country first.
 */
import type { Settings } from "../settings/schema";
import { composeMessage, smartEncodingOn } from "./compose";
import { type Finding, lintOptions, lintText, lintVariables } from "./lint";
import { localizedBody } from "./locale";
import { type Cost, costOf } from "./prices";
import { type RenderContext, render, variablesOf } from "./render";
import type { TemplateBody } from "./schema";
import { type SegmentInfo, segmentInfo } from "./segments";
import { type SmartReplacement, smartEncode } from "./smart-encoding";

/** A text and its segments. */
export interface CountedText extends SegmentInfo {
  text: string;
}

/** What a template looks like to the preview; `properties` undefined means an inline body (every property it uses counts as declared). */
export type PreviewTemplate = Pick<TemplateBody, "body" | "locales" | "smartEncoding" | "maxSegments"> &
  Partial<Pick<TemplateBody, "job" | "purpose">> & { properties?: readonly string[] };

/** The preview of one message. */
export interface Preview extends CountedText {
  /** The locale variant used, or null for the default body. */
  locale: string | null;
  smartEncoding: {
    enabled: boolean;
    before: CountedText;
    /** The text with look-alikes replaced, or null when there is nothing to replace or replacing would not reach GSM-7. */
    after: CountedText | null;
    replaced: SmartReplacement[];
    segmentsSaved: number;
  };
  warnings: Finding[];
  /** The destination country the price was looked up for (null: unknown, the default rows apply). */
  country: string | null;
  costs: Cost[];
}

/** Preview a template for one contact or sample; `provider` undefined prices every provider in the table. */
export function previewMessage(
  tpl: PreviewTemplate,
  ctx: RenderContext,
  settings: Settings,
  opts: { country?: string; provider?: string; smartEncoding?: boolean } = {},
): Preview {
  const enabled = opts.smartEncoding ?? smartEncodingOn(tpl, settings);
  // The text comes from composeMessage, the function the ContactDO sends with, so they cannot drift apart.
  const sent = composeMessage({ ...tpl, smartEncoding: enabled }, ctx, settings);
  const { body: source } = localizedBody(tpl, ctx.traits.locale);
  const rendered = render(source, ctx);
  const smart = smartEncode(rendered);
  const after = smart.replaced.length ? { text: smart.text, ...segmentInfo(smart.text) } : null;
  const before = { text: rendered, ...segmentInfo(rendered) };

  const field = sent.locale === null ? "body" : `locales.${sent.locale}`;
  const declared = tpl.properties ?? variablesOf(source).uses.filter((u) => u.name.startsWith("properties.")).map((u) => u.name.slice(11));
  const warnings = [
    ...lintVariables(source, field, settings.traits.declared, declared),
    ...lintText(rendered, field, { ...lintOptions(tpl, settings), smartEncoding: enabled }),
  ];

  const table = settings.templates.prices;
  const providers = opts.provider ? [opts.provider] : Object.keys(table).sort();
  const costs = providers.map((p) => costOf(table, p, opts.country, sent.segments)).filter((c): c is Cost => c !== undefined);
  return {
    text: sent.body,
    encoding: sent.encoding,
    segments: sent.segments,
    units: sent.units,
    locale: sent.locale,
    smartEncoding: { enabled, before, after, replaced: smart.replaced, segmentsSaved: after ? before.segments - after.segments : 0 },
    warnings,
    country: opts.country ?? null,
    costs,
  };
}
