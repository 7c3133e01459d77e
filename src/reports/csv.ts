/** Reports as CSV: one row per report row, nested fields flattened to dotted column names. */

function flatten(value: unknown, prefix: string, out: Record<string, unknown>): void {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  // Quote what needs it; neutralise spreadsheet formulas (a key or reason could start with "=").
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === "string" ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** CSV text of rows (RFC 4180, CRLF line ends), columns in first-seen order. */
export function toCsv(rows: readonly object[]): string {
  const flat = rows.map((r) => {
    const out: Record<string, unknown> = {};
    flatten(r, "", out);
    return out;
  });
  const columns = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return [columns.map(cell).join(","), ...flat.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\r\n") + "\r\n";
}
