// A contact's timeline: events, stage and consent changes, decisions and messages in one list,
// newest first, paginated without gaps or repeats.
import { describe, expect, it } from "vitest";
import { advanceClock } from "../src/clock";
import { api, phone, settleSends, unique } from "./helpers";

describe("timeline", () => {
  it("lists what happened in order, with reason codes, across pages", async () => {
    await api("PUT", "/v1/settings/consent", { confirmOptIn: [] });
    await api("PUT", "/v1/templates/nudge", { body: "Nudge. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
    const user = unique("u");
    const ref = `user:${user}`;
    const to = phone();
    const step = async (f: () => Promise<unknown>) => {
      advanceClock(1000); // one second apart, so the order is unambiguous
      await f();
    };
    await step(() => api("POST", "/v1/identify", { userId: user, traits: { phone: to } }));
    await step(() => api("POST", "/v1/messages", { contact: ref, template: "nudge" }));
    await step(() => api("POST", `/v1/contacts/${ref}/consent`, { purpose: "marketing", action: "grant", source: "form" }));
    await step(() => api("PUT", `/v1/contacts/${ref}/stage`, { stage: "customer" }));
    await step(() => api("POST", "/v1/messages", { contact: ref, template: "nudge" }));
    await settleSends(ref);

    const all: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await api("GET", `/v1/contacts/${ref}/timeline?limit=3${cursor ? `&before=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.next;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(all.map((i) => `${i.kind}:${i.id}`)).size).toBe(all.length);
    const times = all.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const story = all.reverse().map((i) => (i.kind === "decision" ? `decision:${i.outcome}:${i.reason}` : i.kind === "consent" ? `consent:${i.state}` : i.kind === "stage" ? `stage:${i.to}` : i.kind === "event" ? `event:${i.event ?? i.type}` : i.kind));
    expect(story).toEqual([
      "stage:subscriber", "event:identify",
      "message", "decision:skipped:no_consent:marketing",
      "consent:granted",
      "stage:customer",
      "message", "decision:sent:ok",
      "event:Message Delivered", // the sandbox's delivery receipt
    ]);
  });

  it("refuses a cursor it did not issue", async () => {
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user, traits: {} });
    const r = await api("GET", `/v1/contacts/user:${user}/timeline?before=nonsense`);
    expect([r.status, r.body.errors[0].field]).toEqual([400, "before"]);
  });
});
