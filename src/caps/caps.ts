/**
 * Frequency caps, pure: which cap a message would break now, and the earliest instant at which it
 * no longer would (the moment enough earlier messages leave the rolling window).
 */
import { parseDuration } from "../duration";
import type { CapRule } from "./settings";

/** A message as caps see it. */
export interface CapSubject {
  purpose: string;
  job: string;
  stage: string | null;
  flow: string | null;
  tags: readonly string[];
}

/** A message that already went (cleared the gate), with when. */
export interface SentRecord extends CapSubject {
  at: number;
}

/** A cap in force for one message: the rule's name and its window and maximum in ms. */
export interface ActiveCap {
  name: string;
  windowMs: number;
  max: number;
  counts: (m: CapSubject) => boolean;
}

/** Whether a message falls in a rule's scope. */
export function inScope(rule: CapRule, m: CapSubject): boolean {
  if (m.purpose === "transactional" && !rule.includeTransactional) return false;
  const s = rule.scope;
  return (
    (!s.purpose || s.purpose === m.purpose) &&
    (!s.stage || s.stage === m.stage) &&
    (!s.job || s.job === m.job) &&
    (!s.flow || s.flow === m.flow) &&
    (!s.tag || m.tags.includes(s.tag))
  );
}

/** The caps that apply to `m`: the brand's rules in scope, plus its flow's own cap. */
export function capsFor(rules: readonly CapRule[], m: CapSubject, flowCap?: { max: number; window: string }): ActiveCap[] {
  const out: ActiveCap[] = rules
    .filter((r) => inScope(r, m))
    .map((r) => ({ name: r.name, windowMs: parseDuration(r.window)!, max: r.max, counts: (x: CapSubject) => inScope(r, x) }));
  if (flowCap && m.flow) {
    const flow = m.flow;
    out.push({ name: `flow:${flow}`, windowMs: parseDuration(flowCap.window)!, max: flowCap.max, counts: (x) => x.flow === flow });
  }
  return out;
}

/**
 * The first cap `m` would break if sent at `at`, with the earliest instant ≥ `at` it frees up;
 * undefined when no cap objects. History holds earlier sends only.
 */
export function capAt(caps: readonly ActiveCap[], history: readonly SentRecord[], at: number): { name: string; freeAt: number } | undefined {
  for (const cap of caps) {
    const inWindow = history
      .filter((h) => h.at > at - cap.windowMs && h.at <= at && cap.counts(h))
      .map((h) => h.at)
      .sort((a, b) => a - b);
    if (inWindow.length < cap.max) continue;
    // Enough sends must age out to leave room for one more.
    const freeAt = inWindow[inWindow.length - cap.max]! + cap.windowMs;
    return { name: cap.name, freeAt: Math.max(freeAt, at + 1) };
  }
  return undefined;
}
