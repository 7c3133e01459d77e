/**
 * The daily retention job (Cron Trigger "30 3 * * *"): archive and prune D1 (./d1-prune.ts), then sweep
 * the next pages of contacts from D1's contacts projection, calling each ContactDO's `prune()` so a
 * contact that never wakes is pruned too. The sweep's place is kept in `meta` (`retention_sweep`): a run
 * that stops (its cap, a failure) is continued by the next one, and it starts over after the last contact.
 */
import { getConfig } from "../settings/config";
import { type KindResult, type PruneLimits, PRUNE_LIMITS, pruneD1 } from "./d1-prune";
import { pruneWebhookDeliveries } from "../outbound/deliveries";

/** Contacts swept per run, and how many are pruned at once. */
export interface SweepLimits {
  contacts: number;
  page: number;
  parallel: number;
}

/** Production sweep: 20,000 contacts a day, 20 at a time (a contact that never wakes is reached every N/20,000 days). */
export const SWEEP_LIMITS: SweepLimits = { contacts: 20_000, page: 200, parallel: 20 };

const CURSOR = "retention_sweep";

/** Sweep the next contacts after the stored cursor; returns how many were reached and rows they deleted. */
export async function sweepContacts(env: Env, limits: SweepLimits = SWEEP_LIMITS): Promise<{ contacts: number; deleted: number; wrapped: boolean }> {
  let cursor = (await env.DB.prepare("SELECT value FROM meta WHERE key = ?").bind(CURSOR).first<{ value: string }>())?.value ?? "";
  let contacts = 0;
  let deleted = 0;
  let wrapped = false;
  while (contacts < limits.contacts && !wrapped) {
    const n = Math.min(limits.page, limits.contacts - contacts);
    const { results } = await env.DB.prepare("SELECT id FROM contacts WHERE id > ? ORDER BY id LIMIT ?").bind(cursor, n).all<{ id: string }>();
    for (let i = 0; i < results.length; i += limits.parallel) {
      const done = await Promise.all(results.slice(i, i + limits.parallel).map((r) => env.CONTACT.getByName(r.id).prune()));
      for (const d of done) deleted += Object.values(d?.deleted ?? {}).reduce((a, b) => a + b, 0);
    }
    contacts += results.length;
    wrapped = results.length < n;
    cursor = wrapped ? "" : results[results.length - 1]!.id;
    await env.DB.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").bind(CURSOR, cursor).run();
  }
  return { contacts, deleted, wrapped };
}

/** The whole daily job at instant `t`. */
export async function runRetention(env: Env, t: number, limits: { d1?: PruneLimits; sweep?: SweepLimits } = {}): Promise<{ d1: Record<string, KindResult>; sweep: Awaited<ReturnType<typeof sweepContacts>> }> {
  const { settings } = await getConfig(env.DB);
  const d1 = await pruneD1(env, settings, t, limits.d1 ?? PRUNE_LIMITS);
  // The outbound webhook delivery log has its own fixed rule (src/outbound/deliveries.ts).
  await pruneWebhookDeliveries(env.DB, t);
  const sweep = await sweepContacts(env, limits.sweep ?? SWEEP_LIMITS);
  return { d1, sweep };
}
