/**
 * A streaming CSV reader (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes, CRLF),
 * fed chunk by chunk so a 100,000-row file is never held in memory. Small enough to own; the
 * popular parsers buffer or need Node streams.
 */

/** One parsed record and the line it starts on (1-based). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** An incremental CSV parser: `push` chunks, `end` once; both return the records completed. */
export class CsvReader {
  private field = "";
  private fields: string[] = [];
  private quoted = false;
  private quoteSeen = false;
  private line = 1;
  private recordLine = 1;
  private started = false;

  /** Parse a chunk of text. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.quoted) {
        if (ch === '"') {
          this.quoted = false;
          this.quoteSeen = true;
        } else {
          if (ch === "\n") this.line++;
          this.field += ch;
        }
        continue;
      }
      if (ch === '"') {
        // A doubled quote inside a quoted field is a literal quote.
        if (this.quoteSeen) this.field += '"';
        this.quoted = true;
        this.quoteSeen = false;
        this.started = true;
      } else if (ch === ",") {
        this.fields.push(this.field);
        this.field = "";
        this.quoteSeen = false;
        this.started = true;
      } else if (ch === "\n") {
        this.finish(out);
        this.line++;
        this.recordLine = this.line;
      } else if (ch !== "\r") {
        this.field += ch;
        this.quoteSeen = false;
        this.started = true;
      }
    }
    return out;
  }

  /** Flush the last record (a file need not end with a newline). */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    this.finish(out);
    return out;
  }

  private finish(out: CsvRecord[]): void {
    if (this.started || this.fields.length) {
      this.fields.push(this.field);
      out.push({ line: this.recordLine, fields: this.fields });
    }
    this.field = "";
    this.fields = [];
    this.quoteSeen = false;
    this.started = false;
  }
}
