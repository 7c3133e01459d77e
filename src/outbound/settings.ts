/**
 * The `webhooks` settings section: endpoints a brand's CRM or warehouse listens on. Secrets are
 * write-only: reads show `whsec_…<last 4>`, a save that omits them (or sends that hint back) keeps
 * the stored ones, and the audit log gets the hints, never a secret.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "./events";

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const HINT = /^whsec_…([A-Za-z0-9+/=]{4})$/;

/** The key bytes of a `whsec_` secret (its base64 part decoded), or undefined when it is not one. */
export function secretKey(secret: string): Uint8Array | undefined {
  const m = SECRET.exec(secret);
  if (!m) return undefined;
  try {
    return Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** What a read shows of a secret. */
export function secretHint(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}

const Secret = z.string().refine((s) => {
  const key = secretKey(s);
  return key !== undefined && key.length >= 24 && key.length <= 64;
}, "a whsec_ secret: whsec_ then the base64 of 24 to 64 random bytes (a whsec_…last4 hint only keeps a secret stored for this endpoint)");

/** Loopback hosts, where plain http is allowed (local receivers, tests). */
function loopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const Url = z.url({ protocol: /^https?$/ }).refine((u) => {
  const url = new URL(u);
  return url.protocol === "https:" || loopback(url.hostname);
}, "an https URL (plain http only on loopback, for local receivers)");

/** One endpoint. */
export const Endpoint = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "an id in lower case (letters, digits, - and _)"),
    url: Url,
    /** Event types it gets; `*` for all. */
    events: z.array(z.enum([...EVENT_TYPES, "*"])).min(1).max(EVENT_TYPES.length + 1),
    /** One secret, or two while rotating (each delivery is signed with both). Write-only. */
    secrets: z.array(Secret).min(1, "an endpoint needs a whsec_ secret").max(2, "at most two secrets (the new one and the one being retired)"),
    enabled: z.boolean().default(true),
    description: z.string().max(200).optional(),
  })
  .strict();
/** A configured endpoint. */
export type Endpoint = z.infer<typeof Endpoint>;

/** zod schema of the `webhooks` settings section. */
export const WebhooksSection = z
  .object({ endpoints: z.array(Endpoint).max(20).default([]) })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.endpoints.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: "custom", path: ["endpoints", i, "id"], message: `endpoint id ${e.id} is used twice` });
      seen.add(e.id);
    });
  });
/** The webhooks settings. */
export type WebhooksSettings = z.infer<typeof WebhooksSection>;

/**
 * A save as the brand wrote it, with stored secrets put back: an endpoint (matched by id) without
 * `secrets` keeps its stored ones, and a `whsec_…last4` hint stands for the stored secret it names.
 * Anything else is left for the schema to judge.
 */
export function keepSecrets(input: unknown, stored: WebhooksSettings | undefined): unknown {
  if (!input || typeof input !== "object" || !Array.isArray((input as { endpoints?: unknown }).endpoints)) return input;
  const byId = new Map((stored?.endpoints ?? []).map((e) => [e.id, e.secrets]));
  const endpoints = ((input as { endpoints: unknown[] }).endpoints).map((e) => {
    if (!e || typeof e !== "object") return e;
    const { hasSecret: _h, ...rest } = e as Record<string, unknown>;
    const kept = byId.get(String(rest.id));
    if (rest.secrets === undefined) return kept ? { ...rest, secrets: kept } : rest;
    if (!Array.isArray(rest.secrets)) return rest;
    return {
      ...rest,
      secrets: rest.secrets.map((s) => {
        const hint = typeof s === "string" ? HINT.exec(s) : null;
        return (hint && kept?.find((k) => secretHint(k) === s)) || s;
      }),
    };
  });
  return { ...(input as object), endpoints };
}

/** The section as a read shows it: each secret as its hint. */
export function redactWebhooks(s: WebhooksSettings): unknown {
  return { ...s, endpoints: s.endpoints.map((e) => ({ ...e, secrets: e.secrets.map(secretHint), hasSecret: e.secrets.length > 0 })) };
}

/** The same redaction for a stored JSON body (the audit log's before/after). */
export function redactWebhooksJson(body: string | null): string | null {
  if (body === null) return null;
  try {
    return JSON.stringify(redactWebhooks(WebhooksSection.parse(JSON.parse(body))));
  } catch {
    return JSON.stringify({ redacted: true });
  }
}
