/**
 * A flow's nested steps compiled to a flat program, so a run's position is one number (`pc`) and
 * every step has a stable label ("steps.2.on_timeout.0") for reports of runs waiting at each step.
 */
import type { Where } from "../conditions";
import { parseDuration, parseSignedDuration } from "../duration";
import type { Step } from "./schema";

/** One instruction of a compiled flow. */
export type Instr =
  | { op: "wait"; ms: number; label: string }
  | { op: "wait_for"; event: string; where?: Where; timeoutMs: number; onEvent: number; onTimeout: number; label: string }
  | {
      op: "wait_until";
      time?: string;
      date?: string;
      offsetMs: number;
      updatedBy: string[];
      cancelledBy: string[];
      onCancel: number;
      label: string;
    }
  | { op: "branch"; cases: Array<{ when?: Where; event?: { name: string; where?: Where }; to: number }>; otherwise: number; label: string }
  | { op: "send"; template: string; variants?: Array<{ template: string; weight: number }>; purpose?: string; job?: string; expiresIn?: number; label: string }
  | { op: "set_stage"; stage: string; label: string }
  | { op: "route"; intent: string; label: string }
  | { op: "exit"; label: string }
  | { op: "jump"; to: number; label: string }
  | { op: "end"; label: string };

/** Compile steps to a program ending in `end`. Pure; same steps give the same program. */
export function compile(steps: Step[]): Instr[] {
  const out: Instr[] = [];
  const emit = (list: Step[], path: string) => {
    list.forEach((step, i) => {
      const label = `${path}.${i}`;
      if ("wait" in step) out.push({ op: "wait", ms: parseDuration(step.wait)!, label });
      else if ("send" in step) {
        const { template, variants, purpose, job, expires_in } = step.send;
        out.push({ op: "send", template, ...(variants ? { variants } : {}), purpose, job, expiresIn: expires_in ? parseDuration(expires_in) : undefined, label });
      } else if ("set_stage" in step) out.push({ op: "set_stage", stage: step.set_stage, label });
      else if ("exit" in step) out.push({ op: "exit", label });
      else if ("route" in step) out.push({ op: "route", intent: step.route.intent, label });
      else if ("wait_for" in step) {
        const instr = { op: "wait_for" as const, ...step.wait_for, timeoutMs: parseDuration(step.wait_for.timeout)!, onEvent: 0, onTimeout: 0, label };
        out.push(instr);
        instr.onEvent = out.length;
        emit(step.on_event ?? [], `${label}.on_event`);
        const skipTimeout = { op: "jump" as const, to: 0, label: `${label}.end` };
        out.push(skipTimeout);
        instr.onTimeout = out.length;
        emit(step.on_timeout ?? [], `${label}.on_timeout`);
        skipTimeout.to = out.length;
      } else if ("wait_until" in step) {
        const w = step.wait_until;
        const instr = {
          op: "wait_until" as const, time: w.time, date: w.date, offsetMs: w.offset ? parseSignedDuration(w.offset)! : 0,
          updatedBy: w.updated_by, cancelledBy: w.cancelled_by, onCancel: 0, label,
        };
        out.push(instr);
        // Waking continues at the next instruction, which jumps over the cancel branch.
        const skipCancel = { op: "jump" as const, to: 0, label: `${label}.end` };
        out.push(skipCancel);
        instr.onCancel = out.length;
        emit(step.on_cancel ?? [], `${label}.on_cancel`);
        skipCancel.to = out.length;
      } else if ("branch" in step) {
        const instr = { op: "branch" as const, cases: [] as Array<{ when?: Where; event?: { name: string; where?: Where }; to: number }>, otherwise: 0, label };
        out.push(instr);
        const jumps: Array<{ to: number }> = [];
        step.branch.forEach((c, ci) => {
          instr.cases.push({ when: c.when, event: c.event, to: out.length });
          emit(c.steps, `${label}.branch.${ci}`);
          const j = { op: "jump" as const, to: 0, label: `${label}.end` };
          out.push(j), jumps.push(j);
        });
        instr.otherwise = out.length;
        emit(step.otherwise ?? [], `${label}.otherwise`);
        for (const j of jumps) j.to = out.length;
      }
    });
  };
  emit(steps, "steps");
  out.push({ op: "end", label: "end" });
  return out;
}
