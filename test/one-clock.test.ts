// One clock: every time Tidings stamps or reports comes from src/clock.ts, never from the wall clock.
// The suite pins that clock days or years away from real time, so a wall-clock stamp shows up here.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { now } from "../src/clock";
import worker from "../src/index";
import { DAY, api, phone, unique } from "./helpers";

/** Runs `act` and expects `stampOf(result)` (an ISO string) to lie between the clock's readings around it. */
async function stampedByClock<T>(act: () => Promise<T>, stampOf: (r: T) => string | null | undefined): Promise<T> {
  const before = now();
  const r = await act();
  const after = now();
  expectWithin([stampOf(r) ?? "(none)"], before, after);
  return r;
}

/** Expects every ISO stamp to lie in [before, after] on the clock. */
function expectWithin(stamps: string[], before: number, after: number): void {
  for (const s of stamps) {
    expect(Date.parse(s), `stamp ${s} is not the clock's time`).toBeGreaterThanOrEqual(before);
    expect(Date.parse(s), `stamp ${s} is not the clock's time`).toBeLessThanOrEqual(after);
  }
}

/** Import an NDJSON file through the API. */
async function importNdjson(rows: unknown[]) {
  return api("POST", "/v1/contacts/import", undefined, { raw: rows.map((r) => JSON.stringify(r)).join("\n"), headers: { "content-type": "application/x-ndjson" } });
}

describe("one clock", () => {
  beforeAll(() => {
    // Real time is the point here: these tests only mean something while the two clocks differ.
    expect(Math.abs(now() - Date.now()), "the test clock must be pinned away from real time").toBeGreaterThan(DAY);
  });

  it("stamps a template version with the clock's time and ages it on the clock", async () => {
    const key = unique("clock").toLowerCase();
    await stampedByClock(
      async () => {
        expect((await api("PUT", `/v1/templates/${key}`, { body: "Your order is on its way.", job: "transactional", purpose: "transactional" })).status).toBe(200);
        return (await api("GET", `/v1/templates/${key}/versions`)).body;
      },
      (b) => b.versions[0].createdAt,
    );
    // Stale-offer age is measured from the version's stamp: a day on the clock is a day old.
    const offer = unique("offer").toLowerCase();
    expect((await api("PUT", "/v1/settings/governance", { staleOfferDays: 3 })).status).toBe(200);
    expect((await api("PUT", `/v1/templates/${offer}`, { body: "20% off until Friday! Reply STOP to opt out", job: "retention", purpose: "marketing" })).status).toBe(200);
    const report = async (days: number) => {
      const to = now() + days * DAY;
      const r = (await api("GET", `/v1/governance/report?from=${new Date(to - DAY).toISOString()}&to=${new Date(to).toISOString()}`)).body;
      return r.staleOffers.find((s: { template: string }) => s.template === offer);
    };
    expect(await report(1)).toBeUndefined();
    expect(await report(4)).toMatchObject({ unchangedDays: 4 });
  });

  it("dates a suppression by the clock", async () => {
    const to = phone();
    await stampedByClock(
      async () => {
        expect((await api("POST", "/v1/suppressions", { phone: to, reason: "clock test" })).status).toBe(200);
        return (await api("GET", `/v1/suppressions/${encodeURIComponent(to)}`)).body;
      },
      (b) => b.since,
    );
  });

  it("dates an import's creation and progress by the clock", async () => {
    // Nothing accepted: the request creates the import and finishes it.
    let before = now();
    const bad = await importNdjson([{ userId: unique("imp"), phone: "not a phone" }]);
    let after = now();
    expect(bad.body).toMatchObject({ status: "done", accepted: 0 });
    const badView = (await api("GET", `/v1/imports/${bad.body.importId}`)).body;
    expectWithin([badView.createdAt, badView.updatedAt], before, after);
    // Accepted rows: the import queue stamps the update when it applies them.
    before = now();
    const good = await importNdjson([{ userId: unique("imp"), traits: { plan: "pro" } }]);
    expect(good.status).toBe(202);
    let view: any;
    await vi.waitFor(async () => {
      view = (await api("GET", `/v1/imports/${good.body.importId}`)).body;
      expect(view.status).toBe("done");
    }, { timeout: 10_000, interval: 50 });
    after = now();
    expectWithin([view.createdAt, view.updatedAt], before, after);
  });

  it("records a key's last use at the clock's time", async () => {
    const { body } = await api("POST", "/v1/keys", { name: "Clock", role: "analyst" });
    const before = now();
    expect((await api("GET", "/v1/flows", undefined, { key: body.key })).status).toBe(200);
    let key: any;
    await vi.waitFor(async () => {
      key = (await api("GET", "/v1/keys")).body.keys.find((k: { id: string }) => k.id === body.id);
      expect(key.lastUsedAt).not.toBeNull();
    });
    expectWithin([key.lastUsedAt], before, now());
    expect(Date.parse(key.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(key.createdAt));
  });

  it("dates the governance report, computed and stored, by the clock", async () => {
    const from = new Date(now() - 7 * DAY).toISOString();
    await stampedByClock(async () => (await api("GET", `/v1/governance/report?from=${from}&to=${new Date(now()).toISOString()}`)).body, (r) => r.generatedAt);
    const stored = await stampedByClock(
      async () => {
        const ctx = createExecutionContext();
        await worker.scheduled(createScheduledController({ scheduledTime: now(), cron: "0 6 1 * *" }), env, ctx);
        await waitOnExecutionContext(ctx);
        return (await api("GET", "/v1/governance/reports?limit=60")).body.reports.find((r: { to: string }) => Date.parse(r.to) <= now() && now() - Date.parse(r.to) < 32 * DAY);
      },
      (r) => r?.createdAt,
    );
    expectWithin([stored.report.generatedAt], Date.parse(stored.createdAt) - 60_000, Date.parse(stored.createdAt));
  });
});
