/**
 * The archive in R2: records leave the hot stores as gzip NDJSON objects named
 * `kind=<kind>/day=<YYYY-MM-DD>/<first at>-<first id>.ndjson.gz` (Hive-style partitions, so DuckDB or a
 * warehouse reads them as tables). A batch is named after its first row and the prune always takes its
 * oldest rows first, so a re-run after a crash names the same object: it is skipped when identical,
 * overwritten with the same rows (or more of that day) otherwise. Nothing is deleted until its object is stored.
 */

/** One archived row: a D1 row as the archive holds it (columns in snake_case, as in D1). */
export type ArchiveRow = Record<string, unknown>;

/** An archive object as `GET /v1/archive` lists it. */
export interface ArchiveObject {
  key: string;
  kind: string;
  day: string;
  rows: number;
  bytes: number;
  uploaded: string;
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The key of the object that holds a batch whose oldest row is `first`. */
export function archiveKey(kind: string, at: number, firstId: string): string {
  return `kind=${kind}/day=${dayOf(at)}/${String(at).padStart(13, "0")}-${firstId.replace(/[^A-Za-z0-9_-]/g, "_")}.ndjson.gz`;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Gzip bytes of a text (CompressionStream: no dependency). */
export async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

/** Text of gzip bytes. */
export async function gunzip(bytes: ArrayBuffer): Promise<string> {
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

/**
 * Store rows as one object (skipped when the same rows are already there). Returns its key.
 * The caller deletes the rows only after this resolved.
 */
export async function archiveRows(bucket: R2Bucket, kind: string, at: number, firstId: string, rows: ArchiveRow[]): Promise<{ key: string; written: boolean }> {
  const key = archiveKey(kind, at, firstId);
  const ndjson = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const hash = await sha256(ndjson);
  const head = await bucket.head(key);
  if (head?.customMetadata?.sha256 === hash) return { key, written: false };
  await bucket.put(key, await gzip(ndjson), {
    // No Content-Encoding: the object is a .gz file, served as is (a browser would otherwise unzip it).
    httpMetadata: { contentType: "application/gzip" },
    customMetadata: { kind, day: dayOf(at), rows: String(rows.length), sha256: hash },
  });
  return { key, written: true };
}

/** The rows of an archive object, or undefined when there is none. */
export async function readArchive(bucket: R2Bucket, key: string): Promise<ArchiveRow[] | undefined> {
  const obj = await bucket.get(key);
  if (!obj) return undefined;
  const text = await gunzip(await obj.arrayBuffer());
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as ArchiveRow);
}

/**
 * A page of archive objects, by key order (kind, then day): of one kind or all, days `from`..`to`
 * inclusive. `cursor` continues a listing.
 */
export async function listArchive(bucket: R2Bucket, q: { kind?: string; from?: string; to?: string; limit: number; cursor?: string }): Promise<{ objects: ArchiveObject[]; cursor: string | null }> {
  const prefix = q.kind ? `kind=${q.kind}/` : "kind=";
  const listed = await bucket.list({
    prefix,
    limit: q.limit,
    cursor: q.cursor,
    // Within one kind, keys sort by day: start at the first day asked for.
    ...(q.kind && q.from && !q.cursor ? { startAfter: `${prefix}day=${q.from}` } : {}),
    include: ["customMetadata"],
  });
  const objects: ArchiveObject[] = [];
  let past = false;
  for (const o of listed.objects) {
    const m = /^kind=([^/]+)\/day=(\d{4}-\d{2}-\d{2})\//.exec(o.key);
    if (!m) continue;
    const [, kind, day] = m as unknown as [string, string, string];
    if ((q.from && day < q.from) || (q.to && day > q.to)) {
      if (q.kind && q.to && day > q.to) past = true;
      continue;
    }
    objects.push({ key: o.key, kind, day, rows: Number(o.customMetadata?.rows ?? 0), bytes: o.size, uploaded: o.uploaded.toISOString() });
  }
  return { objects, cursor: listed.truncated && !past ? listed.cursor : null };
}
