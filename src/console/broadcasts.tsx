/**
 * Broadcasts: build one (template, stages, consent, when), read its dry run (counts by reason, in
 * words), launch, follow its progress, pause, resume and cancel; all through `/v1/broadcasts`. Pages
 * whose numbers are still moving refresh themselves every few seconds (a meta refresh, no script).
 */
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { FieldError } from "../http/problem";
import type { ConsoleContext, ConsoleEnv } from "./api";
import { explainDecision } from "./explain";
import { durationInWords } from "./flows";
import { Badge, Csrf, Field, FieldErrors, Problem, Select, When, can, errorsFor } from "./layout";
import { done, formBody, listOf, parseJson, refused, render, stagesOfSetting } from "./page";
import { randomId } from "./session";

/** Broadcasts pages. */
export const broadcastsPage = new Hono<ConsoleEnv>();

const ID = /^b_[0-9a-z]{1,40}$/;

/** A dry-run or fan-out count key (`outcome:reason`) in words. */
export function countInWords(key: string): string {
  const i = key.indexOf(":");
  const outcome = i < 0 ? key : key.slice(0, i);
  const reason = i < 0 ? "" : key.slice(i + 1);
  if (outcome === "scheduled") return "will be sent at its time";
  if (outcome === "excluded") return reason === "segment" ? "not in the segment (traits, flags or recent events)" : `left out: ${reason}`;
  if (outcome === "sent" && reason === "ok") return "would be sent now";
  return explainDecision({ outcome, reason });
}

/** The broadcast form as typed. */
interface Draft {
  name: string;
  template: string;
  stages: string;
  consent: string;
  when: string;
  localTime: string;
  date: string;
  at: string;
  expiresIn: string;
  holdout: string;
  goalEvent: string;
  goalWithin: string;
  pace: string;
  segmentExtra: string;
  nonce: string;
}

const EMPTY: Draft = { name: "", template: "", stages: "", consent: "", when: "local", localTime: "10:00", date: "", at: "", expiresIn: "PT6H", holdout: "0", goalEvent: "", goalWithin: "P7D", pace: "", segmentExtra: "", nonce: "" };

function draftOf(f: Record<string, string>, stagesChecked: string[]): Draft {
  const d = { ...EMPTY };
  for (const k of Object.keys(EMPTY) as (keyof Draft)[]) if (typeof f[k] === "string") d[k] = f[k]!;
  d.stages = stagesChecked.join(",");
  return d;
}

/** The API body of a draft; a bad JSON in the extra segment conditions is an error on `segment`. */
function broadcastBody(d: Draft): { body: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const extra = parseJson(d.segmentExtra, "segment");
  if (extra.error) errors.push(extra.error);
  const segment: Record<string, unknown> = { ...(extra.value && typeof extra.value === "object" ? (extra.value as object) : {}), stages: listOf(d.stages) };
  if (d.consent.trim()) segment.consent = d.consent.trim();
  const num = (s: string) => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : s);
  const at = d.at.trim();
  const pct = d.holdout.trim();
  const body: Record<string, unknown> = {
    name: d.name,
    template: d.template,
    segment,
    // A minute-precision instant as typed is read as UTC.
    sendAt: d.when === "at" ? { at: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(at) ? `${at}:00Z` : at } : { localTime: d.localTime, ...(d.date.trim() ? { date: d.date.trim() } : {}) },
    expiresIn: d.expiresIn || "PT6H",
    holdout: pct === "" ? 0 : /^\d+(\.\d+)?$/.test(pct) ? Number(pct) / 100 : pct,
  };
  if (d.pace.trim()) body.pace = num(d.pace);
  if (d.goalEvent.trim()) body.goal = { event: d.goalEvent.trim(), within: d.goalWithin || "P7D" };
  return { body, errors };
}

async function stagesAndTemplates(c: ConsoleContext) {
  const [s, t] = await Promise.all([c.get("api")("GET", "/v1/settings/stages"), c.get("api")("GET", "/v1/templates?status=active")]);
  const v = s.ok ? s.body.value : { preset: "b2c" };
  const stages: string[] = stagesOfSetting(v);
  const templates: string[] = t.ok ? t.body.templates.map((x: any) => x.key) : [];
  return { stages, templates };
}

const BuildForm: FC<{ d: Draft; errors: FieldError[]; detail?: string; stages: string[]; templates: string[]; csrf: string }> = ({ d, errors, detail, stages, templates, csrf }) => {
  const chosen = listOf(d.stages);
  const stageErrors = errorsFor(errors, "segment.stages");
  return (
    <form method="post" action="/console/broadcasts" class="card">
      <h2>New broadcast</h2>
      <Csrf token={csrf} />
      <input type="hidden" name="nonce" value={d.nonce || randomId()} />
      <Problem detail={errors.length ? undefined : detail} errors={errors} shown={["name", "template", "segment", "sendAt", "expiresIn", "holdout", "goal", "pace"]} />
      <Field name="name" label="Name" value={d.name} errors={errors} />
      <Select name="template" label="Template" value={d.template} options={[["", "choose an active template"], ...templates.map((t) => [t, t] as [string, string])]} errors={errors} />
      <fieldset aria-describedby={stageErrors.length ? "f-stages-error" : undefined}>
        <legend>Stages</legend>
        {stages.map((s) => (
          <label style="display:inline-block;font-weight:400;margin-right:1rem">
            <input type="checkbox" name="stage" value={s} checked={chosen.includes(s)} /> {s}
          </label>
        ))}
        <FieldErrors id="f-stages" messages={stageErrors} />
      </fieldset>
      <Field name="consent" label="Consent needed" value={d.consent} errors={errors} errorField="segment.consent" hint="empty: the template's purpose" />
      <label for="f-segmentExtra">
        More conditions <span class="hint">JSON: where, flags, events (optional)</span>
      </label>
      <textarea id="f-segmentExtra" name="segmentExtra" rows={3}>
        {d.segmentExtra}
      </textarea>
      <FieldErrors id="f-segmentExtra" messages={errorsFor(errors, "segment").filter((m) => !m.startsWith("stages") && !m.startsWith("consent"))} />
      <Select name="when" label="When" value={d.when} options={[["local", "at a local time in each recipient's zone"], ["at", "at one instant (UTC)"]]} />
      <Field name="localTime" label="Local time" value={d.localTime} errors={errors} errorField="sendAt.localTime" hint="HH:mm" />
      <Field name="date" label="Local date" value={d.date} errors={errors} errorField="sendAt.date" hint="YYYY-MM-DD; empty: the next such time" />
      <Field name="at" label="Instant (UTC)" value={d.at} errors={errors} errorField="sendAt.at" hint="YYYY-MM-DDTHH:mm" />
      <FieldErrors id="f-sendAt" messages={errorsFor(errors, "sendAt").filter((m) => !/^(localTime|date|at):/.test(m))} />
      <Field name="expiresIn" label="Expires after" value={d.expiresIn} errors={errors} hint="ISO 8601 duration after its send time" />
      <Field name="holdout" label="Holdout (%)" value={d.holdout} errors={errors} hint="share kept as a control group, 0–50" />
      <Field name="goalEvent" label="Goal event" value={d.goalEvent} errors={errors} errorField="goal" hint="e.g. Order Completed (optional)" />
      <Field name="goalWithin" label="Goal within" value={d.goalWithin} hint="ISO 8601 duration" />
      <Field name="pace" label="Pace (messages per second)" value={d.pace} errors={errors} hint="optional" />
      <div class="actions">
        <button type="submit">Create and dry-run</button>
      </div>
    </form>
  );
};

async function listPage(c: ConsoleContext, d: Draft = { ...EMPTY }, errors: FieldError[] = [], detail?: string) {
  const r = await c.get("api")("GET", "/v1/broadcasts");
  if (r.status === 404) return render(c, "Broadcasts", <p class="mute">Stage broadcasts are not available in this deployment yet.</p>);
  const stop = refused(c, r);
  if (stop) return stop;
  const list: any[] = r.body.broadcasts ?? [];
  const canSend = can(c.get("role"), "messages:send");
  const { stages, templates } = canSend ? await stagesAndTemplates(c) : { stages: [], templates: [] };
  return render(
    c,
    "Broadcasts",
    <>
      <table>
        <thead>
          <tr>
            <th>Broadcast</th>
            <th>Status</th>
            <th>Dry run</th>
            <th>Created</th>
            <th>Launched</th>
          </tr>
        </thead>
        <tbody>
          {list.map((b) => (
            <tr>
              <td>
                <a href={`/console/broadcasts/${b.id}`}>{b.name}</a>
              </td>
              <td>
                <Badge value={b.status} />
              </td>
              <td>{b.dry_run ?? "—"}</td>
              <td>
                <When at={b.created_at} />
              </td>
              <td>
                <When at={b.launched_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length ? null : <p class="mute">No broadcasts yet.</p>}
      {canSend ? <BuildForm d={d} errors={errors} detail={detail} stages={stages} templates={templates} csrf={c.get("csrf")} /> : null}
    </>,
    errors.length || detail ? 400 : 200,
  );
}

broadcastsPage.get("/", (c) => listPage(c));

broadcastsPage.post("/", async (c) => {
  let stages: string[] = [];
  try {
    const all = await c.req.parseBody({ all: true });
    const s = all.stage;
    stages = (Array.isArray(s) ? s : s === undefined ? [] : [s]).filter((x): x is string => typeof x === "string");
  } catch {
    stages = [];
  }
  const d = draftOf(await formBody(c), stages);
  const { body, errors } = broadcastBody(d);
  if (errors.length) return listPage(c, d, errors);
  const r = await c.get("api")("POST", "/v1/broadcasts", body, d.nonce ? { "idempotency-key": `console:${d.nonce.slice(0, 60)}` } : undefined);
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return listPage(c, d, r.errors, r.detail);
  return done(c, `/console/broadcasts/${r.body.id}`, "Created; the dry run is counting who would get it.");
});

const Counts: FC<{ counts: Record<string, number> }> = ({ counts }) => {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return rows.length ? (
    <table>
      <thead>
        <tr>
          <th>What happens</th>
          <th class="num">Contacts</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, n]) => (
          <tr data-count={k}>
            <td>
              {countInWords(k)}
              <div class="mute mono">{k}</div>
            </td>
            <td class="num">{n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  ) : (
    <p class="mute">No contacts counted yet.</p>
  );
};

const ACTIONS: Record<string, Array<[string, string, string]>> = {
  draft: [["launch", "Launch", ""], ["cancel", "Cancel", "danger"]],
  running: [["pause", "Pause", "secondary"], ["cancel", "Cancel", "danger"]],
  done: [["pause", "Pause", "secondary"], ["cancel", "Cancel", "danger"]],
  paused: [["resume", "Resume", ""], ["cancel", "Cancel", "danger"]],
};

broadcastsPage.get("/:id", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return render(c, "Not found", <p class="problem">No broadcast {id}.</p>, 404);
  const r = await c.get("api")("GET", `/v1/broadcasts/${id}`);
  const stop = refused(c, r, `Broadcast ${id}`);
  if (stop) return stop;
  const b = r.body;
  const moving = b.dryRun?.status === "running" || b.status === "running";
  const canSend = can(c.get("role"), "messages:send");
  return render(
    c,
    b.name,
    <>
      <p>
        <Badge value={b.status} /> template <a href={`/console/templates/${b.template}`}>{b.template}</a> · stages {b.segment.stages.join(", ")} · consent {b.purpose ?? b.segment.consent ?? "the template's"} ·{" "}
        {"at" in b.sendAt ? (
          <>
            at <When at={b.sendAt.at} />
          </>
        ) : (
          `at ${b.sendAt.localTime} local time${b.sendAt.date ? ` on ${b.sendAt.date}` : ""}`
        )}
        {b.holdout ? ` · holdout ${Math.round(b.holdout * 100)}%` : ""}
        {b.goal ? ` · goal ${b.goal.event} within ${durationInWords(b.goal.within)}` : ""}
      </p>
      {canSend && ACTIONS[b.status] ? (
        <div class="actions">
          {ACTIONS[b.status]!.map(([action, label, cls]) => (
            <form method="post" action={`/console/broadcasts/${id}/${action}`} class="inline">
              <Csrf token={c.get("csrf")} />
              <button type="submit" class={cls || undefined}>
                {label}
              </button>
            </form>
          ))}
        </div>
      ) : null}
      {moving ? <p class="mute">Still counting: this page refreshes every 5 seconds.</p> : null}
      <div class="grid">
        <div class="card">
          <h2>Dry run {b.dryRun ? <Badge value={b.dryRun.status === "done" ? "done" : "pending"} /> : null}</h2>
          {b.dryRun ? (
            <>
              <p>{b.dryRun.contacts} contact(s) in the chosen stages.</p>
              <Counts counts={b.dryRun.counts} />
            </>
          ) : (
            <p class="mute">No dry run.</p>
          )}
        </div>
        <div class="card">
          <h2>Progress</h2>
          {b.fanout ? (
            <>
              <p>{b.fanout.contacts} contact(s) reached so far.</p>
              <Counts counts={b.fanout.counts} />
            </>
          ) : (
            <p class="mute">Not launched.</p>
          )}
          <h3>Messages by status</h3>
          {Object.keys(b.messages.byStatus).length ? (
            <ul>
              {Object.entries(b.messages.byStatus).map(([s, n]) => (
                <li>
                  <Badge value={s} /> {String(n)}
                </li>
              ))}
            </ul>
          ) : (
            <p class="mute">None yet.</p>
          )}
          {Object.keys(b.messages.deferredOrSkipped).length ? <Counts counts={b.messages.deferredOrSkipped} /> : null}
        </div>
      </div>
    </>,
    200,
    moving ? <meta http-equiv="refresh" content="5" /> : undefined,
  );
});

for (const action of ["launch", "pause", "resume", "cancel"] as const) {
  broadcastsPage.post(`/:id/${action}`, async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) return render(c, "Not found", <p class="problem">No broadcast {id}.</p>, 404);
    const r = await c.get("api")("POST", `/v1/broadcasts/${id}/${action}`);
    const stop = refused(c, r, `Broadcast ${id}`);
    if (stop) return stop;
    if (!r.ok) return render(c, "Not possible", <p class="problem" role="alert">{r.detail}</p>, 409);
    const words = { launch: "Launched.", pause: "Paused: messages wait before the gateway.", resume: "Resumed.", cancel: "Cancelled: nothing more goes out." }[action];
    return done(c, `/console/broadcasts/${id}`, words);
  });
}
