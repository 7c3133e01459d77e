/**
 * Tidings: lifecycle SMS at the edge. The whole flow of data, in order:
 *
 *   HTTP (Segment-style events, API) ─► identity (AliasDO) ─► ContactDO (stage, runs, timers, gate)
 *     ─► send queue ─► gateway consumer ─► gateway (sandbox) ─► result back to the ContactDO
 *   ContactDO ─► records queue ─► D1 (decisions, stage changes, contact projection, messages, runs)
 *   /l/:code (short links) ─► D1 link ─► 302, then the click ─► ContactDO (`Link Clicked`)
 *   /v1/broadcasts ─► broadcast queue (pages of contacts from D1) ─► each ContactDO ─► send queue
 *   records queue ─► rollups ─► /v1/reports
 *   daily cron ─► D1 rows past retention ─► R2 archive, then deleted; ContactDOs prune() (src/retention/)
 *   /console (marketers' web UI) ─► the same /v1 routes, in process, with the signed-in key
 */
import { auditRoutes } from "./audit/routes";
import { type FanoutJob, consumeFanout } from "./broadcasts/fanout";
import { broadcasts } from "./broadcasts/routes";
import { consent } from "./consent/routes";
import { consoleApp } from "./console/routes";
import { type ImportChunk, consumeImports, imports } from "./contacts/import";
import { contacts } from "./contacts/routes";
import { docsPage } from "./docs";
import { segmentEdge } from "./events/edge";
import { events } from "./events/routes";
import { flows } from "./flows/routes";
import { flowInsights } from "./flows/insight-routes";
import { governance } from "./governance/routes";
import { previousMonth, storeReport } from "./governance/report";
import { consumeDeadLetters, consumeSends, type SendJob } from "./gateway/consumer";
import { providerWebhooks } from "./gateway/webhooks";
import { newApp } from "./http/app";
import { keys } from "./keys/routes";
import { onError, problem } from "./http/problem";
import { now } from "./clock";
import { redirects, shortHost } from "./links/routes";
import { messages } from "./messages/routes";
import { privacy } from "./privacy/routes";
import { reports } from "./reports/routes";
import { archive } from "./retention/routes";
import { runRetention } from "./retention/cron";
import { variantRoutes } from "./reports/variant-routes";
import { signupPages } from "./growth/signup";
import { growthRoutes } from "./growth/routes";
import { type NotifyJob, consumeNotifications } from "./tasks/notify";
import { consumeWebhookDeadLetters, consumeWebhooks } from "./outbound/deliveries";
import { documentWebhooks, outbound } from "./outbound/routes";
import { tasks } from "./tasks/routes";
import { consumeRecords } from "./records/consumer";
import type { RecordMessage } from "./records/types";
import { settings } from "./settings/routes";
import { suppressions } from "./suppression/routes";
import { templates } from "./templates/routes";
import { webhooks } from "./webhooks/routes";
import { bodyLimit } from "hono/body-limit";

export { AliasDO } from "./contacts/alias-do";
export { ContactDO } from "./contacts/contact-do";
export { SenderDO } from "./senders/pacer-do";

/** The HTTP app. */
export const app = newApp();

app.use("*", shortHost);
app.route("/", redirects);
app.route("/", providerWebhooks);
app.route("/", webhooks);
// Segment's tracking API: write keys, text/plain bodies, its size limits, CORS and browser keys.
app.use("/v1/*", segmentEdge);
app.route("/", signupPages);
const limit = bodyLimit({ maxSize: 1024 * 1024, onError: () => problem(413, "Payload too large", "the body is over 1 MiB") });
// Imports are streamed row by row, so they may be any size; every other body is capped.
app.use("/v1/*", (c, next) => (c.req.path === "/v1/contacts/import" ? next() : limit(c, next)));
app.route("/v1", imports);
app.route("/v1", events);
app.route("/v1", contacts);
app.route("/v1", messages);
app.route("/v1", flows);
app.route("/v1", flowInsights);
app.route("/v1", templates);
app.route("/v1", settings);
app.route("/v1", consent);
app.route("/v1", suppressions);
app.route("/v1", tasks);
app.route("/v1", keys);
app.route("/v1", auditRoutes);
app.route("/v1", governance);
app.route("/v1", privacy);
app.route("/console", consoleApp(app));
app.route("/v1", reports);
app.route("/v1", variantRoutes);
app.route("/v1", growthRoutes);
app.route("/v1", broadcasts);
app.route("/v1", archive);
app.route("/v1", outbound);
documentWebhooks(app);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
const info = { title: "Tidings", version: "0.1.0", description: "Lifecycle SMS: the right message for each contact's stage, with consent, quiet hours and caps." };
app.doc31("/openapi.json", { openapi: "3.1.0", info });
app.get("/docs", (c) => c.html(docsPage(app.getOpenAPI31Document({ openapi: "3.1.0", info }) as never)));
app.get("/", (c) => c.json({ name: "tidings", docs: "/docs", openapi: "/openapi.json" }));
app.notFound(() => problem(404, "Not found", "no such route; see /docs"));
app.onError(onError);

/** A queue consumer: handles (acks or retries) every message of its batch. */
type Consumer = (batch: MessageBatch<never>, env: Env) => Promise<void>;

/**
 * The consumer of each queue wrangler.toml binds, by exact name (dead-letter queues too). A queue
 * that is not listed fails loudly instead of falling through to some other consumer.
 */
const QUEUE_CONSUMERS: Record<string, Consumer> = {
  "tidings-send": consumeSends as Consumer,
  "tidings-send-dlq": consumeDeadLetters as Consumer,
  "tidings-records": consumeRecords as Consumer,
  "tidings-import": consumeImports as Consumer,
  "tidings-notify": consumeNotifications as Consumer,
  "tidings-broadcast": consumeFanout as Consumer,
  "tidings-webhooks": consumeWebhooks as Consumer,
  "tidings-webhooks-dlq": consumeWebhookDeadLetters as Consumer,
};

/** A Cron Trigger's job. */
type CronJob = (controller: ScheduledController, env: Env) => Promise<void>;

/** The job of each cron in wrangler.toml [triggers], by its exact expression. */
const CRON_JOBS: Record<string, CronJob> = {
  // 06:00 UTC on the 1st: the previous month's governance report, stored in D1 (idempotent per period).
  "0 6 1 * *": async (controller, env) => {
    const { from, to } = previousMonth(controller.scheduledTime);
    const { id } = await storeReport(env, from, to);
    console.log(`governance report ${id} stored`);
  },
  // 03:30 UTC daily: archive to R2 and prune D1 past retention, then sweep a page of contacts (src/retention/).
  "30 3 * * *": async (_controller, env) => {
    const { d1, sweep } = await runRetention(env, now());
    const pruned = Object.entries(d1).filter(([, r]) => r.deleted || r.more).map(([k, r]) => `${k}=${r.deleted}${r.more ? "+" : ""}`);
    console.log(`retention: D1 pruned ${pruned.join(" ") || "nothing"}; swept ${sweep.contacts} contacts, ${sweep.deleted} rows`);
  },
};

export default {
  fetch: app.fetch,
  // Throwing retries the whole batch (wrangler.toml max_retries, then the dead-letter queue) and shows
  // the failure in the logs; no message of an unknown queue is acked, so none is lost.
  async queue(batch, env, _ctx) {
    const consume = QUEUE_CONSUMERS[batch.queue];
    if (!consume) {
      const error = new Error(`no consumer for queue ${batch.queue} (${batch.messages.length} messages retried); add it to QUEUE_CONSUMERS in src/index.ts`);
      console.error(error.message);
      throw error;
    }
    return consume(batch as MessageBatch<never>, env);
  },
  // Awaited, not left to waitUntil: a failed run fails the invocation, so the Cron Trigger's history shows it.
  async scheduled(controller, env, _ctx) {
    const job = CRON_JOBS[controller.cron];
    if (!job) {
      const error = new Error(`no job for cron "${controller.cron}"; add it to CRON_JOBS in src/index.ts`);
      console.error(error.message);
      throw error;
    }
    try {
      await job(controller, env);
    } catch (err) {
      console.error(`cron "${controller.cron}" failed (scheduled time ${controller.scheduledTime})`, err);
      throw err;
    }
  },
} satisfies ExportedHandler<Env>;
