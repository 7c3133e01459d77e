/** `/docs`: a self-contained page listing every operation of the OpenAPI document (no CDN needed). */
import { html, raw } from "hono/html";

type Op = { summary?: string; tags?: string[]; "x-permission"?: string };

/** Render the API reference from the OpenAPI document. */
export function docsPage(doc: { info: { title: string; version: string }; paths: Record<string, Record<string, Op>>; webhooks?: Record<string, Record<string, Op>> }) {
  const rows = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })),
  );
  const byTag = Map.groupBy(rows, (r) => r.tags?.[0] ?? "Other");
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${doc.info.title} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:0 .3em;border-radius:3px}td{padding:.2rem .6rem;vertical-align:top}
.m{font-weight:600;font-family:monospace}.p{color:#666;font-size:.85em}</style></head>
<body><h1>${doc.info.title} API <small>${doc.info.version}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>;
errors are <code>application/problem+json</code> naming the field.</p>
${raw(
  [...byTag]
    .map(
      ([tag, ops]) =>
        `<h2>${tag}</h2><table>${ops
          .map((o) => `<tr><td class="m">${o.method}</td><td><code>${o.path}</code></td><td>${o.summary ?? ""}</td><td class="p">${o["x-permission"] ?? ""}</td></tr>`)
          .join("")}</table>`,
    )
    .join(""),
)}
<h2>Outbound webhooks</h2>
<p>Events Tidings POSTs to the endpoints in <code>settings.webhooks</code>, signed per Standard Webhooks; payload schemas under <code>webhooks</code> in <a href="/openapi.json">/openapi.json</a>.</p>
${raw(`<table>${Object.entries(doc.webhooks ?? {})
  .map(([type, ops]) => `<tr><td class="m">POST</td><td><code>${type}</code></td><td>${ops.post?.summary ?? ""}</td></tr>`)
  .join("")}</table>`)}
</body></html>`;
}
