/**
 * The audit log of admin changes: who (key id and role), what (action, target), when, and the
 * before/after JSON. Changes that are D1 writes add their audit row to the same D1 batch
 * (`auditStatement`); changes made in a Durable Object are audited right after it answers (`audit`).
 */
import { now } from "../clock";
import type { AuthVars } from "../http/auth";
import { newId } from "../ids";

/** What an audit row says. */
export interface AuditEntry {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** What an audit call needs of the request: the bindings and the authenticated key. */
export type AuditContext = { env: Env; var: Partial<AuthVars> };

/** The audit insert for a change by the request's key, to run in the change's own D1 batch. */
export function auditStatement(c: AuditContext, e: AuditEntry): D1PreparedStatement {
  const json = (v: unknown) => (v === undefined || v === null ? null : typeof v === "string" ? v : JSON.stringify(v));
  return c.env.DB.prepare("INSERT INTO audit_log (id, at, key_id, role, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").bind(
    newId("aud"), now(), c.var.keyId ?? "unknown", c.var.role ?? "unknown", e.action, e.target, json(e.before), json(e.after),
  );
}

/** Record an audit row on its own (for changes that live in a Durable Object, after it answered). */
export async function audit(c: AuditContext, e: AuditEntry): Promise<void> {
  await auditStatement(c, e).run();
}
