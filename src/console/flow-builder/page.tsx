/**
 * The flow builder at /console/flows/:key/build: a flow as cards, edited without JSON. Structural
 * edits (add, move, delete) are form round trips; saving is `PUT /v1/flows/:key` with the signed-in
 * key, so the version, the validation and the role check are the API's own. The API's field errors
 * come back to the card and field they name. A small script refreshes a send card's preview.
 */
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { FieldError } from "../../http/problem";
import { EVENT_NAMES } from "../../settings/vocabulary";
import type { ConsoleContext, ConsoleEnv } from "../api";
import { Csrf, Problem, can } from "../layout";
import { SAFE_KEY, done, formBody, refused, render, stagesOfSetting } from "../page";
import { Highlighted } from "../templates";
import { typed } from "../api-types";
import { type Choices, settingsCard, stepList, triggerCard } from "./cards";
import { type Draft, applyEdit, draftOf, emptyDraft, readDraft } from "./draft";
import { ErrorSink } from "./fields";
import { type Walk, runTry, tryCard } from "./try";

/** Builder pages, mounted under /console/flows. */
export const builderPage = new Hono<ConsoleEnv>();

const CSS = `
.bcard h2{margin-top:0}.row{display:flex;gap:.8rem;flex-wrap:wrap;align-items:flex-start}.row .fld{flex:1 1 12rem}
.dur{display:flex;gap:.3rem}.dur input{max-width:6rem}.dur select{width:auto}
.conds{border:1px dashed var(--line);border-radius:4px;margin:.5rem 0;padding:.3rem .6rem}.conds legend{font-weight:600;font-size:.9em}
.cond{display:flex;gap:.3rem;margin:.2rem 0}.cond select{width:auto}
.step{border-left:4px solid var(--accent)}.step.send{border-left-color:var(--ok)}.step.branch,.step.wait_for{border-left-color:var(--warn)}.step.exit{border-left-color:var(--bad)}
.step .head{display:flex;justify-content:space-between;align-items:center}.tools button{padding:.1rem .5rem;margin-left:.2rem}
.steplist ol{padding-left:1.2rem}.branches{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:.6rem}
.case,.branches>.steplist{background:#fafbfc;border:1px solid var(--line);border-radius:4px;padding:.4rem .6rem}
.add{display:flex;gap:.3rem;align-items:center;margin:.3rem 0}.add select{width:auto;min-width:0;flex:0 1 auto}.add button{white-space:nowrap}
.pv .sms{margin:.4rem 0}
`;

// A send card's preview follows its template picker (the page works without it: save or "Refresh").
const SCRIPT = `
document.addEventListener("change", async (e) => {
  const sel = e.target;
  if (!(sel instanceof HTMLSelectElement) || !sel.dataset.preview) return;
  const box = document.querySelector('[data-preview-for="' + sel.name + '"]');
  if (!box) return;
  const res = await fetch(location.pathname + "/preview?template=" + encodeURIComponent(sel.value));
  if (res.ok) box.innerHTML = await res.text();
});`;

/** Sample property values for a preview: links look like links. */
function samples(names: unknown): Record<string, string> {
  const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [];
  return Object.fromEntries(list.map((n) => [n, /(url|link)$/i.test(n) ? `https://shop.example/${n.replace(/_?(url|link)$/i, "") || "x"}/1` : "1001"]));
}

/** A template's text for a sample contact, with encoding, segments and cost (the API's preview). */
async function preview(c: ConsoleContext, template: string): Promise<Child> {
  if (!template || !SAFE_KEY.test(template)) return <p class="mute">Pick a template to see it.</p>;
  const api = c.get("api");
  const t = await typed(api)("GET /v1/templates/{key}", { key: template });
  if (!t.ok) return <p class="error">No template {template}.</p>;
  const r = await typed(api)("POST /v1/templates/preview", {}, { template, traits: { firstName: "Ada" }, properties: samples(t.body.properties) });
  if (!r.ok) return <p class="error">{r.detail}</p>;
  const p = r.body;
  const cost = (p.costs ?? [])[0];
  return (
    <>
      <p class="sms" data-testid="step-preview">
        <Highlighted text={p.text} items={[]} />
      </p>
      <p class="mute">
        <span data-encoding={p.encoding}>{p.encoding}</span> · <span data-segments={String(p.segments)}>{p.segments} segment{p.segments === 1 ? "" : "s"}</span>
        {cost ? ` · ${cost.total} ${cost.currency} (${cost.provider})` : " · no price table"} · status {t.body.status}
      </p>
    </>
  );
}

function sendTemplates(steps: unknown, out = new Set<string>()): Set<string> {
  if (!Array.isArray(steps)) return out;
  for (const s of steps) {
    if (!s || typeof s !== "object") continue;
    if (s.send?.template) out.add(s.send.template);
    for (const k of ["on_event", "on_timeout", "on_cancel", "otherwise"]) sendTemplates(s[k], out);
    if (Array.isArray(s.branch)) for (const cs of s.branch) sendTemplates(cs?.steps, out);
  }
  return out;
}

/** Paths of the send steps that send a template, and of the places a stage is named. */
function placesOf(d: Draft) {
  const sends: Array<[string, string]> = [];
  const stages: Array<[string, string]> = [];
  if (d.trigger?.stage) stages.push(["trigger.stage", d.trigger.stage]);
  const walk = (steps: unknown, path: string) => {
    if (!Array.isArray(steps)) return;
    steps.forEach((s, i) => {
      const p = `${path}.${i}`;
      if (!s || typeof s !== "object") return;
      if (s.send?.template) sends.push([`${p}.send.template`, s.send.template]);
      if (typeof s.set_stage === "string") stages.push([`${p}.set_stage`, s.set_stage]);
      for (const k of ["on_event", "on_timeout", "on_cancel", "otherwise"]) walk(s[k], `${p}.${k}`);
      if (Array.isArray(s.branch)) s.branch.forEach((cs: any, ci: number) => walk(cs?.steps, `${p}.branch.${ci}.steps`));
    });
  };
  walk(d.steps, "steps");
  return { sends, stages };
}

/**
 * The API names a missing template or unknown stage on `steps` (it checks the flow as a whole);
 * the builder moves each such error to the fields that name that template or stage.
 */
export function placeErrors(errors: readonly FieldError[], d: Draft): FieldError[] {
  const { sends, stages } = placesOf(d);
  return errors.flatMap((e) => {
    const tpl = e.field === "steps" ? /^template (\S+) (does not exist|is \w+)/.exec(e.message) : null;
    const stage = e.field === "steps" ? /^stage (\S+) is not one of/.exec(e.message) : null;
    const to = tpl ? sends.filter(([, t]) => t === tpl[1]) : stage ? stages.filter(([, s]) => s === stage[1]) : [];
    return to.length ? to.map(([field]) => ({ field, message: e.message })) : [e];
  });
}

async function choices(c: ConsoleContext, d: Draft): Promise<Choices> {
  const api = c.get("api");
  const call = typed(api);
  const [t, s, e] = await Promise.all([call("GET /v1/templates", {}), call("GET /v1/settings/stages", {}), call("GET /v1/flow-events", {})]);
  // The vocabulary, the events flows use and those the reports hold (the API's list); the vocabulary alone when it fails.
  const events = new Set<string>(e.ok ? e.body.events.map((x) => x.name) : EVENT_NAMES);
  const templates = [...sendTemplates(d.steps)];
  const previews = new Map<string, Child>(await Promise.all(templates.map(async (k) => [k, await preview(c, k)] as [string, Child])));
  return {
    templates: t.ok ? (t.body.templates ?? []).filter((x) => x.status !== "retired").map((x) => x.key) : [],
    stages: s.ok ? stagesOfSetting(s.body.value) : [],
    events: [...events].sort(),
    previews,
    canWrite: can(c.get("role"), "flows:write"),
  };
}

/** The builder page for a draft, with the API's errors at their fields. */
async function builder(c: ConsoleContext, key: string, d: Draft, o: { isNew: boolean; version?: number; errors?: FieldError[]; detail?: string; status?: 200 | 400; form?: Record<string, string>; walk?: Walk }) {
  const ch = await choices(c, d);
  const sink = new ErrorSink(placeErrors(o.errors ?? [], d));
  const trigger = triggerCard(sink, d, ch);
  const settings = settingsCard(sink, d);
  const steps = stepList(sink, Array.isArray(d.steps) ? d.steps : [], "steps", ch);
  const tryIt = tryCard(sink, o.form ?? {}, o.walk);
  const rest = sink.rest();
  const title = o.isNew ? `New flow ${key}` : `Build ${d.name || key}`;
  const props = ["stage", "traits.", "trigger.properties.", "properties.value", "properties.currency"];
  return render(
    c,
    title,
    <>
      <p>
        <a href={`/console/flows/${key}`}>← the flow{o.isNew ? "s" : ""}</a>
        {o.version ? <span class="mute"> · editing version {o.version}; saving makes a new version, running runs keep theirs</span> : null}
      </p>
      {!ch.canWrite ? <p class="problem">Your role can read flows, not change them.</p> : null}
      <form method="post" action={`/console/flows/${key}/build`} id="builder" novalidate>
        <Csrf token={c.get("csrf")} />
        {rest.length || (o.detail && !(o.errors ?? []).length) ? (
          <div id="builder-errors">
            <Problem detail={o.detail} errors={rest} />
          </div>
        ) : null}
        {(o.errors ?? []).length ? (
          <p class="problem" role="alert" id="builder-summary">
            {o.form?.action === "simulate" ? "Not simulated" : "Not saved"}: {(o.errors ?? []).length} problem{(o.errors ?? []).length === 1 ? "" : "s"}, shown at the fields below.
          </p>
        ) : null}
        {trigger}
        {settings}
        <section class="card bcard" data-card="steps">
          <h2>Steps</h2>
          {steps}
        </section>
        {tryIt}
        {ch.canWrite ? (
          <div class="actions">
            <button type="submit" name="action" value="save">
              Save as a new version
            </button>
            <button type="submit" class="secondary" name="action" value="refresh">
              Refresh previews
            </button>
          </div>
        ) : null}
        <datalist id="dl-events">
          {ch.events.map((e) => (
            <option value={e} />
          ))}
        </datalist>
        <datalist id="dl-props">
          {props.map((e) => (
            <option value={e} />
          ))}
        </datalist>
      </form>
      <details id="advanced">
        <summary>Advanced: the flow as JSON</summary>
        <pre class="mono">{JSON.stringify(d, null, 2)}</pre>
        <p>
          <a href={`/console/flows/${key}#f-flow`}>Edit the JSON</a> (the same API, the same versions).
        </p>
      </details>
    </>,
    o.status ?? 200,
    <>
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      <script nonce={c.get("nonce")} dangerouslySetInnerHTML={{ __html: SCRIPT }} />
    </>,
  );
}

builderPage.get("/:key/build", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No flow {key}.</p>, 404);
  const r = await c.get("api")("GET", `/v1/flows/${key}`);
  if (r.status !== 404) {
    const stop = refused(c, r, `Flow ${key}`);
    if (stop) return stop;
  }
  if (r.status === 404) return builder(c, key, emptyDraft(key), { isNew: true });
  return builder(c, key, draftOf(r.body), { isNew: false, version: r.body.version });
});

builderPage.get("/:key/build/preview", async (c) => c.html(<>{await preview(c, c.req.query("template") ?? "")}</>));

builderPage.post("/:key/build", async (c) => {
  const key = c.req.param("key");
  if (!SAFE_KEY.test(key)) return render(c, "Not found", <p class="problem">No flow {key}.</p>, 404);
  const f = await formBody(c);
  const d = readDraft(f);
  const action = f.action ?? "save";
  if (action === "simulate") {
    const t = await runTry(c.get("api"), key, f, d);
    return builder(c, key, d, { isNew: false, form: f, walk: t.walk, errors: t.errors, detail: t.detail, status: t.walk ? 200 : 400 });
  }
  if (action !== "save") {
    const ch = { template: undefined as string | undefined, stage: undefined as string | undefined };
    applyEdit(d, action, f, ch);
    return builder(c, key, d, { isNew: false, form: f });
  }
  const r = await c.get("api")("PUT", `/v1/flows/${key}`, d);
  if (r.status === 401 || r.status === 403) return refused(c, r)!;
  if (!r.ok) return builder(c, key, d, { isNew: false, errors: r.errors, detail: r.detail, status: 400, form: f });
  return done(c, `/console/flows/${key}`, r.body.changed ? `Saved version ${r.body.version}.` : "Nothing changed.");
});
