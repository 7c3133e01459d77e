/**
 * "Try it" on the builder: a made-up contact walked through the flow as it stands in the form
 * (saved or not) by `POST /v1/flows/:key/simulate`, each step with the gate's decision in words.
 */
import type { ApiCall } from "../api";
import { explainDecision } from "../explain";
import type { Draft } from "./draft";
import { joinDuration } from "./draft";
import { type ErrorSink, duration, input } from "./fields";

/** A simulation as the API answers it. */
export interface Walk {
  outcome: string;
  endedAt: number;
  steps: Array<{ label: string; at: number; what: string; decision?: { outcome: string; reason: string; until?: number; detail?: string; sendsAt?: number } }>;
}

/** The simulation request from the "Try it" fields. */
export function tryRequest(f: Record<string, string>, d: Draft) {
  const after = joinDuration(f["sim.event.after.n"], f["sim.event.after.unit"]);
  const event = (f["sim.event"] ?? "").trim();
  return {
    flow: d,
    contact: {
      phone: (f["sim.phone"] ?? "").trim(),
      ...(f["sim.timezone"]?.trim() ? { timezone: f["sim.timezone"].trim() } : {}),
      consent: f["sim.consent"] === "on" ? ["marketing"] : [],
      holdout: f["sim.holdout"] === "on",
    },
    events: event ? [{ name: event, after: after ?? "PT0S" }] : [],
  };
}

/** Run the simulation; field errors come back named as the builder names its fields. */
export async function runTry(api: ApiCall, key: string, f: Record<string, string>, d: Draft) {
  const r = await api<Walk>("POST", `/v1/flows/${key}/simulate`, tryRequest(f, d));
  const errors = r.errors.map((e) => ({
    field: e.field.startsWith("flow.") ? e.field.slice(5) : e.field === "contact.phone" ? "sim.phone" : e.field === "contact.timezone" ? "sim.timezone" : e.field.startsWith("events.0") ? "sim.event" : e.field,
    message: e.message,
  }));
  return { walk: r.ok ? r.body : undefined, errors, detail: r.ok ? undefined : r.detail };
}

const when = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");

/** The "Try it" card: the made-up contact, and the walk when there is one. */
export function tryCard(sink: ErrorSink, f: Record<string, string>, walk?: Walk) {
  const zone = f["sim.timezone"]?.trim() || "UTC";
  return (
    <section class="card bcard" id="try" data-card="try">
      <h2>Try it: simulate a contact</h2>
      <p class="mute">Walks a made-up contact through the flow as it stands here (saved or not) with the gate's own checks. Nothing is sent.</p>
      <div class="row">
        {input(sink, "sim.phone", "Phone", f["sim.phone"] ?? "+14155550123")}
        {input(sink, "sim.timezone", "Time zone", f["sim.timezone"] ?? "America/Los_Angeles", { hint: "IANA, e.g. Europe/Warsaw" })}
        <div class="fld">
          <label>
            <input type="checkbox" name="sim.consent" checked={(f["sim.consent"] ?? "on") === "on"} /> has marketing consent
          </label>
          <label>
            <input type="checkbox" name="sim.holdout" checked={f["sim.holdout"] === "on"} /> in the control group
          </label>
        </div>
      </div>
      <div class="row">
        {input(sink, "sim.event", "Then does", f["sim.event"] ?? "", { list: "dl-events", hint: "optional, e.g. Order Completed" })}
        {duration(sink, "sim.event.after", "after", f["sim.event.after.n"] ? joinDuration(f["sim.event.after.n"], f["sim.event.after.unit"]) : "PT3H")}
      </div>
      <input type="hidden" name="sim.shown" value="1" />
      <div class="actions">
        <button type="submit" class="secondary" name="action" value="simulate">
          Simulate
        </button>
      </div>
      {walk ? (
        <>
          <table id="walk">
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>Step</th>
                <th>What happens</th>
                <th>Decision</th>
              </tr>
            </thead>
            <tbody>
              {walk.steps.map((s) => (
                <tr data-step={s.label} data-outcome={s.decision?.outcome}>
                  <td class="mono">{when(s.at)}</td>
                  <td class="mono">{s.label}</td>
                  <td>{s.what}</td>
                  <td>
                    {s.decision ? (
                      <>
                        <span class={`badge ${s.decision.outcome}`}>{s.decision.outcome}</span> <span class="explain">{explainDecision(s.decision, { timeZone: zone, now: s.at })}</span>
                        {s.decision.sendsAt ? <span class="mute"> (then sent at {when(s.decision.sendsAt)})</span> : null}
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="walk-outcome">
            The run <strong>{walk.outcome === "too_long" ? "did not finish in 500 steps" : walk.outcome}</strong> at {when(walk.endedAt)} UTC.
          </p>
        </>
      ) : null}
    </section>
  );
}
