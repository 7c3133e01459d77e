/**
 * Template governance: which templates may start a send, and which flows still use a template.
 * Only `active` templates are sent: a `draft` has not been approved, a `retired` one is kept for history.
 */
import { templatesOf } from "../flows/schema";
import type { CompiledFlow } from "../settings/config";
import { problem } from "../http/problem";

/** A flow that sends a template. */
export interface FlowUse {
  flow: string;
  version: number;
  status: string;
}

/** The flows (current versions, any status) whose steps send the template `key`. */
export function flowsUsing(flows: ReadonlyMap<string, CompiledFlow>, key: string): FlowUse[] {
  return [...flows.values()]
    .filter((f) => templatesOf(f.steps).includes(key))
    .map((f) => ({ flow: f.key, version: f.version, status: f.status }))
    .sort((a, b) => a.flow.localeCompare(b.flow));
}

/** The gate's reason to skip a message for its template (`template_missing`, `template_draft`, `template_retired`), or undefined to pass. */
export function templateSkipReason(tpl: { status: string } | undefined): string | undefined {
  if (!tpl) return "template_missing";
  return tpl.status === "active" ? undefined : `template_${tpl.status}`;
}

/**
 * Why `POST /v1/messages` refuses a template before anything is stored: 400 when it does not exist,
 * 409 when it is a draft. A retired template is not refused here: the gate records the skip
 * (`template_retired`) on the contact, as it does for flow messages.
 */
export function sendRefusal(key: string, tpl: { status: string; version: number } | undefined): Response | undefined {
  if (!tpl) return problem(400, "Invalid request", `template: template ${key} does not exist`, { errors: [{ field: "template", message: `template ${key} does not exist` }] });
  if (tpl.status !== "draft") return undefined;
  const message = `template ${key} is a draft (version ${tpl.version}): save it with status "active" before sending it`;
  return problem(409, "Template not active", `template: ${message}`, { errors: [{ field: "template", message }] });
}
