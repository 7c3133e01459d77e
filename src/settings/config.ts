/**
 * The configuration snapshot (settings, current flows, current templates) that every event and send
 * reads. It is cached per isolate and re-read only when D1's `config_version` moved: the Worker checks
 * the version at most every few seconds and passes it to the ContactDO, which reloads when behind.
 */
import { realNow } from "../clock";
import { type Instr, compile } from "../flows/program";
import type { FlowVersion } from "../flows/schema";
import type { TemplateVersion } from "../templates/schema";
import { type SectionName, SECTIONS, type Settings, defaultSettings } from "./schema";

/** A flow ready to run: its definition and compiled program. */
export interface CompiledFlow extends FlowVersion {
  program: Instr[];
}

/** Everything a decision needs from configuration, at one version. */
export interface Config {
  version: number;
  settings: Settings;
  /** Current version of each flow (any status). */
  flows: Map<string, CompiledFlow>;
  /** Current version of each template. */
  templates: Map<string, TemplateVersion>;
}

// Checked against real time, not the simulated clock: this is about cache freshness, not the product.
const RECHECK_MS = 2_000;
let cached: { config: Config; checkedAt: number } | undefined;
const pinned = new Map<string, CompiledFlow>();

/** The current config version in D1 (0 before anything was saved). */
export async function configVersion(db: D1Database): Promise<number> {
  const row = await db.prepare("SELECT value FROM meta WHERE key = 'config_version'").first<{ value: string }>();
  return row ? Number(row.value) : 0;
}

/**
 * The snapshot at `atLeast` or newer. Without `atLeast`, a snapshot at most a few seconds old.
 */
export async function getConfig(db: D1Database, atLeast?: number): Promise<Config> {
  const t = realNow(); // cache freshness (RECHECK_MS) is real time
  if (cached) {
    if (atLeast !== undefined ? cached.config.version >= atLeast : t - cached.checkedAt < RECHECK_MS) return cached.config;
    const v = atLeast ?? (await configVersion(db));
    if (v <= cached.config.version) {
      cached.checkedAt = t;
      return cached.config;
    }
  }
  const config = await loadConfig(db);
  cached = { config, checkedAt: t };
  return config;
}

/** Forget the cached snapshot (after this isolate wrote a new version). */
export function invalidateConfig(): void {
  cached = undefined;
}

/** Read the whole snapshot from D1 in one batch. */
export async function loadConfig(db: D1Database): Promise<Config> {
  const [version, sets, flowRows, tplRows] = await db.batch([
    db.prepare("SELECT value FROM meta WHERE key = 'config_version'"),
    db.prepare("SELECT section, body FROM settings s WHERE version = (SELECT max(version) FROM settings WHERE section = s.section)"),
    db.prepare("SELECT key, version, body FROM flows f WHERE version = (SELECT max(version) FROM flows WHERE key = f.key)"),
    db.prepare("SELECT key, version, body FROM templates t WHERE version = (SELECT max(version) FROM templates WHERE key = t.key)"),
  ]);
  const settings = defaultSettings() as Record<string, unknown>;
  for (const r of sets!.results as Array<{ section: string; body: string }>) {
    const schema = SECTIONS[r.section as SectionName];
    if (schema) settings[r.section] = schema.parse(JSON.parse(r.body));
  }
  const flows = new Map<string, CompiledFlow>();
  for (const r of flowRows!.results as Array<{ key: string; version: number; body: string }>) {
    flows.set(r.key, compiled({ ...JSON.parse(r.body), key: r.key, version: r.version }));
  }
  const templates = new Map<string, TemplateVersion>();
  for (const r of tplRows!.results as Array<{ key: string; version: number; body: string }>) {
    templates.set(r.key, { ...JSON.parse(r.body), key: r.key, version: r.version });
  }
  const v = (version!.results[0] as { value: string } | undefined)?.value;
  return { version: v ? Number(v) : 0, settings: settings as Settings, flows, templates };
}

/** A flow at an exact version: from the snapshot when current, else from D1 (versions never change, so cached for good). */
export async function getFlowVersion(db: D1Database, config: Config, key: string, version: number): Promise<CompiledFlow | undefined> {
  const current = config.flows.get(key);
  if (current?.version === version) return current;
  const id = `${key}@${version}`;
  const hit = pinned.get(id);
  if (hit) return hit;
  const row = await db.prepare("SELECT body FROM flows WHERE key = ? AND version = ?").bind(key, version).first<{ body: string }>();
  if (!row) return undefined;
  const flow = compiled({ ...JSON.parse(row.body), key, version });
  pinned.set(id, flow);
  return flow;
}

/** A template at an exact version (current from the snapshot, older ones from D1). */
export async function getTemplateVersion(db: D1Database, config: Config, key: string, version: number): Promise<TemplateVersion | undefined> {
  const current = config.templates.get(key);
  if (current?.version === version) return current;
  const row = await db.prepare("SELECT body FROM templates WHERE key = ? AND version = ?").bind(key, version).first<{ body: string }>();
  return row ? { ...JSON.parse(row.body), key, version } : undefined;
}

/** Statement that bumps `config_version`; batch it with the write it versions. */
export function bumpConfigVersion(db: D1Database): D1PreparedStatement {
  return db.prepare(
    "INSERT INTO meta (key, value) VALUES ('config_version', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
  );
}

function compiled(flow: FlowVersion): CompiledFlow {
  return { ...flow, program: compile(flow.steps) };
}
