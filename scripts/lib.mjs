// Shared by `npm start` and `npm run demo`: local secrets, waiting for the Worker, seeding through the API.
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { flows, settings, templates } from "./seed-data.mjs";

/** Read .dev.vars (creating it from .dev.vars.example when missing). */
export function devVars() {
  if (!existsSync(".dev.vars")) {
    copyFileSync(".dev.vars.example", ".dev.vars");
    console.error("created .dev.vars from .dev.vars.example (local example keys)");
  }
  const vars = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?([^"]*)"?\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/** Wait until the Worker answers at `base`. */
export async function waitFor(base, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(base)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${base} did not answer within ${timeoutMs / 1000}s`);
}

/** An API client for `base` with a bearer key; throws on non-2xx with the problem detail. */
export function client(base, key) {
  return async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.detail ?? json.title ?? ""}`);
    return json;
  };
}

/** Seed the demo settings, templates and flows (idempotent: an identical save changes nothing). */
export async function seed(call) {
  for (const [k, v] of Object.entries(settings)) await call("PUT", `/v1/settings/${k}`, v);
  for (const [k, v] of Object.entries(templates)) await call("PUT", `/v1/templates/${k}`, v);
  for (const [k, v] of Object.entries(flows)) await call("PUT", `/v1/flows/${k}`, v);
}
