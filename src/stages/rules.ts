/**
 * Stage rules inside a ContactDO transaction: an event moves the contact's stage when a rule of
 * `settings.stageRules` matches, and a `dormant` timer (reset by activity) moves a quiet contact to
 * the dormant stage. Rules whose stages are not configured are inert.
 */
import { now } from "../clock";
import { matches } from "../conditions";
import { parseDuration } from "../duration";
import { type Session, setStage } from "../contacts/session";
import type { RunEvent } from "../flows/runner";
import { stagesOf } from "../settings/schema";
import type { DormantRule, StageRule } from "./settings";

/** The one dormant timer of a contact. */
export const DORMANT_TIMER = "dormant";

/** Events Tidings records about its own messages: news, not the contact's activity. */
const NOT_ACTIVITY = ["Message Delivered", "Message Failed"];

/** Apply the rules that match `e` (in order), then move the dormant timer. */
export function applyStageRules(s: Session, e: RunEvent): void {
  const { rules, dormant } = s.config.settings.stageRules;
  const order = stagesOf(s.config.settings);
  for (const rule of rules) {
    if (rule.event !== e.name || !matches(rule.where, { event: e.name, properties: e.properties })) continue;
    if (![rule.to, ...(rule.from ?? [])].every((st) => order.includes(st))) continue;
    if (rule.from && !rule.from.includes(s.contact.stage ?? "")) continue;
    if (rule.occurrence !== undefined && !occurrenceHolds(s, rule, e)) continue;
    if (rule.onlyForward && order.indexOf(rule.to) < order.indexOf(effectiveStage(s, dormant))) continue;
    setStage(s, rule.to, `rule:${rule.name}`);
  }
  resetDormant(s);
}

/** Whether `e` is the occurrence the rule asks for (counted in the contact's event log, this one included). */
function occurrenceHolds(s: Session, rule: StageRule, e: RunEvent): boolean {
  const since = rule.within ? e.at - parseDuration(rule.within)! : Number.MIN_SAFE_INTEGER;
  const n = s.store
    .all<{ properties: string }>("SELECT properties FROM events WHERE name = ? AND at >= ? AND at <= ?", e.name, since, e.at)
    .filter((row) => matches(rule.where, { event: e.name, properties: JSON.parse(row.properties) })).length;
  return typeof rule.occurrence === "number" ? n === rule.occurrence : n >= rule.occurrence!.gte;
}

/** The stage that counts for "only forward": a dormant contact counts as the stage it went dormant from. */
function effectiveStage(s: Session, dormant: DormantRule | null): string {
  const stage = s.contact.stage ?? "";
  if (!dormant || stage !== dormant.to) return stage;
  const before = s.store.first<{ to_stage: string }>("SELECT to_stage FROM stage_history WHERE to_stage != ? ORDER BY seq DESC LIMIT 1", stage);
  return before?.to_stage ?? stage;
}

/** When the contact goes dormant: its last activity, stage entry or creation plus `after`; undefined when it cannot. */
function dormantDue(s: Session): number | undefined {
  const d = s.config.settings.stageRules.dormant;
  const order = stagesOf(s.config.settings);
  if (!d || !order.includes(d.to) || !d.from.includes(s.contact.stage ?? "")) return undefined;
  const last = s.store.first<{ at: number | null }>(
    `SELECT max(at) AS at FROM events WHERE type = 'track' AND name NOT IN (${NOT_ACTIVITY.map(() => "?").join(",")})`,
    ...NOT_ACTIVITY,
  )?.at ?? 0;
  return Math.max(last, s.contact.stage_at ?? 0, s.contact.created_at) + parseDuration(d.after)!;
}

/**
 * Set, move or clear the dormant timer from the contact's current state. Activity only moves the
 * instant later, so a timer already set earlier stays where it is (moving it on every event cost a
 * timer row and an alarm write per event): when it fires, `dormantElapsed` finds the contact was
 * active and sets it again for the real instant.
 */
export function resetDormant(s: Session): void {
  const due = dormantDue(s);
  if (due === undefined) {
    s.store.clearTimer(DORMANT_TIMER);
    return;
  }
  const set = s.store.first<{ due_at: number }>("SELECT due_at FROM timers WHERE id = ?", DORMANT_TIMER)?.due_at;
  if (set !== undefined && set <= due && set > now()) return;
  s.store.setTimer(DORMANT_TIMER, due, "dormant", s.config.settings.stageRules.dormant!.to);
}

/** The dormant timer fired: move the contact when it really was quiet for the whole period. */
export function dormantElapsed(s: Session): void {
  const due = dormantDue(s);
  if (due !== undefined && due <= now()) setStage(s, s.config.settings.stageRules.dormant!.to, "rule:dormant");
  resetDormant(s);
}
