/** Read models of a contact's Durable Object: the API's view, the timeline and the personal-data export. */
import { consentHistory, consentSummary, ledgerEffects } from "../consent/ledger";
import type { Config } from "../settings/config";
import { outboxView } from "./outbox";
import type { ContactView, JsonBag, TimelineItem } from "./rpc-types";
import type { Session } from "./session";
import type { ContactStore, EventRow, RunRow, TimerRow } from "./store";

/**
 * Everything that happened to the contact, newest first: events, stage and consent changes,
 * decisions, messages. Within one instant, causes come before effects (rank), e.g. a message
 * before its decision. The cursor is (at, rank, id) of the last item.
 */
export async function timelinePage(store: ContactStore, config: () => Promise<Config>, limit: number, before?: [number, number, string]): Promise<{ items: TimelineItem[]; next: string | null; olderHistory?: OlderHistory }> {
  const cursor = before ?? [Number.MAX_SAFE_INTEGER, 9, "~"];
  const rows = store.all<{ at: number; rank: number; kind: string; id: string; data: string }>(
    `SELECT * FROM (
      SELECT at, 1 AS rank, 'stage' AS kind, id, json_object('from', from_stage, 'to', to_stage, 'reason', reason) AS data FROM stage_history
      UNION ALL SELECT at, 2, 'event', printf('%012d', seq),
        json_object('event', name, 'type', type, 'messageId', message_id, 'properties', json(properties)) FROM events
      UNION ALL SELECT at, 3, 'consent', id, json_object('purpose', purpose, 'action', action, 'state', state, 'source', source,
        'text', text, 'phone', phone, 'stop', stop, 'proof', json(proof)) FROM consent
      UNION ALL SELECT created_at, 4, 'message', id, json_object('template', template_key, 'templateVersion', template_version,
        'status', status, 'reason', reason, 'purpose', purpose, 'job', job, 'flow', flow_key, 'body', body, 'segments', segments,
        'consent', json(consent)) FROM messages
      UNION ALL SELECT at, 5, 'decision', id, json_object('messageId', message_id, 'flow', flow_key, 'outcome', outcome,
        'reason', reason, 'until', until, 'detail', detail) FROM decisions
    ) WHERE (at, rank, id) < (?, ?, ?) ORDER BY at DESC, rank DESC, id DESC LIMIT ?`,
    cursor[0], cursor[1], cursor[2], limit + 1,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  // A consent entry kept without effect (a grant after a STOP without the person's own act) says why.
  const effects = page.some((r) => r.kind === "consent") ? ledgerEffects({ store, config: await config() }) : new Map();
  const unapplied = (id: string) => {
    const effect = effects.get(id);
    return effect && !effect.applied ? { applied: false, reason: effect.reason } : {};
  };
  // The last page says where history older than retention went (src/retention/contact-prune.ts notes when it pruned).
  const pruned = rows.length > limit ? undefined : store.first<{ at: number }>("SELECT at FROM seen WHERE key = 'pruned'");
  return {
    ...(pruned ? { olderHistory: olderHistory(pruned.at) } : {}),
    items: page.map((r) => ({ at: new Date(r.at).toISOString(), kind: r.kind, id: r.id, ...dropNulls(JSON.parse(r.data)), ...(r.kind === "consent" ? unapplied(r.id) : {}) })),
    next: rows.length > limit && last ? btoa(JSON.stringify([last.at, last.rank, last.id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : null,
  };
}

/** Where a contact's history older than retention went. */
export interface OlderHistory {
  before: string;
  where: string;
}

function olderHistory(at: number): OlderHistory {
  const day = new Date(at).toISOString().slice(0, 10);
  return {
    before: new Date(at).toISOString(),
    where: `Messages, decisions, runs and stage changes before this were pruned past settings.retention and are in the archive (R2, by kind and day): GET /v1/archive?to=${day}`,
  };
}

/** The contact as the API shows it: state, pending timers, recent events, runs and decisions. */
export function contactView(store: ContactStore, config: Config): ContactView {
  const c = store.contact()!;
  const s = store;
  const session: Session = { store, config, flows: new Map(), contact: c };
  return {
    id: c.id,
    phone: c.phone,
    timezone: c.timezone,
    traits: JSON.parse(c.traits),
    stage: c.stage,
    mergedInto: c.merged_into,
    suppressed: c.suppressed === 1,
    outbox: outboxView(store),
    flags: s.all<{ name: string; source: string; at: number }>("SELECT * FROM flags ORDER BY name").map((f) => ({ name: f.name, source: f.source, at: new Date(f.at).toISOString() })),
    consent: consentSummary(session),
    consentHistory: consentHistory(session),
    createdAt: new Date(c.created_at).toISOString(),
    stageHistory: s.all<{ from_stage: string | null; to_stage: string; reason: string; at: number }>("SELECT * FROM stage_history ORDER BY seq").map((h) => ({
      from: h.from_stage, to: h.to_stage, reason: h.reason, at: new Date(h.at).toISOString(),
    })),
    timers: s.all<TimerRow>("SELECT * FROM timers ORDER BY due_at").map((t) => ({ id: t.id, kind: t.kind, ref: t.ref, dueAt: new Date(t.due_at).toISOString() })),
    runs: s.all<RunRow>("SELECT * FROM runs ORDER BY started_at DESC LIMIT 20").map((r) => ({
      id: r.id, flow: r.flow_key, version: r.version, status: r.status, pc: r.pc, startedAt: new Date(r.started_at).toISOString(),
    })),
    recentEvents: s.all<EventRow>("SELECT * FROM events ORDER BY seq DESC LIMIT 20").map((e) => ({
      messageId: e.message_id, type: e.type, event: e.name, properties: JSON.parse(e.properties), at: new Date(e.at).toISOString(),
    })),
    recentDecisions: s.all<{ message_id: string; flow_key: string | null; outcome: string; reason: string; until: number | null; detail: string | null; at: number }>(
      "SELECT * FROM decisions ORDER BY at DESC, rowid DESC LIMIT 20",
    ).map((d) => ({
      messageId: d.message_id, flow: d.flow_key, outcome: d.outcome, reason: d.reason,
      until: d.until ? new Date(d.until).toISOString() : undefined, detail: d.detail ?? undefined, at: new Date(d.at).toISOString(),
    })),
  };
}

/** Everything the Durable Object holds, every row of every table (personal-data export). */
export function exportRows(store: ContactStore): Record<string, JsonBag[]> {
  const tables = store.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> '_schema' ORDER BY name");
  return Object.fromEntries(tables.map((t) => [t.name, store.all<JsonBag>(`SELECT * FROM "${t.name}"`)]));
}

function dropNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}
