/**
 * Settings sections: each one a zod schema with defaults. A brand reads and writes them through
 * `GET/PUT /v1/settings/:section`; every write is a new version in D1.
 */
import { z } from "@hono/zod-openapi";
import { Duration } from "../duration";
import { CapsSection } from "../caps/settings";
import { ConsentSection } from "../consent/settings";
import { GovernanceSection } from "../governance/settings";
import { AttributionSection } from "../reports/settings";
import { SendersSection } from "../senders/settings";
import { StageRulesSection } from "../stages/settings";
import { RoutingSection } from "../tasks/settings";
import { KeywordsSection } from "../conversation/settings";
import { SignupSection } from "../growth/settings";
import { LinksSection } from "../links/settings";
import { QuietHoursSection } from "../time/settings";
import { RulesSection } from "../rules/settings";
import { RetentionSection } from "../retention/settings";
import { TemplatesSection } from "../templates/settings";
import { Job } from "./vocabulary";
import { WebhooksSection } from "../outbound/settings";

export { JOBS, Job, Purpose } from "./vocabulary";

/** The two lifecycle presets. */
export const STAGE_PRESETS = {
  b2c: ["subscriber", "customer", "repeat_customer", "dormant"],
  b2b: ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "renewal"],
} as const;

const StageName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a stage name in snake_case");

/** Every section's schema. */
export const SECTIONS = {
  brand: z
    .object({
      name: z.string().min(1).max(60).default("Tidings Demo Shop"),
      support: z.string().min(1).max(120).default("help@example.com"),
      defaultTimeZone: z
        .string()
        .refine(isTimeZone, "an IANA time zone such as Europe/Warsaw")
        .default("UTC"),
    })
    .strict(),
  stages: z
    .object({
      preset: z.enum(["b2c", "b2b", "custom"]).default("b2c"),
      stages: z.array(StageName).min(1).max(20).optional(),
    })
    .strict()
    .refine((s) => s.preset !== "custom" || s.stages, { message: "a custom preset needs `stages`", path: ["stages"] })
    .refine((s) => !s.stages || new Set(s.stages).size === s.stages.length, {
      message: "stage names must be unique",
      path: ["stages"],
    }),
  traits: z
    .object({
      declared: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, "a trait name (letters, digits, _)"))
        .max(200)
        .default([]),
    })
    .strict(),
  messages: z
    .object({
      expiry: z.partialRecord(Job, Duration).default({}),
    })
    .strict(),
  gateway: z
    .object({
      /** Overrides the GATEWAY variable: which gateway sends. */
      use: z.enum(["sandbox", "twilio", "smsapi"]).optional(),
      /** The public origin of this Worker, for provider callbacks (status receipts). */
      publicBaseUrl: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8787"),
      sandbox: z
        .object({ fail: z.array(z.string()).max(100).default([]) })
        .strict()
        .default({ fail: [] }),
      twilio: z
        .object({
          /** The sending number (E.164), or a Messaging Service. */
          from: z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number").optional(),
          messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, "a Messaging Service SID (MG…)").optional(),
          /** How long to wait for Twilio before the attempt counts as unknown. */
          timeoutMs: z.number().int().min(500).max(30_000).default(10_000),
        })
        .strict()
        .default({ timeoutMs: 10_000 }),
      smsapi: z
        .object({
          /** A verified sender name or number. */
          from: z.string().min(1).max(16).optional(),
          /** SMSAPI refuses (error 12) a message longer than this many parts; at most 6. */
          maxParts: z.number().int().min(1).max(6).default(6),
          timeoutMs: z.number().int().min(500).max(30_000).default(10_000),
        })
        .strict()
        .default({ maxParts: 6, timeoutMs: 10_000 }),
    })
    .strict(),
  templates: TemplatesSection,
  consent: ConsentSection,
  rules: RulesSection,
  quietHours: QuietHoursSection,
  caps: CapsSection,
  links: LinksSection,
  keywords: KeywordsSection,
  routing: RoutingSection,
  stageRules: StageRulesSection,
  governance: GovernanceSection,
  attribution: AttributionSection,
  senders: SendersSection,
  retention: RetentionSection,
  webhooks: WebhooksSection,
  signup: SignupSection,
} as const;

/** A settings section name. */
export type SectionName = keyof typeof SECTIONS;
/** All settings, each section parsed with its defaults. */
export type Settings = { [K in SectionName]: z.infer<(typeof SECTIONS)[K]> };

/** Default expiry per job when a brand sets none: time-critical jobs expire fast. */
export const DEFAULT_EXPIRY: Record<Job, string> = {
  transactional: "PT4H",
  service: "PT12H",
  conversion: "P1D",
  activation: "P2D",
  acquisition: "P2D",
  retention: "P3D",
  reactivation: "P3D",
};

/** The ordered stages a brand uses. */
export function stagesOf(settings: Settings): readonly string[] {
  const s = settings.stages;
  return s.stages ?? STAGE_PRESETS[s.preset === "custom" ? "b2c" : s.preset];
}

/** Settings with every section at its default. */
export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries(SECTIONS)) out[k] = schema.parse({});
  return out as Settings;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
