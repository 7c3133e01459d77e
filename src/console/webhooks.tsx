/** Webhooks: the outbound delivery log (status, attempts, last answer), filtered by status, with Replay. */
import { Hono } from "hono";
import type { ConsoleEnv } from "./api";
import { Badge, Csrf, When, can } from "./layout";
import { done, refused, render } from "./page";

/** Webhooks pages. */
export const webhooksPage = new Hono<ConsoleEnv>();

const STATUSES = ["pending", "delivered", "failed"] as const;

webhooksPage.get("/", async (c) => {
  const status = c.req.query("status");
  const qs = new URLSearchParams({ limit: "100", ...(status && (STATUSES as readonly string[]).includes(status) ? { status } : {}) });
  const r = await c.get("api")("GET", `/v1/webhooks/deliveries?${qs}`);
  const stop = refused(c, r);
  if (stop) return stop;
  const canReplay = can(c.get("role"), "settings:write");
  const deliveries: any[] = r.body.deliveries ?? [];
  return render(
    c,
    "Webhooks",
    <>
      <p>
        Signed events sent to the endpoints in <a href="/console/settings/webhooks">settings</a> and to task owners. A failed delivery was
        retried for three days; Replay sends it again with the same webhook-id. Show: <a href="/console/webhooks">all</a>
        {STATUSES.map((s) => (
          <>
            {" · "}
            <a href={`/console/webhooks?status=${s}`}>{s}</a>
          </>
        ))}
      </p>
      <table id="deliveries">
        <thead>
          <tr>
            <th>Event</th>
            <th>Endpoint</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Last answer</th>
            <th>Created</th>
            {canReplay ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr data-delivery={d.id}>
              <td>
                <strong>{d.type}</strong>
                <div class="mute">{d.webhookId}</div>
                {d.contactId ? <a href={`/console/contacts/${d.contactId}`}>{d.contactId}</a> : null}
              </td>
              <td>{d.endpoint}</td>
              <td>
                <Badge value={d.status} />
                {d.status === "pending" && d.nextAt ? (
                  <div class="mute">
                    next <When at={d.nextAt} />
                  </div>
                ) : null}
                {d.deliveredAt ? (
                  <div class="mute">
                    <When at={d.deliveredAt} />
                  </div>
                ) : null}
              </td>
              <td>{d.attempts}</td>
              <td>
                {d.lastStatus === null ? <span class="mute">—</span> : <code>{d.lastStatus === 0 ? "no answer" : d.lastStatus}</code>}
                {d.lastAnswer ? <div class="mute">{d.lastAnswer}</div> : null}
              </td>
              <td>
                <When at={d.createdAt} />
              </td>
              {canReplay ? (
                <td>
                  <form method="post" action={`/console/webhooks/${d.id}/replay`} class="inline">
                    <Csrf token={c.get("csrf")} />
                    <button type="submit" class={d.status === "failed" ? undefined : "secondary"}>
                      Replay
                    </button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {deliveries.length ? null : <p class="mute">No deliveries here.</p>}
    </>,
  );
});

webhooksPage.post("/:id/replay", async (c) => {
  const id = c.req.param("id");
  const r = await c.get("api")("POST", `/v1/webhooks/deliveries/${encodeURIComponent(id)}/replay`);
  const stop = refused(c, r, `Delivery ${id}`);
  if (stop) return stop;
  if (!r.ok) return render(c, "Not replayed", <p class="problem">{r.detail}</p>, 400);
  return done(c, "/console/webhooks", `Replaying ${r.body.type} to ${r.body.endpoint}.`);
});
