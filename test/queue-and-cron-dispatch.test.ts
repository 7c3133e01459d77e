// The Worker's queue and cron handlers dispatch by exact name: each queue and cron of wrangler.toml
// reaches its own consumer or job; an unknown one fails loudly (the batch is retried, nothing is
// acked or sent); a cron run that fails is logged and fails its invocation.
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ContactDO } from "../src/contacts/contact-do";
import worker from "../src/index";
// @ts-expect-error: no type declarations for ?raw
import wranglerToml from "../wrangler.toml?raw";
import { api, contactStub, deliverSend, inbox, phone, settleSends, unique } from "./helpers";

/** Every `queue = "…"` of a [[queues.consumers]] table, and the dead-letter queues they name. */
const consumerQueues = [...(wranglerToml as string).matchAll(/\[\[queues\.consumers\]\]\s*\nqueue = "([^"]+)"(?:[^[]*?dead_letter_queue = "([^"]+)")?/g)].flatMap((m) => m.slice(1).filter(Boolean)) as string[];
/** The crons of [triggers]. */
const crons = JSON.parse(/\[triggers\]\s*\ncrons = (\[[^\]]*\])/.exec(wranglerToml as string)![1]!) as string[];

afterEach(() => vi.restoreAllMocks());

async function dispatch(queue: string, body: unknown) {
  const batch = createMessageBatch(queue, [{ id: unique("q"), timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  const error = await worker.queue(batch as never, env, ctx).then(() => undefined, (e: Error) => e);
  return { error, result: await getQueueResult(batch, ctx) };
}

/** A one-off message that went out, then set back to queued as if its send job were still on the queue. */
async function pendingSend() {
  const to = phone();
  await api("PUT", "/v1/templates/dispatch-code", { body: "Your code is 1234", job: "transactional", purpose: "transactional" });
  const r = await api("POST", "/v1/messages", { to, template: "dispatch-code" });
  expect(r.status).toBe(202);
  await settleSends(`phone:${to}`);
  const job = r.body as { contactId: string; messageId: string };
  await env.DB.prepare("DELETE FROM sandbox_messages WHERE id = ?").bind(job.messageId).run();
  await runInDurableObject((await contactStub(job.contactId)).stub, (_i: ContactDO, state) => {
    state.storage.sql.exec("UPDATE messages SET status = 'queued' WHERE id = ?", job.messageId);
  });
  return { to, job };
}

describe("queue dispatch", () => {
  it("reads its queues from wrangler.toml", () => {
    expect(consumerQueues).toEqual(expect.arrayContaining(["tidings-send", "tidings-send-dlq", "tidings-records", "tidings-import", "tidings-notify", "tidings-broadcast"]));
  });

  it("has a consumer for every queue wrangler.toml consumes, dead-letter queues included", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const queue of consumerQueues) {
      // A message no consumer can use: whatever its consumer makes of it, dispatch itself must not refuse it.
      const { error } = await dispatch(queue, { kind: "nothing", id: unique("x") });
      expect(String(error ?? ""), queue).not.toMatch(/no consumer for queue/);
    }
  });

  it("refuses a batch from an unknown queue: it throws (the batch is retried), acks nothing and sends nothing", async () => {
    const { to, job } = await pendingSend();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    // Names the old prefix rules would have sent to the send consumer.
    for (const queue of ["tidings-sms", "tidings-send-staging", "other-app-jobs"]) {
      const { error, result } = await dispatch(queue, job);
      expect(error?.message, queue).toMatch(`no consumer for queue ${queue}`);
      expect(result.explicitAcks, queue).toEqual([]);
      expect(result.ackAll, queue).toBe(false);
    }
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("no consumer for queue tidings-sms"));
    expect(await inbox(to)).toEqual([]);
    // The same job through its own queue is sent: it was deliverable all along.
    expect((await deliverSend(job)).explicitAcks).toHaveLength(1);
    expect(await inbox(to)).toEqual(["Your code is 1234"]);
  });
});

describe("cron dispatch", () => {
  const scheduled = (cron: string, scheduledTime = Date.UTC(2002, 5, 1, 6)) => {
    const ctx = createExecutionContext();
    return { ctx, run: worker.scheduled(createScheduledController({ scheduledTime, cron }), env, ctx) };
  };

  it("runs the governance report for the monthly cron of wrangler.toml", async () => {
    expect(crons).toEqual(["0 6 1 * *", "30 3 * * *"]);
    const { ctx, run } = scheduled(crons[0]!);
    await run;
    await waitOnExecutionContext(ctx);
    expect((await api("GET", "/v1/governance/reports/gov_2002-05-01_2002-06-01")).status).toBe(200);
  });

  it("refuses a cron it has no job for, loudly", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { ctx, run } = scheduled("0 3 * * *", Date.UTC(2002, 7, 1, 3));
    await expect(run).rejects.toThrow('no job for cron "0 3 * * *"');
    await waitOnExecutionContext(ctx);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('no job for cron "0 3 * * *"'));
    // Nothing ran in its place: no report for that month.
    expect((await api("GET", "/v1/governance/reports/gov_2002-07-01_2002-08-01")).status).toBe(404);
  });

  it("logs a failed run and fails the invocation, so the cron's history shows it; the next run succeeds", async () => {
    // A real D1 failure: the insert of the report is refused while the trigger exists.
    await env.DB.prepare("CREATE TRIGGER refuse_reports BEFORE INSERT ON governance_reports BEGIN SELECT RAISE(ABORT, 'storage refused the report'); END").run();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { ctx, run } = scheduled(crons[0]!, Date.UTC(2003, 2, 1, 6));
      await expect(run).rejects.toThrow(/storage refused the report/);
      await waitOnExecutionContext(ctx);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('cron "0 6 1 * *" failed'), expect.anything());
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_reports").run();
    }
    const { ctx, run } = scheduled(crons[0]!, Date.UTC(2003, 2, 1, 6));
    await run;
    await waitOnExecutionContext(ctx);
    expect((await api("GET", "/v1/governance/reports/gov_2003-02-01_2003-03-01")).status).toBe(200);
  });
});
