/**
 * A flow's (or broadcast's) variant tests: each variant's numbers, its difference to the best with
 * 95% intervals, the verdict in words, and "Make this the only variant" (a new flow version through
 * `POST /v1/flows/{key}/variants/only`). Read from `GET /v1/reports/variants/{flow}`.
 */
import { Hono } from "hono";
import type { VariantRow } from "../reports/variants";
import type { ConsoleEnv } from "./api";
import { Csrf, can } from "./layout";
import { SAFE_KEY, done, formBody, refused, render } from "./page";

/** Variant-test pages, mounted at /console/variants. */
export const variantsPage = new Hono<ConsoleEnv>();

const pct = (x: number | null | undefined) => (x == null ? "–" : `${(Math.round(x * 1000) / 10).toString()}%`);
const interval = (e: { value: number; low: number; high: number } | null | undefined, scale = 100, unit = " pts") =>
  e ? `${(e.value * scale).toFixed(1)}${unit} (${(e.low * scale).toFixed(1)} to ${(e.high * scale).toFixed(1)})` : "–";

/** One step's variant table. */
export const VariantTable = (p: { flow: string; step: { step: string; variants: VariantRow[]; verdict: string }; csrf: string; canWrite: boolean }) => {
  const currencies = [...new Set(p.step.variants.flatMap((v) => Object.keys(v.revenuePerRecipient)))];
  return (
    <div class="card">
      <h2>Step {p.step.step}</h2>
      <p role="status">{p.step.verdict}</p>
      <table>
        <thead>
          <tr>
            <th>Variant</th><th>Template</th><th class="num">Weight</th><th class="num">Sent</th><th class="num">Clicks</th><th class="num">Replies</th>
            <th class="num">Opt-outs</th><th class="num">Conversions</th><th class="num">Conversion rate</th><th>vs best (95%)</th>
            {currencies.map((c) => <th>Revenue per recipient ({c}) vs best</th>)}
            {p.canWrite ? <th></th> : null}
          </tr>
        </thead>
        <tbody>
          {p.step.variants.map((v) => (
            <tr>
              <td>{v.label}{v.best ? " (best)" : ""}</td><td>{v.template}</td><td class="num">{v.weight}</td><td class="num">{v.sent}</td>
              <td class="num">{v.clicks}</td><td class="num">{v.replies}</td><td class="num">{v.optOuts}</td><td class="num">{v.conversions}</td>
              <td class="num">{pct(v.conversionRate)}</td><td>{v.best ? "–" : interval(v.vsBest?.conversionRate)}</td>
              {currencies.map((c) => <td>{(v.revenuePerRecipient[c] ?? 0).toFixed(2)} {v.best ? "" : interval(v.vsBest?.revenuePerRecipient[c], 1, "")}</td>)}
              {p.canWrite ? (
                <td>
                  <form method="post" action={`/console/variants/${p.flow}/only`} class="inline">
                    <Csrf token={p.csrf} />
                    <input type="hidden" name="step" value={p.step.step} />
                    <input type="hidden" name="template" value={v.template} />
                    <button type="submit" class="secondary">Make this the only variant</button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

variantsPage.get("/:flow", async (c) => {
  const flow = c.req.param("flow");
  if (!SAFE_KEY.test(flow)) return render(c, "Not found", <p class="problem">No such flow.</p>, 404);
  const r = await c.get("api")("GET", `/v1/reports/variants/${flow}`);
  const stop = refused(c, r, "The flow");
  if (stop) return stop;
  const steps = r.body.steps as Array<{ step: string; variants: VariantRow[]; verdict: string }>;
  return render(
    c,
    `Variant tests · ${flow}`,
    <>
      <p>
        Last 30 days ({r.body.from} to {r.body.to}), from the rollups. Differences are to the best variant, with their 95% interval.{" "}
        <a href={`/console/flows/${flow}`}>Back to the flow</a>
      </p>
      {steps.length ? steps.map((s) => <VariantTable flow={flow} step={s} csrf={c.get("csrf")} canWrite={can(c.get("role"), "flows:write")} />) : <p>This flow has no send step with variants.</p>}
    </>,
  );
});

variantsPage.post("/:flow/only", async (c) => {
  const flow = c.req.param("flow");
  if (!SAFE_KEY.test(flow)) return render(c, "Not found", <p class="problem">No such flow.</p>, 404);
  const f = await formBody(c);
  const r = await c.get("api")("POST", `/v1/flows/${flow}/variants/only`, { step: f.step ?? "", template: f.template ?? "" });
  const stop = refused(c, r, "The flow");
  if (stop) return stop;
  if (!r.ok) return render(c, "Not saved", <p class="problem" role="alert">{r.errors.map((e) => `${e.field}: ${e.message}`).join("; ") || r.detail}</p>, 400);
  return done(c, `/console/variants/${flow}`, `Saved version ${r.body.version}: ${f.step} now sends ${f.template} only.`);
});
