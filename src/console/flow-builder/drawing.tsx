/**
 * A flow drawn as server-rendered SVG, the way a marketer reads it: the trigger, then each step as a
 * box with what happened there (runs waiting, sent, deferred and skipped by reason, converted), and
 * the steps a wait or branch holds side by side below it. Labels are the runner's ("steps.2.branch.0.1").
 */
import type { Child } from "hono/jsx";
import type { StepResult } from "../../flows/step-results";
import { describeStep } from "../flows";

const W = 270;
const H = 84;
const GAP = 22;
const LABEL = 16;

interface Box {
  w: number;
  h: number;
  draw(x: number, y: number): Child[];
}

type Results = Record<string, StepResult | undefined>;

const KIND_COLOUR: Record<string, string> = { send: "#1f8a4c", branch: "#b26b00", wait_for: "#b26b00", exit: "#c0362c" };
const kindOf = (s: any) => ["wait_until", "wait_for", "wait", "branch", "send", "route", "set_stage", "exit"].find((k) => s && typeof s === "object" && k in s) ?? "exit";

const sum = (r: Record<string, number> = {}) => Object.values(r).reduce((a, b) => a + b, 0);
const byReason = (r: Record<string, number> = {}) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");

/** The counts lines of a step box: what happened, then deferrals and skips by reason. */
export function countsOf(r: StepResult | undefined): [string, string, string] {
  if (!r) return ["no runs yet", "", ""];
  const first = [r.waiting ? `${r.waiting} waiting` : "", r.sent ? `${r.sent} sent` : "", r.failed ? `${r.failed} failed` : "", r.converted || r.conversions ? `${Math.max(r.converted, r.conversions)} converted` : ""].filter(Boolean).join(" · ");
  return [first || "nothing yet", sum(r.deferred) ? `deferred: ${byReason(r.deferred)}` : "", sum(r.skipped) ? `skipped: ${byReason(r.skipped)}` : ""];
}

const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function stepBox(step: any, label: string, results: Results): Box {
  const kind = kindOf(step);
  const subs: Array<[string, unknown[], string]> = [];
  if (kind === "wait_for") subs.push(["if it arrives", step.on_event ?? [], `${label}.on_event`], ["timeout", step.on_timeout ?? [], `${label}.on_timeout`]);
  if (kind === "wait_until" && step.on_cancel?.length) subs.push(["if cancelled", step.on_cancel, `${label}.on_cancel`]);
  if (kind === "branch") {
    (Array.isArray(step.branch) ? step.branch : []).forEach((c: any, i: number) => subs.push([`case ${i + 1}`, c?.steps ?? [], `${label}.branch.${i}`]));
    subs.push(["otherwise", step.otherwise ?? [], `${label}.otherwise`]);
  }
  const cols = subs.map(([title, steps, path]) => ({ title, box: listBox(steps, path, results) }));
  const subW = cols.reduce((a, c) => a + c.box.w, 0) + Math.max(0, cols.length - 1) * GAP;
  const subH = cols.length ? GAP + LABEL + Math.max(...cols.map((c) => c.box.h)) : 0;
  const w = Math.max(W, subW);
  const [line1, line2, line3] = countsOf(results[label]);
  return {
    w,
    h: H + subH,
    draw(x, y) {
      const bx = x + (w - W) / 2;
      const out: Child[] = [
        <g data-step={label} data-kind={kind}>
          <title>{[`${label}: ${describeStep(step)}`, line1, line2, line3].filter(Boolean).join("\n")}</title>
          <rect x={bx} y={y} width={W} height={H} rx={6} fill="#fff" stroke={KIND_COLOUR[kind] ?? "#2f5bd3"} stroke-width={2} />
          <text x={bx + 8} y={y + 18} font-weight="600">
            {clip(describeStep(step))}
          </text>
          <text x={bx + 8} y={y + 36} data-counts="1">
            {clip(line1, 46)}
          </text>
          <text x={bx + 8} y={y + 54} class="deferred" fill="#b26b00">
            {clip(line2, 46)}
          </text>
          <text x={bx + 8} y={y + 72} class="skipped" fill="#c0362c">
            {clip(line3, 46)}
          </text>
        </g>,
      ];
      let cx = x + (w - subW) / 2;
      for (const c of cols) {
        const mid = cx + c.box.w / 2;
        out.push(<path d={`M${bx + W / 2},${y + H} L${mid},${y + H + GAP}`} stroke="#b9c0cc" fill="none" />);
        out.push(
          <text x={mid} y={y + H + GAP + 12} text-anchor="middle" fill="#5b6475">
            {c.title}
          </text>,
        );
        out.push(...c.box.draw(cx, y + H + GAP + LABEL));
        cx += c.box.w + GAP;
      }
      return out;
    },
  };
}

function listBox(steps: unknown[], path: string, results: Results): Box {
  if (!steps.length) {
    return {
      w: 110,
      h: 22,
      draw: (x, y) => [
        <text x={x + 55} y={y + 14} text-anchor="middle" fill="#5b6475" font-style="italic">
          continue
        </text>,
      ],
    };
  }
  const boxes = steps.map((s, i) => stepBox(s, `${path}.${i}`, results));
  const w = Math.max(...boxes.map((b) => b.w));
  const h = boxes.reduce((a, b) => a + b.h, 0) + (boxes.length - 1) * GAP;
  return {
    w,
    h,
    draw(x, y) {
      const out: Child[] = [];
      let cy = y;
      boxes.forEach((b, i) => {
        if (i > 0) out.push(<path d={`M${x + w / 2},${cy - GAP} L${x + w / 2},${cy}`} stroke="#b9c0cc" fill="none" marker-end="url(#arrow)" />);
        out.push(...b.draw(x + (w - b.w) / 2, cy));
        cy += b.h + GAP;
      });
      return out;
    },
  };
}

/** The trigger in words. */
function triggerWords(t: any): string {
  if (!t || typeof t !== "object") return "no trigger";
  if (t.absence) return `no ${t.absence.event} for ${t.absence.for}`;
  return `${t.occurrences ? `${t.occurrences.count}× ` : ""}${t.event ?? "?"}${t.where ? " (with conditions)" : ""}${t.stage ? ` in ${t.stage}` : ""}`;
}

/** The flow as an SVG drawing with each step's results. */
export function FlowDrawing(p: { flow: { trigger?: unknown; steps?: unknown; goal?: { event?: string } }; results: Results }) {
  const steps = Array.isArray(p.flow.steps) ? p.flow.steps : [];
  const body = listBox(steps, "steps", p.results);
  const width = Math.max(body.w, W) + 20;
  const height = body.h + H + GAP + 20;
  const tx = 10 + (width - 20 - W) / 2;
  return (
    <figure class="card" id="flow-drawing">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="The flow drawn with each step's results">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#b9c0cc" />
          </marker>
        </defs>
        <g data-step="trigger">
          <rect x={tx} y={10} width={W} height={H - 20} rx={23} fill="#eef1f7" stroke="#2f5bd3" />
          <text x={tx + W / 2} y={10 + 20} text-anchor="middle" font-weight="600">
            {clip(`When: ${triggerWords(p.flow.trigger)}`)}
          </text>
          {p.flow.goal?.event ? (
            <text x={tx + W / 2} y={10 + 36} text-anchor="middle" fill="#5b6475">
              {clip(`goal: ${p.flow.goal.event}`)}
            </text>
          ) : null}
        </g>
        <path d={`M${10 + (width - 20) / 2},${10 + H - 20} L${10 + (width - 20) / 2},${10 + H + GAP - 20}`} stroke="#b9c0cc" fill="none" marker-end="url(#arrow)" />
        {body.draw(10 + (width - 20 - body.w) / 2, 10 + H + GAP - 20)}
      </svg>
      <figcaption class="mute">Each box: runs waiting now; sent, deferred and skipped (by reason) and converted over the last 30 days.</figcaption>
    </figure>
  );
}
