/**
 * From a template version to the exact text that is sent: pick the locale variant by the contact's
 * `locale` trait, render the variables, shorten the links, apply smart encoding when it is on, then
 * count the segments of that final text. The ContactDO calls this once per message; the stored segments are these.
 */
import type { Settings } from "../settings/schema";
import { localizedBody } from "./locale";
import { type RenderContext, render } from "./render";
import type { TemplateBody } from "./schema";
import { type SegmentInfo, segmentInfo } from "./segments";
import { type SmartReplacement, smartEncode } from "./smart-encoding";
import type { ShortLink } from "../links/rewrite";

/** The text of one message and what it costs in segments. */
export interface Composed extends SegmentInfo {
  body: string;
  /** The locale variant used, or null for the default body. */
  locale: string | null;
  /** Look-alikes smart encoding replaced ([] when it is off or could not reach GSM-7). */
  replaced: SmartReplacement[];
  /** Short links made for this text. */
  links: ShortLink[];
}

/** Rewrites the links of a rendered text (see links/rewrite.ts). */
export type Shortener = (text: string) => { text: string; links: ShortLink[] };

/** Whether smart encoding applies to a template: its own setting, else the brand's. */
export function smartEncodingOn(tpl: Pick<TemplateBody, "smartEncoding">, settings: Settings): boolean {
  return tpl.smartEncoding ?? settings.templates.smartEncoding;
}

/** Compose the message text for one contact. */
export function composeMessage(
  tpl: Pick<TemplateBody, "body" | "locales" | "smartEncoding">,
  ctx: RenderContext,
  settings: Settings,
  shorten?: Shortener,
): Composed {
  const { locale, body: source } = localizedBody(tpl, ctx.traits.locale);
  const short = shorten ? shorten(render(source, ctx)) : { text: render(source, ctx), links: [] };
  // Encoding runs on the rendered text: a trait value can bring a curly apostrophe of its own.
  const smart = smartEncodingOn(tpl, settings) ? smartEncode(short.text) : undefined;
  const body = smart?.text ?? short.text;
  return { body, locale, replaced: smart?.replaced ?? [], links: short.links, ...segmentInfo(body) };
}
