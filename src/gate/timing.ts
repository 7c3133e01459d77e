/**
 * When a message may go: the earliest instant that satisfies every frequency cap and every quiet-hours
 * window at once (a cap that frees at 21:30 on a Saturday in Texas means Sunday 12:00). Tidings defers
 * by default instead of dropping, within the message's expiry.
 */
import { type ActiveCap, type SentRecord, capAt } from "../caps/caps";
import { iso } from "../clock";
import { type LocalWindow, type QuietHoursRules, nextOpenInstant } from "../time/quiet-hours";
import { type Decision, defer, skip } from "./decision";

/** Everything timing looks at (no I/O). */
export interface TimingInput {
  now: number;
  expiresAt: number;
  caps: readonly ActiveCap[];
  history: readonly SentRecord[];
  /** What the flow wants when a cap blocks: wait for it (default) or drop the message. */
  capPolicy: "defer" | "skip";
  /** Undefined when the message's purpose is exempt from quiet hours. */
  quiet?: {
    zones: readonly string[];
    jurisdiction: string;
    rules: QuietHoursRules;
    brandWindow?: LocalWindow;
    /** The brand's default zone, for numbers whose candidate zones never share a window. */
    fallbackZone: string;
  };
}

/** Undefined when the message may go now; else a deferral (or a skip past expiry, or by cap policy). */
export function timing(i: TimingInput): Decision | undefined {
  let t = i.now;
  const reasons: string[] = [];
  const details: string[] = [];
  let zones = i.quiet?.zones ?? [];
  for (let round = 0; round < 50; round++) {
    const cap = capAt(i.caps, i.history, t);
    if (cap) {
      if (i.capPolicy === "skip") return skip(`cap:${cap.name}`);
      reasons.push(`cap:${cap.name}`);
      t = cap.freeAt;
      continue;
    }
    if (i.quiet) {
      const q = i.quiet;
      let r = nextOpenInstant(t, zones, q.jurisdiction, q.rules, q.brandWindow);
      if (r.at === null && r.reason === "zones_never_overlap") {
        details.push(`the number's ${zones.length} candidate time zones never share a window; used the brand's default zone ${q.fallbackZone}`);
        zones = [q.fallbackZone];
        r = nextOpenInstant(t, zones, q.jurisdiction, q.rules, q.brandWindow);
      }
      if (r.at === null) return skip(`quiet_hours:${q.jurisdiction}`, `no sending window in the next 14 days (${r.reason})`);
      if (!r.open) {
        reasons.push(`quiet_hours:${q.jurisdiction}`);
        t = r.at;
        continue;
      }
    }
    break;
  }
  const detail = [...details, reasons.length > 1 ? `then ${reasons.slice(1).join(", then ")}` : ""].filter(Boolean).join("; ") || undefined;
  // Sendable now; a fallback zone is still worth saying in the decision.
  if (t === i.now) return details.length ? { outcome: "sent", reason: "ok", detail: details.join("; ") } : undefined;
  if (t >= i.expiresAt) return skip("expired", `${reasons[0]} until ${iso(t)}, after the message expires at ${iso(i.expiresAt)}`);
  return defer(reasons[0]!, t, detail);
}
