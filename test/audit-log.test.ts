// Admin changes are audited: who, what, when, before and after; GET /v1/audit filters and pages.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { now } from "../src/clock";
import { api, phone, unique } from "./helpers";

const entries = async (q: string) => (await api("GET", `/v1/audit?${q}`)).body.entries as Array<Record<string, any>>;

describe("audit log", () => {
  it("records template saves with before and after, in the save's own batch", async () => {
    const key = unique("aud").toLowerCase();
    const t1 = { body: "Your order shipped.", job: "transactional", purpose: "transactional" };
    await api("PUT", `/v1/templates/${key}`, t1);
    await api("PUT", `/v1/templates/${key}`, t1); // unchanged: no new version, no audit row
    await api("PUT", `/v1/templates/${key}`, { ...t1, body: "Your order is on its way." });
    const list = await entries(`target=template:${key}`);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ action: "template.save", key: "env:OWNER_KEY", role: "owner", before: { body: "Your order shipped." }, after: { body: "Your order is on its way." } });
    expect(list[1]).toMatchObject({ before: null, after: { body: "Your order shipped." } });
  });

  it("records settings, flows, keys, consent, suppression, stage and imports, naming the key that did it", async () => {
    const k = await api("POST", "/v1/keys", { name: "Editor", role: "editor" });
    await api("PUT", "/v1/settings/brand", { name: "Audit Shop" }, { key: k.body.key });
    const s = (await entries(`action=settings.save&key=${k.body.id}`))[0]!;
    expect(s).toMatchObject({ target: "settings:brand", role: "editor", after: { name: "Audit Shop" } });
    expect((await entries(`target=key:${k.body.id}`))[0]).toMatchObject({ action: "key.create", after: { role: "editor", name: "Editor" } });

    const flow = unique("f").toLowerCase();
    await api("PUT", `/v1/flows/${flow}`, { name: "F", status: "draft", job: "retention", trigger: { event: "X" }, steps: [{ exit: true }] });
    expect((await entries(`target=flow:${flow}`))[0]).toMatchObject({ action: "flow.save", before: null, after: { status: "draft" } });

    const user = unique("u");
    const to = phone();
    const id = (await api("POST", "/v1/identify", { userId: user, traits: { phone: to } })).body.contactId;
    await api("POST", `/v1/contacts/${id}/consent`, { purpose: "marketing", action: "grant", source: "form", text: "Yes" });
    await api("PUT", `/v1/contacts/${id}/stage`, { stage: "customer" });
    const onContact = await entries(`target=contact:${id}`);
    expect(onContact.map((e) => e.action)).toEqual(["contact.stage", "consent.grant"]);
    expect(onContact[0]).toMatchObject({ before: { stage: "subscriber" }, after: { stage: "customer" } });
    expect(onContact[1]).toMatchObject({ before: { purpose: "marketing", state: "none" }, after: { purpose: "marketing", state: "granted", source: "form" } });

    const sup = await api("POST", "/v1/suppressions", { phone: to, reason: "complaint" });
    await api("DELETE", `/v1/suppressions/${encodeURIComponent(to)}`);
    const supRows = await entries(`target=suppression:${sup.body.hash}`);
    expect(supRows.map((e) => e.action)).toEqual(["suppression.remove", "suppression.add"]);
    // The audit log never holds the number itself.
    const { results } = await env.DB.prepare("SELECT * FROM audit_log").all();
    expect(JSON.stringify(results)).not.toContain(to.slice(1));

    const imp = await api("POST", "/v1/contacts/import", undefined, { raw: `{"userId":"${unique("imp")}"}\n{"phone":"nope"}\n`, headers: { "content-type": "application/x-ndjson" } });
    expect((await entries(`target=import:${imp.body.importId}`))[0]).toMatchObject({ action: "contacts.import", after: { rows: 2, accepted: 1, rejected: 1, format: "ndjson" } });
  });

  it("filters by time and pages with a cursor", async () => {
    const since = new Date(now()).toISOString(); // the pinned clock the audit rows are stamped with
    const key = unique("pg").toLowerCase();
    for (const body of ["One.", "Two.", "Three."]) await api("PUT", `/v1/templates/${key}`, { body, job: "transactional", purpose: "transactional" });
    const p1 = await api("GET", `/v1/audit?since=${since}&target=template:${key}&limit=2`);
    expect(p1.body.entries.map((e: any) => e.after.body)).toEqual(["Three.", "Two."]);
    const p2 = await api("GET", `/v1/audit?since=${since}&target=template:${key}&limit=2&cursor=${p1.body.next}`);
    expect(p2.body.entries.map((e: any) => e.after.body)).toEqual(["One."]);
    expect(p2.body.next).toBeNull();
    expect(await entries(`target=template:${key}&until=${since}`)).toEqual([]);
    expect((await api("GET", "/v1/audit?cursor=bogus")).body.errors[0].field).toBe("cursor");
  });
});
