/** Tasks: the owners' inbox, soonest SLA first, with countdowns, acknowledge and done. */
import { Hono } from "hono";
import { now } from "../clock";
import type { ConsoleEnv } from "./api";
import { Badge, Csrf, When, can } from "./layout";
import { done, refused, render } from "./page";

/** Tasks pages. */
export const tasksPage = new Hono<ConsoleEnv>();

const STATES = ["open", "breached", "acknowledged", "done"] as const;

/** How long until (or since) an SLA, in words: "due in 12 min", "overdue by 1 h 5 min". */
export function slaCountdown(dueAt: number, at: number): string {
  const ms = dueAt - at;
  const mins = Math.round(Math.abs(ms) / 60_000);
  const span = mins >= 60 * 24 ? `${Math.floor(mins / 1440)} d ${Math.floor((mins % 1440) / 60)} h` : mins >= 60 ? `${Math.floor(mins / 60)} h ${mins % 60} min` : `${mins} min`;
  return ms >= 0 ? `due in ${span}` : `overdue by ${span}`;
}

// Ticks the countdowns once a minute; without it the page still shows them as of loading.
// It runs in the user's browser, so it reads the browser's real time (Date.now), not src/clock.ts.
const TICK = `
setInterval(() => {
  for (const el of document.querySelectorAll("[data-due]")) {
    const ms = Number(el.dataset.due) - Date.now(), m = Math.round(Math.abs(ms) / 60000);
    const span = m >= 1440 ? Math.floor(m / 1440) + " d " + Math.floor((m % 1440) / 60) + " h" : m >= 60 ? Math.floor(m / 60) + " h " + (m % 60) + " min" : m + " min";
    if (el.dataset.state === "open" || el.dataset.state === "breached") el.textContent = ms >= 0 ? "due in " + span : "overdue by " + span;
  }
}, 60000);`;

tasksPage.get("/", async (c) => {
  const state = c.req.query("state");
  const owner = c.req.query("owner");
  const qs = new URLSearchParams({ limit: "200", ...(state && (STATES as readonly string[]).includes(state) ? { state } : {}), ...(owner && /^[a-z][a-z0-9_]{0,39}$/.test(owner) ? { owner } : {}) });
  const [r, routing] = await Promise.all([c.get("api")("GET", `/v1/tasks?${qs}`), c.get("api")("GET", "/v1/settings/routing")]);
  const stop = refused(c, r);
  if (stop) return stop;
  const owners: Array<{ id: string; name: string }> = routing.ok ? routing.body.value.owners : [];
  const ownerName = (id: string | null) => (id ? (owners.find((o) => o.id === id)?.name ?? id) : "unassigned");
  const canWrite = can(c.get("role"), "tasks:write");
  const at = now();
  // The list is D1's copy, written by the records queue a moment after a change: show our own change at once.
  const moved = /^(t_[0-9a-z_]{1,40})\.(acknowledged|done)$/.exec(c.req.query("moved") ?? "");
  const tasks: any[] = (r.body.tasks ?? []).map((t: any) => (moved && t.id === moved[1] && t.state !== "done" && t.state !== moved[2] ? { ...t, state: moved[2] } : t));
  return render(
    c,
    "Tasks",
    <>
      <p>
        Show: <a href="/console/tasks">all</a>
        {STATES.map((s) => (
          <>
            {" · "}
            <a href={`/console/tasks?state=${s}`}>{s}</a>
          </>
        ))}
        {owners.length ? " · Owner: " : ""}
        {owners.map((o) => (
          <>
            <a href={`/console/tasks?owner=${o.id}`}>{o.name}</a>{" "}
          </>
        ))}
      </p>
      <table id="tasks">
        <thead>
          <tr>
            <th>Task</th>
            <th>Contact</th>
            <th>Owner</th>
            <th>State</th>
            <th>SLA</th>
            {canWrite ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => {
            const due = Date.parse(t.slaDueAt);
            const live = t.state === "open" || t.state === "breached";
            return (
              <tr data-task={t.id}>
                <td>
                  <strong>{t.intent.replace(/_/g, " ")}</strong>
                  {t.reply ? <div class="sms">{t.reply}</div> : null}
                  <div class="mute">from {t.source}</div>
                </td>
                <td>
                  <a href={`/console/contacts/${t.contactId}`}>{t.contactId}</a>
                  <div class="mute">{t.stage ?? ""}</div>
                </td>
                <td>{ownerName(t.owner)}</td>
                <td>
                  <Badge value={t.state} />
                </td>
                <td>
                  <span data-due={String(due)} data-state={t.state}>
                    {live ? slaCountdown(due, at) : t.state === "acknowledged" ? "acknowledged" : "closed"}
                  </span>
                  <div class="mute">
                    <When at={t.slaDueAt} />
                  </div>
                </td>
                {canWrite ? (
                  <td>
                    {live ? (
                      <form method="post" action={`/console/tasks/${t.id}/ack`} class="inline">
                        <Csrf token={c.get("csrf")} />
                        <button type="submit">Acknowledge</button>
                      </form>
                    ) : null}{" "}
                    {t.state !== "done" ? (
                      <form method="post" action={`/console/tasks/${t.id}/done`} class="inline">
                        <Csrf token={c.get("csrf")} />
                        <button type="submit" class="secondary">
                          Done
                        </button>
                      </form>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {tasks.length ? null : <p class="mute">No tasks here.</p>}
    </>,
    200,
    <script nonce={c.get("nonce")} dangerouslySetInnerHTML={{ __html: TICK }} />,
  );
});

for (const [verb, word] of [["ack", "Acknowledged"], ["done", "Closed"]] as const) {
  tasksPage.post(`/:id/${verb}`, async (c) => {
    const id = c.req.param("id");
    const r = await c.get("api")("POST", `/v1/tasks/${encodeURIComponent(id)}/${verb}`);
    const stop = refused(c, r, `Task ${id}`);
    if (stop) return stop;
    if (!r.ok) return render(c, "Task not changed", <p class="problem">{r.detail}</p>, 400);
    return done(c, `/console/tasks?moved=${encodeURIComponent(`${r.body.id}.${r.body.state}`)}`, `${word}: ${String(r.body.intent).replace(/_/g, " ")}.`);
  });
}
