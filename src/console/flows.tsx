/**
 * Flows: the list with status and key metrics, a flow's steps with the runs waiting at each,
 * conversions and holdout lift (from the flow report when it exists), enable/disable, and JSON
 * editing with the API's validation errors shown next to the editor.
 */
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { Step, Trigger } from "../flows/schema";
import type { FieldError } from "../http/problem";
import type { Lift } from "../reports/lift";
import type { FlowRow } from "../reports/report";
import { type FlowAnswer, typed } from "./api-types";
import type { ConsoleContext, ConsoleEnv } from "./api";
import { FlowDrawing } from "./flow-builder/drawing";
import { Badge, Csrf, FieldErrors, Problem, can } from "./layout";
import { SAFE_KEY, done, formBody, parseJson, refused, render } from "./page";

/** Flows pages. */
export const flowsPage = new Hono<ConsoleEnv>();

const UNITS: Array<[RegExp, string]> = [[/(\d+(?:\.\d+)?)W/, "week"], [/(\d+(?:\.\d+)?)D/, "day"], [/T.*?(\d+(?:\.\d+)?)H/, "hour"], [/T.*?(\d+(?:\.\d+)?)M/, "minute"], [/T.*?(\d+(?:\.\d+)?)S/, "second"]];

/** An ISO 8601 duration in words: "PT1H30M" → "1 hour 30 minutes" (as given when it does not parse). */
export function durationInWords(d: unknown): string {
  if (typeof d !== "string" || !/^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(d)) return String(d);
  const parts = UNITS.map(([re, unit]) => {
    const m = re.exec(d);
    return m ? `${m[1]} ${unit}${m[1] === "1" ? "" : "s"}` : "";
  }).filter(Boolean);
  return parts.join(" ") || d;
}

/** A step in words. */
export function describeStep(input: unknown): string {
  if (!input || typeof input !== "object") return String(input);
  const step = input as Step;
  if ("wait" in step) return `wait ${durationInWords(step.wait)}`;
  if ("send" in step) return `send template ${step.send.template}${step.send.purpose ? ` (${step.send.purpose})` : ""}`;
  if ("wait_for" in step) return `wait up to ${durationInWords(step.wait_for.timeout)} for ${step.wait_for.event}`;
  if ("wait_until" in step) {
    const w = step.wait_until;
    return `wait until ${[w.date, w.offset, w.time].filter(Boolean).join(" ")} local time`;
  }
  if ("branch" in step) return `branch on ${Array.isArray(step.branch) ? step.branch.length : 0} case(s)`;
  if ("set_stage" in step) return `move the contact to ${step.set_stage}`;
  if ("route" in step) return `create a task for the owner (${step.route.intent})`;
  if ("exit" in step) return "exit";
  return Object.keys(input).join(", ");
}

const NESTED = ["on_event", "on_timeout", "on_cancel", "otherwise"] as const;

/** The steps as a nested list, each with the runs waiting at it (labels as the runner names them). */
const Steps: FC<{ steps: readonly Step[]; path: string; waiting: Record<string, number> }> = ({ steps, path, waiting }) => (
  <ol class="steps">
    {steps.map((s, i) => {
      const label = `${path}.${i}`;
      const n = waiting[label] ?? 0;
      const cases = "branch" in s && Array.isArray(s.branch) ? s.branch : [];
      const nested = s as Partial<Record<(typeof NESTED)[number], Step[]>>;
      return (
        <li data-step={label}>
          {describeStep(s)}{" "}
          {n ? (
            <span class="badge pending" title="runs waiting here">
              {n} waiting
            </span>
          ) : null}
          {NESTED.filter((k) => nested[k]?.length).map((k) => (
            <div>
              <span class="mute">{k.replace("_", " ")}:</span>
              <Steps steps={nested[k] ?? []} path={`${label}.${k}`} waiting={waiting} />
            </div>
          ))}
          {cases.map((cs, ci) => (
            <div>
              <span class="mute">case {ci + 1}:</span>
              <Steps steps={cs.steps ?? []} path={`${label}.branch.${ci}`} waiting={waiting} />
            </div>
          ))}
        </li>
      );
    })}
  </ol>
);

/** The flow report's rows by flow key (`GET /v1/reports/flows`, last 30 days); empty when it is unavailable. */
async function flowReport(c: ConsoleContext): Promise<Map<string, FlowRow>> {
  const r = await typed(c.get("api"))("GET /v1/reports/flows", {});
  const rows = r.ok ? (r.body.flows ?? []) : [];
  return new Map(rows.map((row) => [row.flow, row]));
}

const total = (w: Record<string, number> = {}) => Object.values(w).reduce((a, b) => a + b, 0);
const num = (x: unknown) => (typeof x === "number" ? x.toLocaleString("en-US", { maximumFractionDigits: 2 }) : "—");
const pct = (x: unknown) => (typeof x === "number" ? `${(x * 100).toFixed(1)}%` : "—");
/** Revenue per currency, e.g. "USD 128.00". */
const money = (r: unknown) =>
  r && typeof r === "object" && Object.keys(r).length
    ? Object.entries(r as Record<string, number>)
        .map(([cur, v]) => `${cur} ${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`)
        .join(" + ")
    : "—";
/** Lift in words: the sent cohort's conversion rate over the control's. */
const liftText = (l: Lift | null | undefined) =>
  !l ? "—" : l.conversionRateDiff ? `${l.conversionRateDiff.value >= 0 ? "+" : ""}${(l.conversionRateDiff.value * 100).toFixed(1)} pts` : "not enough data";

/** A flow's results: its messages, conversions, revenue and the holdout comparison. */
const Results: FC<{ m: FlowRow }> = ({ m }) => (
  <>
    <table>
      <tbody>
        {[
          ["Contacts entered", num(m.entered)],
          ["Held out (control group)", num(m.heldOut)],
          ["Messages sent", num(m.sent)],
          ["Delivered", `${num(m.delivered)}${typeof m.deliveryRate === "number" ? ` (${pct(m.deliveryRate)})` : ""}`],
          ["Clicks", num(m.clicks)],
          ["Replies", num(m.replies)],
          ["Opt-outs", num(m.optOuts)],
          ["Conversions (attributed)", num(m.conversions)],
          ["Revenue (attributed)", money(m.revenue)],
          ["Reached the goal", num(m.goals)],
        ].map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td class="num">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <h3>Holdout lift</h3>
    {m.lift ? (
      <p>
        Messaged contacts converted at {pct(m.lift.sent.conversionRate)} ({m.lift.sent.conversions} of {m.lift.sent.entrants}); the control group at{" "}
        {pct(m.lift.control.conversionRate)} ({m.lift.control.conversions} of {m.lift.control.entrants}).{" "}
        {m.lift.conversionRateDiff ? (
          <>
            Lift: <strong>{liftText(m.lift)}</strong> (95% interval {(m.lift.conversionRateDiff.low * 100).toFixed(1)} to {(m.lift.conversionRateDiff.high * 100).toFixed(1)} pts)
            {m.lift.incrementalConversions ? `, about ${num(m.lift.incrementalConversions.value)} conversions the messages added` : ""}.
          </>
        ) : (
          "Not enough contacts yet to estimate the lift."
        )}
      </p>
    ) : (
      <p class="mute">{m.holdout ? "No entrants in the period yet." : "This flow has no holdout group (set \"holdout\" in its JSON to measure lift)."}</p>
    )}
  </>
);

flowsPage.get("/", async (c) => {
  const [r, report] = await Promise.all([typed(c.get("api"))("GET /v1/flows", {}), flowReport(c)]);
  const stop = refused(c, r);
  if (stop) return stop;
  const flows = r.body.flows ?? [];
  return render(
    c,
    "Flows",
    <>
      <table>
        <thead>
          <tr>
            <th>Flow</th>
            <th>Status</th>
            <th>Job</th>
            <th>Trigger</th>
            <th class="num">Runs waiting</th>
            <th class="num">Sent</th>
            <th class="num">Conversions</th>
            <th class="num">Revenue</th>
            <th class="num">Lift</th>
          </tr>
        </thead>
        <tbody>
          {flows.map((f) => {
            const m = report.get(f.key);
            // A broadcast runs as a flow of its own; its page is the broadcast's.
            const href = f.status === "broadcast" && f.key.startsWith("broadcast-") ? `/console/broadcasts/${f.key.slice(10)}` : `/console/flows/${f.key}`;
            return (
              <tr>
                <td>
                  <a href={href}>{f.name ?? f.key}</a>
                  <div class="mute mono">{f.key}</div>
                </td>
                <td>
                  <Badge value={f.status} />
                </td>
                <td>{f.job}</td>
                <td>{triggerText(f.trigger)}</td>
                <td class="num">{total(f.waiting)}</td>
                <td class="num">{num(m?.sent)}</td>
                <td class="num">{num(m?.conversions)}</td>
                <td class="num">{money(m?.revenue)}</td>
                <td class="num">{liftText(m?.lift)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {flows.length ? null : <p class="mute">No flows yet.</p>}
      <p class="mute">Sent, conversions, revenue and lift: the last 30 days (lift compares messaged contacts with the flow's holdout group).</p>
      {can(c.get("role"), "flows:write") ? (
        <form method="get" action="/console/flows/new" class="card">
          <label for="new-key">New flow key</label>
          <input id="new-key" name="key" placeholder="welcome-series" />
          <div class="actions">
            <button type="submit">Create</button>
          </div>
        </form>
      ) : null}
    </>,
  );
});

const EXAMPLE: FlowAnswer = {
  key: "", version: 0, name: "", status: "draft", job: "conversion", trigger: { event: "Checkout Started" }, reentry: "always", on_cap: "defer", holdout: 0,
  steps: [{ wait: "PT1H" }, { send: { template: "cart-reminder" } }], waiting: {},
};

/** A trigger in words: its event, or the absence it waits for. */
function triggerText(t: Trigger | undefined): string {
  if (!t) return "—";
  return "event" in t ? t.event : `no ${t.absence.event} for ${t.absence.for}`;
}

function editable(flow: Partial<FlowAnswer>): Record<string, unknown> {
  const { key: _k, version: _v, waiting: _w, ...body } = flow;
  return body;
}

async function flowPage(c: ConsoleContext, key: string, opts: { json?: string; errors?: FieldError[]; detail?: string; status?: 200 | 400 } = {}) {
  const api = c.get("api");
  const [r, report, steps] = await Promise.all([typed(api)("GET /v1/flows/{key}", { key }), flowReport(c), typed(api)("GET /v1/flows/{key}/steps", { key })]);
  const isNew = r.status === 404;
  if (!isNew) {
    const stop = refused(c, r, `Flow ${key}`);
    if (stop) return stop;
  }
  const flow = isNew ? { ...EXAMPLE, name: key } : r.body;
  const canWrite = can(c.get("role"), "flows:write");
  const m = report.get(key);
  const errors = opts.errors ?? [];
  const json = opts.json ?? JSON.stringify(editable(flow), null, 2);
  const messages = errors.map((e) => `${e.field}: ${e.message}`);
  return render(
    c,
    isNew ? `New flow ${key}` : (flow.name ?? key),
    <>
      {!isNew ? (
        <div class="grid">
          <div class="card">
            <h2>Status</h2>
            <p>
              <Badge value={flow.status} /> version {flow.version} · job {flow.job} · trigger{" "}
              <strong>{triggerText(flow.trigger)}</strong>
              {flow.goal ? (
                <>
                  {" "}
                  · goal <strong>{flow.goal.event}</strong>
                </>
              ) : null}
            </p>
            {canWrite ? (
              <form method="post" action={`/console/flows/${key}/status`} class="actions">
                <Csrf token={c.get("csrf")} />
                {flow.status === "active" ? (
                  <button type="submit" name="status" value="paused" class="danger">
                    Disable (pause)
                  </button>
                ) : (
                  <button type="submit" name="status" value="active">
                    Enable
                  </button>
                )}
              </form>
            ) : null}
          </div>
          <div class="card">
            <h2>Results</h2>
            <p class="mute">Last 30 days.</p>
            {m ? (
              <Results m={m} />
            ) : (
              <p class="mute">No sends or conversions in the last 30 days.</p>
            )}
          </div>
        </div>
      ) : null}
      <p class="actions">
        <a href={`/console/flows/${key}/build`} id="open-builder">
          {canWrite ? (isNew ? "Build this flow" : "Edit in the builder") : "Open the builder (read only)"}
        </a>
      </p>
      {!isNew ? (
        <>
          <h2>The flow, step by step</h2>
          <p class="mute">{total(flow.waiting)} run(s) in progress.</p>
          <FlowDrawing flow={flow} results={steps.ok ? steps.body.steps : {}} />
          <details>
            <summary>The steps as a list</summary>
            <Steps steps={flow.steps ?? []} path="steps" waiting={flow.waiting ?? {}} />
          </details>
        </>
      ) : null}
      {canWrite ? (
        <form method="post" action={`/console/flows/${key}`} class="card">
          <Csrf token={c.get("csrf")} />
          <h2>Advanced: edit as JSON</h2>
          <Problem detail={errors.length ? undefined : opts.detail} />
          <label for="f-flow">
            Flow <span class="hint">saving makes a new version; running runs keep theirs</span>
          </label>
          <textarea id="f-flow" name="flow" rows={18} aria-invalid={messages.length ? "true" : undefined} aria-describedby={messages.length ? "f-flow-error" : undefined}>
            {json}
          </textarea>
          <FieldErrors id="f-flow" messages={messages} />
          <div class="actions">
            <button type="submit">Save</button>
          </div>
        </form>
      ) : (
        <details>
          <summary>The flow as JSON</summary>
          <pre class="mono">{json}</pre>
        </details>
      )}
    </>,
    opts.status ?? 200,
  );
}

flowsPage.get("/new", (c) => {
  const key = c.req.query("key") ?? "";
  if (!SAFE_KEY.test(key)) return render(c, "New flow", <p class="problem">A flow key is lower-case letters, digits, - and _. <a href="/console/flows">Back</a></p>, 400);
  return c.redirect(`/console/flows/${key}/build`, 303);
});

flowsPage.get("/:key", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No flow {key}.</p>, 404);
  return flowPage(c, key);
});

flowsPage.post("/:key", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No flow {key}.</p>, 404);
  const f = await formBody(c);
  const parsed = parseJson(f.flow, "(body)");
  if (parsed.error || parsed.value === undefined) {
    return flowPage(c, key, { json: f.flow, errors: [parsed.error ?? { field: "(body)", message: "the flow is empty" }], status: 400 });
  }
  const r = await c.get("api")("PUT", `/v1/flows/${key}`, parsed.value);
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return flowPage(c, key, { json: f.flow, errors: r.errors, detail: r.detail, status: 400 });
  return done(c, `/console/flows/${key}`, r.body.changed ? `Saved version ${r.body.version}.` : "Nothing changed.");
});

flowsPage.post("/:key/status", async (c) => {
  const key = c.req.param("key");
  const f = await formBody(c);
  const status = f.status === "active" ? "active" : "paused";
  const cur = await typed(c.get("api"))("GET /v1/flows/{key}", { key: SAFE_KEY.test(key) ? key : "-" });
  const stop = refused(c, cur, `Flow ${key}`);
  if (stop) return stop;
  const r = await c.get("api")("PUT", `/v1/flows/${key}`, { ...editable(cur.body), status });
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return flowPage(c, key, { errors: r.errors, detail: r.detail, status: 400 });
  return done(c, `/console/flows/${key}`, status === "active" ? "Enabled." : "Paused: no new runs start.");
});

