/**
 * `settings.retention`: how long each kind of record stays hot (in D1 and in each ContactDO) before it
 * is archived to R2 and pruned. A retention may not be shorter than a window that reads those rows.
 */
import { z } from "@hono/zod-openapi";
import { Duration, parseDuration } from "../duration";
import type { FieldError } from "../http/problem";
import type { CompiledFlow } from "../settings/config";
import type { Settings } from "../settings/schema";

const DAY = 86_400_000;
const Keep = Duration.refine((d) => parseDuration(d)! >= DAY && parseDuration(d)! <= 3660 * DAY, "between P1D and P3660D");

/** The retention section: each field a duration after which rows of that kind leave the hot stores. */
export const RetentionSection = z
  .object({
    /** Messages (D1 and the contact's own), their attribution outcomes, set-aside outbox rows. */
    messages: Keep.default("P90D"),
    /** Gate decisions. */
    decisions: Keep.default("P90D"),
    /** Link hits (links themselves go when their `links.ttl` has passed). */
    clicks: Keep.default("P90D"),
    /** Finished flow runs (each flow's last run per contact is kept: re-entry reads it). */
    runs: Keep.default("P90D"),
    /** Goal conversions. */
    conversions: Keep.default("P90D"),
    /** Tasks once done. */
    tasks: Keep.default("P90D"),
    /** A contact's dedupe keys (inbound message ids, import rows, merges). */
    seen: Keep.default("P30D"),
    /** Stage changes (the current stage's entry is always kept). */
    stageHistory: Keep.default("P1095D"),
    /** D1's consent-change log. Consent is legal proof: the contact's own ledger is never pruned. */
    consent: Keep.default("P2555D"),
    /** The admin audit log. */
    audit: Keep.default("P2555D"),
  })
  .strict();
/** The retention settings. */
export type RetentionSettings = z.infer<typeof RetentionSection>;

/** How long an Idempotency-Key (D1 `idempotency_keys`) is honoured; its row is pruned after this. */
export const IDEMPOTENCY_TTL_MS = DAY;

/** A retention in ms. */
export const keepMs = (r: RetentionSettings, kind: keyof RetentionSettings): number => parseDuration(r[kind])!;

/**
 * Why these settings are refused: each retention that is shorter than something reading its rows
 * (cap windows, attribution windows, message expiries, flow re-entry gaps, dedupe windows). `section` names the
 * section being saved, so the error names one of its own fields.
 */
export function retentionErrors(s: Settings, flows: Iterable<CompiledFlow>, section: string): FieldError[] {
  const r = s.retention;
  const needs: Array<{ kind: keyof RetentionSettings; ms: number; what: string; field: string }> = [];
  const need = (kind: keyof RetentionSettings, duration: string, what: string, field: string) => needs.push({ kind, ms: parseDuration(duration) ?? 0, what, field });
  s.caps.rules.forEach((c, i) => need("messages", c.window, `the cap "${c.name}" window (${c.window})`, `caps:rules.${i}.window`));
  // A message may still change (and be recorded again) until it expires.
  for (const [job, d] of Object.entries(s.messages.expiry)) need("messages", d, `messages.expiry.${job} (${d})`, `messages:expiry.${job}`);
  const a = s.attribution;
  need("messages", a.clickWindow, `attribution.clickWindow (${a.clickWindow})`, "attribution:clickWindow");
  need("clicks", a.clickWindow, `attribution.clickWindow (${a.clickWindow})`, "attribution:clickWindow");
  need("messages", a.deliveryWindow, `attribution.deliveryWindow (${a.deliveryWindow})`, "attribution:deliveryWindow");
  need("messages", a.replyWindow, `attribution.replyWindow (${a.replyWindow})`, "attribution:replyWindow");
  for (const f of flows) {
    if (f.cap) need("messages", f.cap.window, `flow "${f.key}" cap window (${f.cap.window})`, "");
    if (f.reentry !== "always" && f.reentry !== "never") need("runs", f.reentry, `flow "${f.key}" re-entry gap (${f.reentry})`, "");
  }
  // Dedupe: an Idempotency-Key replay reads the message and its decision; redelivered webhooks read `seen`.
  for (const kind of ["messages", "decisions", "seen"] as const) need(kind, "P1D", "the 24 h Idempotency-Key and redelivery window", "");
  const errors: FieldError[] = [];
  for (const n of needs) {
    if (keepMs(r, n.kind) >= n.ms) continue;
    const message = `retention.${n.kind} (${r[n.kind]}) is shorter than ${n.what}, which reads those rows`;
    // Saving retention names the retention field; saving caps or attribution names the window that outgrew it.
    const [sec, field] = n.field.split(":");
    const name = section === "retention" ? n.kind : sec === section ? field! : undefined;
    if (name && !errors.some((e) => e.field === name)) errors.push({ field: name, message });
  }
  return errors;
}

/** Why a flow may not be saved under the current retention: its cap window or re-entry gap outlasts the rows it reads. */
export function flowRetentionErrors(flow: { cap?: { window: string }; reentry: string }, r: RetentionSettings): FieldError[] {
  const errors: FieldError[] = [];
  if (flow.cap && (parseDuration(flow.cap.window) ?? 0) > keepMs(r, "messages")) {
    errors.push({ field: "cap.window", message: `longer than retention.messages (${r.messages}), which keeps the messages the cap counts` });
  }
  if (flow.reentry !== "always" && flow.reentry !== "never" && (parseDuration(flow.reentry) ?? 0) > keepMs(r, "runs")) {
    errors.push({ field: "reentry", message: `longer than retention.runs (${r.runs}), which keeps the runs re-entry reads` });
  }
  return errors;
}
