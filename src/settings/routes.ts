/** `GET /v1/settings`, `GET/PUT /v1/settings/:section`: versioned, validated, cached. */
import { z } from "@hono/zod-openapi";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, invalid, problem } from "../http/problem";
import { type StageRules, stageRuleErrors } from "../stages/settings";
import { auditStatement } from "../audit/audit";
import { currentVersion, saveVersion } from "../db/versions";
import { getConfig } from "./config";
import { type SectionName, SECTIONS, type Settings, stagesOf } from "./schema";
import { retentionErrors } from "../retention/settings";
import { keepSecrets, redactWebhooks, redactWebhooksJson } from "../outbound/settings";

/** Settings sub-app. */
export const settings = newApp();

const Section = z.object({ section: z.string().openapi({ example: "brand", description: Object.keys(SECTIONS).join(", ") }) });
const isSection = (s: string): s is SectionName => Object.hasOwn(SECTIONS, s);
/** A section as reads show it: webhook secrets only as hints (they are write-only). */
const shown = (section: SectionName, value: unknown) => (section === "webhooks" ? redactWebhooks(value as Settings["webhooks"]) : value);
const unknown = (s: string) => problem(404, "Unknown settings section", `${s} is not one of ${Object.keys(SECTIONS).join(", ")}`);

settings.openapi(
  route("read", { method: "get", path: "/settings", tags: ["Settings"], summary: "Every settings section", responses: { 200: { description: "All sections" }, ...PROBLEMS } }),
  async (c) => {
    const config = await getConfig(c.env.DB);
    return c.json({ version: config.version, settings: { ...config.settings, webhooks: shown("webhooks", config.settings.webhooks) } }, 200);
  },
);

settings.openapi(
  route("read", {
    method: "get",
    path: "/settings/{section}",
    tags: ["Settings"],
    summary: "One settings section (defaults when never set)",
    request: { params: Section },
    responses: { 200: { description: "The section" }, 404: { description: "Unknown section" }, ...PROBLEMS },
  }),
  async (c) => {
    const { section } = c.req.valid("param");
    if (!isSection(section)) return unknown(section);
    const row = await currentVersion(c.env.DB, "settings", section);
    const config = await getConfig(c.env.DB);
    return c.json({ section, version: row?.version ?? 0, value: shown(section, config.settings[section]) }, 200);
  },
);

settings.openapi(
  route("settings:write", {
    method: "put",
    path: "/settings/{section}",
    tags: ["Settings"],
    summary: "Replace a settings section (a new version)",
    request: { params: Section, body: { required: true, content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
    responses: { 200: { description: "Saved" }, 404: { description: "Unknown section" }, ...PROBLEMS },
  }),
  async (c) => {
    const { section } = c.req.valid("param");
    if (!isSection(section)) return unknown(section);
    // Webhook secrets are write-only: a save that leaves them out (or sends their hints back) keeps them.
    const stored = section === "webhooks" ? await currentVersion(c.env.DB, "settings", section) : null;
    const body = section === "webhooks" ? keepSecrets(c.req.valid("json"), stored ? SECTIONS.webhooks.parse(JSON.parse(stored.body)) : undefined) : c.req.valid("json");
    const parsed = SECTIONS[section].safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    // Stage rules must name configured stages (rules left behind by a later preset change stay inert).
    if (section === "stageRules") {
      const errors = stageRuleErrors(parsed.data as StageRules, stagesOf((await getConfig(c.env.DB)).settings));
      if (errors.length) return badFields(errors);
    }
    // A retention may not be shorter than a window that reads its rows (caps, attribution, expiries, re-entry, dedupe).
    if (section === "retention" || section === "caps" || section === "attribution" || section === "messages") {
      const config = await getConfig(c.env.DB);
      const errors = retentionErrors({ ...config.settings, [section]: parsed.data } as Settings, config.flows.values(), section);
      if (errors.length) return badFields(errors);
    }
    const audited = (ch: { before: string | null; after: string }) => (section === "webhooks" ? { before: redactWebhooksJson(ch.before), after: redactWebhooksJson(ch.after) } : ch);
    const { version, changed } = await saveVersion(c.env.DB, "settings", section, parsed.data, (ch) => [auditStatement(c, { action: "settings.save", target: `settings:${section}`, ...audited(ch) })]);
    return c.json({ section, version, value: shown(section, parsed.data), changed }, 200);
  },
);
