// Creating a broadcast is all or nothing: its row, its flow and its audit entry commit in one D1
// batch, and the dry run is queued after the commit. A failure in the batch leaves nothing behind;
// a failure to queue is answered 503 and the same Idempotency-Key queues the dry run again.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { OWNER, api, flushRecords, optedIn, phone, unique, withoutOptInConfirmation } from "./helpers";

let tag: string;

beforeAll(async () => {
  await withoutOptInConfirmation();
  expect((await api("PUT", "/v1/templates/atomic-offer", { body: "Atomic offer: 10% off. Reply STOP to opt out.", job: "retention", purpose: "marketing" })).status).toBe(200);
  // One customer with marketing consent, whom the broadcasts below reach (by tag).
  tag = unique("atomic").toLowerCase();
  const user = unique("u");
  await optedIn(user, phone(), { tag });
  expect((await api("PUT", `/v1/contacts/user:${user}/stage`, { stage: "customer" })).status).toBe(200);
  await flushRecords();
});

afterEach(() => vi.restoreAllMocks());

const request = () => ({
  name: unique("Offer"), template: "atomic-offer", sendAt: { localTime: "10:00", date: "2027-03-20" },
  segment: { stages: ["customer"], consent: "marketing", where: { "traits.tag": tag } },
});

const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

/** Rows a broadcast creation writes: broadcasts, broadcast flows, and their audit entries. */
const written = async () => ({
  broadcasts: await count("SELECT count(*) AS n FROM broadcasts"),
  flows: await count("SELECT count(*) AS n FROM flows WHERE key GLOB 'broadcast-*'"),
  audit: await count("SELECT count(*) AS n FROM audit_log WHERE action = 'broadcast.create'"),
});

/** The broadcast once its dry run is done. */
async function dryRunDone(id: string) {
  let b: any;
  await vi.waitFor(async () => {
    b = (await api("GET", `/v1/broadcasts/${id}`)).body;
    if (b.dryRun?.status !== "done") throw new Error("dry run not done yet");
  }, { timeout: 10_000, interval: 50 });
  return b;
}

describe("creating a broadcast", () => {
  it("leaves nothing behind when its batch fails, and the same Idempotency-Key then creates it whole", async () => {
    const body = request();
    const key = unique("idem");
    const before = await written();
    // A real D1 failure inside the creation: storing a broadcast's flow is refused while the trigger exists.
    await env.DB.prepare("CREATE TRIGGER refuse_broadcast_flows BEFORE INSERT ON flows WHEN NEW.key GLOB 'broadcast-*' BEGIN SELECT RAISE(ABORT, 'flow store refused'); END").run();
    vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const failed = await api("POST", "/v1/broadcasts", body, { headers: { "idempotency-key": key } });
      expect([failed.status, failed.type]).toEqual([500, "application/problem+json"]);
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_broadcast_flows").run();
    }
    expect(await written()).toEqual(before);
    expect(await count("SELECT count(*) AS n FROM broadcasts WHERE idempotency_key = ?", key)).toBe(0);

    const retried = await api("POST", "/v1/broadcasts", body, { headers: { "idempotency-key": key } });
    expect(retried.status).toBe(201); // created now, not a replay of something half-written
    expect(await written()).toEqual({ broadcasts: before.broadcasts + 1, flows: before.flows + 1, audit: before.audit + 1 });
    const done = await dryRunDone(retried.body.id);
    expect(done.dryRun.counts["sent:ok"]).toBe(1);
  });

  it("answers 503 when the dry run cannot be queued after the commit; the same Idempotency-Key queues it", async () => {
    const body = request();
    const key = unique("idem");
    // The broadcast queue refuses one send (a Queues outage), then works again.
    let refusals = 1;
    const queue = env.BROADCAST_QUEUE;
    const flaky = Object.create(env, {
      BROADCAST_QUEUE: { value: { send: (m: unknown, o?: QueueSendOptions) => (refusals-- > 0 ? Promise.reject(new Error("Queue send failed: 503")) : queue.send(m, o)) } },
    }) as Env;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("http://tidings.test/v1/broadcasts", {
        method: "POST",
        headers: { authorization: `Bearer ${OWNER}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify(body),
      }),
      flaky,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect([res.status, res.headers.get("content-type")]).toEqual([503, "application/problem+json"]);
    const problem = (await res.json()) as { broadcast: string; detail: string };
    expect(problem.detail).toMatch(/same Idempotency-Key/);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining(`broadcast ${problem.broadcast}: the dry run could not be queued`), expect.anything());
    // Committed whole, flow and all; only the queue job is missing.
    const created = (await api("GET", `/v1/broadcasts/${problem.broadcast}`)).body;
    expect([created.status, created.dryRun.status]).toEqual(["draft", "running"]);
    expect(await count("SELECT count(*) AS n FROM flows WHERE key = ?", created.flow)).toBe(1);

    const replayed = await api("POST", "/v1/broadcasts", body, { headers: { "idempotency-key": key } });
    expect([replayed.status, replayed.body.id]).toEqual([200, problem.broadcast]);
    const done = await dryRunDone(problem.broadcast);
    expect(done.dryRun.counts["sent:ok"]).toBe(1);
    // A later replay, once the dry run has pages, queues nothing more and answers the same broadcast.
    expect((await api("POST", "/v1/broadcasts", body, { headers: { "idempotency-key": key } })).body).toMatchObject({ id: problem.broadcast, dryRun: { status: "done" } });
  });
});
