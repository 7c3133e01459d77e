// Contact import: NDJSON or CSV, streamed; bad rows reported by line; re-importing changes nothing.
import { describe, expect, it } from "vitest";
import { api, flushRecords, importDone, importFile, unique } from "./helpers";

describe("import", () => {
  it("applies valid NDJSON rows, reports bad rows with line numbers, and changes nothing on re-import", async () => {
    const a = unique("imp");
    const b = unique("imp");
    const file = [
      JSON.stringify({ userId: a, phone: "+14155552671", stage: "customer", traits: { firstName: "Ana" }, consent: { purpose: "marketing", source: "form", at: "2026-10-01T12:00:00Z", text: "Join our texts" } }),
      JSON.stringify({ userId: b, phone: "not a phone" }),
      "{broken json",
      "",
      JSON.stringify({ traits: { firstName: "nobody" } }),
      JSON.stringify({ userId: unique("imp"), stage: "emperor" }),
      JSON.stringify({ anonymousId: unique("anon"), traits: { plan: "pro" } }),
    ].join("\n");
    const first = await importFile(file, "application/x-ndjson");
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ rows: 5, accepted: 2, rejected: 4 });
    expect(await importDone(first.body.importId)).toMatchObject({ applied: 2, unchanged: 0 });
    expect(first.body.errors.map((e: any) => [e.line, e.field])).toEqual([
      [2, "phone"],
      [3, "(row)"],
      [5, "userId"],
      [6, "stage"],
    ]);
    const view = (await api("GET", `/v1/contacts/user:${a}`)).body;
    expect(view).toMatchObject({ phone: "+14155552671", stage: "customer", traits: { firstName: "Ana" }, consent: { marketing: "granted" } });
    expect(view.consentHistory[0]).toMatchObject({ source: "form", text: "Join our texts", at: "2026-10-01T12:00:00.000Z" });

    const again = await importFile(file, "application/x-ndjson");
    expect(again.body).toMatchObject({ rows: 5, accepted: 2, rejected: 4 });
    expect(await importDone(again.body.importId)).toMatchObject({ applied: 0, unchanged: 2 });
    const after = (await api("GET", `/v1/contacts/user:${a}`)).body;
    expect(after.consentHistory).toHaveLength(1);
    expect(after.stageHistory).toEqual(view.stageHistory);
    expect(after.recentEvents).toEqual(view.recentEvents);
    // Importing consent that already exists texts nobody (no opt-in confirmation).
    expect((await api("GET", `/v1/messages?contact=user:${a}`)).body.messages).toEqual([]);
  });

  it("reads CSV with quoted fields, trait columns and consent columns", async () => {
    const u = unique("csv");
    const csv = [
      "userId,phone,stage,firstName,note,consent_purpose,consent_at,consent_text",
      `${u},+14155552672,customer,"Lee, Jr.","said ""hi""",marketing,2026-10-02T09:00:00Z,"Yes, texts"`,
      `${unique("csv")},+1 (415) 555-2673,,Bo,"multi`,
      `line",,,`,
      `,,,,,,,`,
    ].join("\r\n");
    const r = await importFile(csv, "text/csv");
    expect(r.body).toMatchObject({ rows: 3, accepted: 2, rejected: 1 });
    await importDone(r.body.importId);
    expect(r.body.errors).toEqual([{ line: 5, field: "userId", message: expect.any(String) }]);
    const v = (await api("GET", `/v1/contacts/user:${u}`)).body;
    expect(v.traits).toEqual({ firstName: "Lee, Jr.", note: 'said "hi"' });
    expect(v.consent).toEqual({ marketing: "granted" });
  });

  it("refuses a body that is neither NDJSON nor CSV", async () => {
    const r = await importFile("{}", "application/json");
    expect([r.status, r.body.errors[0].field]).toEqual([400, "content-type"]);
  });

  // Queues take 128 KB per message and 256 KB per send: chunks and sends are cut by bytes, not only rows.
  it("imports wide rows (a consent text, long traits) without passing the queue's size limits, and refuses a row over 32 KB by its biggest field", async () => {
    const tag = unique("wide");
    const text = "Yes, send me offers and news by text message. Msg & data rates may apply. Reply STOP to cancel. ".repeat(4);
    const rows = Array.from({ length: 1_200 }, (_, i) =>
      JSON.stringify({ userId: `${tag}-${i % 40}`, traits: { note: "x".repeat(600), n: i }, consent: { purpose: "marketing", source: "form", at: "2026-11-01T10:00:00Z", text } }),
    );
    rows.push(JSON.stringify({ userId: `${tag}-huge`, traits: { blob: "y".repeat(70_000) } }));
    const r = await importFile(rows.join("\n"), "application/x-ndjson");
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ rows: 1_201, accepted: 1_200, rejected: 1, errors: [{ line: 1_201, field: "traits.blob" }] });
    expect(await importDone(r.body.importId, 60_000)).toMatchObject({ applied: 1_200 });
    expect((await api("GET", `/v1/contacts/user:${tag}-39`)).body.traits.n).toBe(1_199);
  }, 90_000);

  // 100,000 rows stream through the request without being held; the queue applies them. Rows come
  // grouped by contact (1,000 contacts) because each new contact is a new Durable Object, i.e. a new
  // SQLite file locally (~10 ms here), and 100,000 of those would measure the disk, not the import.
  it("takes a 100,000-row file, counts every row and applies each to its contact", async () => {
    const N = 100_000;
    const PER_CONTACT = 100;
    let i = 0;
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (i >= N) return ctrl.close();
        let chunk = "";
        for (let k = 0; k < 1000 && i < N; k++, i++) chunk += `{"userId":"bulk-${Math.floor(i / PER_CONTACT)}","traits":{"n":${i}}}\n`;
        ctrl.enqueue(enc.encode(chunk));
      },
    });
    const r = await importFile(stream, "application/x-ndjson");
    expect(r.body).toMatchObject({ rows: N, accepted: N, rejected: 0, errors: [] });
    expect(await importDone(r.body.importId, 150_000)).toMatchObject({ applied: N, unchanged: 0 });
    // Rows apply in file order per contact: the last row for a contact wins.
    expect((await api("GET", `/v1/contacts/user:bulk-${N / PER_CONTACT - 1}`)).body.traits).toEqual({ n: N - 1 });
  }, 180_000);
});
