/**
 * From a template version to the exact text that is sent: render the variables, then count its
 * segments. The ContactDO calls this once per message; the stored segments are those of this text.
 */
import type { Settings } from "../settings/schema";
import { type RenderContext, render } from "./render";
import type { TemplateVersion } from "./schema";
import { type SegmentInfo, segmentInfo } from "./segments";

/** The text of one message and what it costs in segments. */
export interface Composed extends SegmentInfo {
  body: string;
}

/** Compose the message text for one contact. */
export function composeMessage(tpl: TemplateVersion, ctx: RenderContext, _settings: Settings): Composed {
  const body = render(tpl.body, ctx);
  return { body, ...segmentInfo(body) };
}
