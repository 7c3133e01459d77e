/**
 * The builder's cards: the trigger, the flow's settings (goal, re-entry, holdout, cap) and one card
 * per step, nested inside branches and waits. Every card is drawn by a plain function call, so the
 * error sink hands out errors in drawing order.
 */
import type { Child } from "hono/jsx";
import { JOBS } from "../../settings/vocabulary";
import { type Draft, STEP_KINDS } from "./draft";
import { type ErrorSink, conditions, duration, errorLine, input, select } from "./fields";

/** What the cards offer to pick from. */
export interface Choices {
  templates: string[];
  stages: readonly string[];
  events: string[];
  /** Rendered previews by template key (the send card shows its template's). */
  previews: Map<string, Child>;
  canWrite: boolean;
}

const KIND_WORDS: Record<string, string> = Object.fromEntries(STEP_KINDS);

/** The kind of a step object. */
export function kindOf(step: unknown): string {
  if (!step || typeof step !== "object") return "exit";
  return STEP_KINDS.map(([k]) => k).find((k) => k in step) ?? "exit";
}

/** The trigger card: an event (with conditions, stage, occurrences) or the absence of one. */
export function triggerCard(sink: ErrorSink, d: Draft, ch: Choices) {
  const t = d.trigger ?? {};
  const absence = "absence" in t;
  const top = sink.take("trigger", true);
  return (
    <section class="card bcard" data-card="trigger">
      <h2>Trigger</h2>
      {errorLine("trigger", top)}
      {select(sink, "trigger.kind", "Start a run", absence ? "absence" : "event", [
        ["event", "when an event arrives"],
        ["absence", "when an event has NOT arrived for a while"],
      ])}
      {absence ? (
        <>
          {input(sink, "trigger.absence.event", "Event", t.absence?.event, { list: "dl-events" })}
          {duration(sink, "trigger.absence.for", "For", t.absence?.for)}
        </>
      ) : (
        <>
          {input(sink, "trigger.event", "Event", t.event, { list: "dl-events", hint: "from the vocabulary and the events reports hold" })}
          {conditions(sink, "trigger.where", "Event conditions", t.where, { list: "dl-props", hint: "properties.value gte 20" })}
          <div class="row">
            {input(sink, "trigger.occurrences.count", "Only on the n-th time", t.occurrences?.count, { type: "number", hint: "blank: every time" })}
            {duration(sink, "trigger.occurrences.within", "within", t.occurrences?.within)}
          </div>
        </>
      )}
      {select(sink, "trigger.stage", "Only while in stage", t.stage ?? "", [["", "any stage"], ...ch.stages.map((s) => [s, s] as const)])}
    </section>
  );
}

/** The settings card: name, status, job, goal, re-entry, holdout, the flow's own cap. */
export function settingsCard(sink: ErrorSink, d: Draft) {
  const reentry = d.reentry ?? "always";
  const kind = reentry === "always" || reentry === "never" ? reentry : "gap";
  return (
    <section class="card bcard" data-card="settings">
      <h2>Flow</h2>
      <div class="row">
        {input(sink, "name", "Name", d.name)}
        {select(sink, "status", "Status", d.status ?? "draft", ["draft", "active", "paused"])}
        {select(sink, "job", "Job", d.job ?? "conversion", JOBS)}
        {input(sink, "purpose", "Consent purpose", d.purpose, { hint: "blank: each template's" })}
      </div>
      <div class="row">
        {input(sink, "goal.event", "Goal event", d.goal?.event, { list: "dl-events", hint: "a run that reaches it converts" })}
        {conditions(sink, "goal.where", "Goal conditions", d.goal?.where, { list: "dl-props" })}
      </div>
      <div class="row">
        {select(sink, "reentry.kind", "Re-entry", kind, [
          ["always", "again after the previous run ended"],
          ["never", "once per contact"],
          ["gap", "again after at least…"],
        ], { errorField: "reentry.kind" })}
        {duration(sink, "reentry", "Minimum gap", kind === "gap" ? reentry : undefined, { hint: "with “again after at least…”" })}
        {input(sink, "holdout", "Holdout %", d.holdout === undefined ? "" : typeof d.holdout === "number" ? Math.round(d.holdout * 1000) / 10 : d.holdout, { hint: "0–50: a control group that is not sent to", errorField: "holdout" })}
      </div>
      <div class="row">
        {input(sink, "cap.max", "Flow cap: at most", d.cap?.max, { type: "number", hint: "messages; blank: no cap of its own" })}
        {duration(sink, "cap.window", "per", d.cap?.window)}
        {select(sink, "on_cap", "When a cap blocks", d.on_cap ?? "defer", [
          ["defer", "wait until it frees"],
          ["skip", "skip the message"],
        ])}
      </div>
    </section>
  );
}

/** A list of steps with its "add a step" control. */
export function stepList(sink: ErrorSink, steps: unknown[], path: string, ch: Choices, label?: string): Child {
  return (
    <div class="steplist" data-list={path}>
      {label ? <h3 class="mute">{label}</h3> : null}
      {steps.length ? <ol>{steps.map((s, i) => <li>{stepCard(sink, s, `${path}.${i}`, ch, i, steps.length)}</li>)}</ol> : <p class="mute">No steps.</p>}
      {errorLine(path, sink.take(path, true))}
      {ch.canWrite ? (
        <div class="add">
          <select name={`add.${path}.kind`} aria-label={`Step to add to ${path}`}>
            {STEP_KINDS.map(([k, words]) => (
              <option value={k}>{words}</option>
            ))}
          </select>
          <select name={`add.${path}.at`} aria-label={`Position in ${path}`}>
            {Array.from({ length: steps.length + 1 }, (_, i) => (
              <option value={String(i)} selected={i === steps.length}>
                {i === steps.length ? "at the end" : `before step ${i + 1}`}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary" name="action" value={`add:${path}`}>
            Add step
          </button>
        </div>
      ) : null}
    </div>
  );
}

function tools(path: string, i: number, n: number, ch: Choices) {
  if (!ch.canWrite) return null;
  return (
    <span class="tools">
      <button type="submit" class="secondary" name="action" value={`up:${path}`} disabled={i === 0} title="Move up" aria-label={`Move ${path} up`}>
        ↑
      </button>
      <button type="submit" class="secondary" name="action" value={`down:${path}`} disabled={i === n - 1} title="Move down" aria-label={`Move ${path} down`}>
        ↓
      </button>
      <button type="submit" class="danger" name="action" value={`delete:${path}`} aria-label={`Delete ${path}`}>
        Delete
      </button>
    </span>
  );
}

/** One step's card: its fields by kind, and the steps it holds. */
export function stepCard(sink: ErrorSink, step: any, p: string, ch: Choices, i: number, n: number): Child {
  const kind = kindOf(step);
  const top = sink.take(p, true);
  let body: Child;
  switch (kind) {
    case "wait":
      body = duration(sink, `${p}.wait`, "Wait", step.wait);
      break;
    case "wait_until": {
      const w = step.wait_until ?? {};
      body = (
        <>
          <div class="row">
            {input(sink, `${p}.wait_until.time`, "Local time", w.time, { placeholder: "10:00", hint: "HH:mm in the contact's zone" })}
            {input(sink, `${p}.wait_until.date`, "Date from", w.date, { list: "dl-dates", placeholder: "traits.appointment_at", hint: "blank: the next such time" })}
            {duration(sink, `${p}.wait_until.offset`, "Moved by", w.offset, { signed: true })}
          </div>
          <div class="row">
            {input(sink, `${p}.wait_until.updated_by`, "Events that move the date", (w.updated_by ?? []).join(", "), { hint: "comma-separated" })}
            {input(sink, `${p}.wait_until.cancelled_by`, "Events that cancel", (w.cancelled_by ?? []).join(", "))}
          </div>
          {stepList(sink, step.on_cancel ?? [], `${p}.on_cancel`, ch, "If cancelled")}
        </>
      );
      break;
    }
    case "wait_for": {
      const w = step.wait_for ?? {};
      body = (
        <>
          <div class="row">
            {input(sink, `${p}.wait_for.event`, "Event", w.event, { list: "dl-events" })}
            {duration(sink, `${p}.wait_for.timeout`, "Give up after", w.timeout)}
          </div>
          {conditions(sink, `${p}.wait_for.where`, "Event conditions", w.where, { list: "dl-props" })}
          <div class="branches">
            {stepList(sink, step.on_event ?? [], `${p}.on_event`, ch, "If it arrives")}
            {stepList(sink, step.on_timeout ?? [], `${p}.on_timeout`, ch, "If it does not (timeout)")}
          </div>
        </>
      );
      break;
    }
    case "branch": {
      const cases: any[] = Array.isArray(step.branch) ? step.branch : [];
      body = (
        <>
          <div class="branches">
            {cases.map((c, ci) => {
              const cp = `${p}.branch.${ci}`;
              return (
                <div class="case" data-case={cp}>
                  <input type="hidden" name={`${cp}.case`} value="1" />
                  <h3>
                    Case {ci + 1}{" "}
                    {ch.canWrite && cases.length > 1 ? (
                      <button type="submit" class="danger" name="action" value={`delcase:${cp}`}>
                        Remove case
                      </button>
                    ) : null}
                  </h3>
                  {errorLine(cp, sink.take(cp, true))}
                  {conditions(sink, `${cp}.when`, "When the contact", c.when, { list: "dl-props", hint: "traits.*, stage, trigger.properties.*" })}
                  {input(sink, `${cp}.event.name`, "and this event arrived during the run", c.event?.name, { list: "dl-events", hint: "optional" })}
                  {conditions(sink, `${cp}.event.where`, "with", c.event?.where, { list: "dl-props" })}
                  {stepList(sink, c.steps ?? [], `${cp}.steps`, ch, "Then")}
                </div>
              );
            })}
            {stepList(sink, step.otherwise ?? [], `${p}.otherwise`, ch, "Otherwise")}
          </div>
          {ch.canWrite ? (
            <button type="submit" class="secondary" name="action" value={`addcase:${p}`}>
              Add a case
            </button>
          ) : null}
        </>
      );
      break;
    }
    case "send": {
      const s = step.send ?? {};
      body = (
        <>
          <div class="row">
            {select(sink, `${p}.send.template`, "Template", s.template ?? "", [["", "choose a template"], ...ch.templates.map((t) => [t, t] as const)], { data: { "data-preview": "1" } })}
            {input(sink, `${p}.send.purpose`, "Purpose", s.purpose, { hint: "blank: the template's" })}
            {select(sink, `${p}.send.job`, "Job", s.job ?? "", [["", "the template's"], ...JOBS.map((j) => [j, j] as const)])}
            {duration(sink, `${p}.send.expires_in`, "Expires after", s.expires_in, { hint: "blank: the job's default" })}
          </div>
          <div class="pv" data-preview-for={`${p}.send.template`}>
            {ch.previews.get(s.template ?? "") ?? <p class="mute">Pick a template to see it.</p>}
          </div>
        </>
      );
      break;
    }
    case "route":
      body = input(sink, `${p}.route.intent`, "Task intent", step.route?.intent, { hint: "snake_case, e.g. pricing_interest" });
      break;
    case "set_stage":
      body = select(sink, `${p}.set_stage`, "Move the contact to", step.set_stage ?? "", [["", "choose a stage"], ...ch.stages.map((s) => [s, s] as const)]);
      break;
    default:
      body = <p class="mute">The run ends here.</p>;
  }
  return (
    <div class={`card step ${kind}`} data-step={p} data-kind={kind}>
      <input type="hidden" name={`${p}.type`} value={kind} />
      <div class="head">
        <strong>
          {i + 1}. {KIND_WORDS[kind]}
        </strong>
        {tools(p, i, n, ch)}
      </div>
      {errorLine(p, top)}
      {body}
    </div>
  );
}
