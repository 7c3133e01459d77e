/** Governance: the report for a period (default the last 30 days), and the stored monthly reports. */
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { ConsoleEnv } from "./api";
import { reasonInWords } from "./explain";
import { Badge, When } from "./layout";
import { refused, render } from "./page";

/** Governance page. */
export const governancePage = new Hono<ConsoleEnv>();

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

const Rates: FC<{ title: string; rows: any[]; link: string }> = ({ title, rows, link }) => (
  <>
    <h2>{title}</h2>
    <table>
      <thead>
        <tr>
          <th>Key</th>
          <th class="num">Sent</th>
          <th class="num">Opt-outs</th>
          <th class="num">Opt-out rate</th>
          <th class="num">Reviews</th>
          <th class="num">Review rate</th>
          <th>Flagged</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>
              <a href={`${link}/${r.key}`}>{r.key}</a>
            </td>
            <td class="num">{r.sent}</td>
            <td class="num">{r.optOuts}</td>
            <td class="num">{pct(r.optOutRate)}</td>
            <td class="num">{r.reviews}</td>
            <td class="num">{pct(r.reviewRate)}</td>
            <td>{r.flagged.length ? <Badge value="failed" /> : null} {r.flagged.join(", ") || "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {rows.length ? null : <p class="mute">Nothing sent in the period.</p>}
  </>
);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

governancePage.get("/", async (c) => {
  const from = c.req.query("from");
  const to = c.req.query("to");
  const id = c.req.query("report");
  const qs = new URLSearchParams({ ...(from && DATE.test(from) ? { from: `${from}T00:00:00Z` } : {}), ...(to && DATE.test(to) ? { to: `${to}T00:00:00Z` } : {}) });
  const api = c.get("api");
  const [r, stored] = await Promise.all([
    id && /^[A-Za-z0-9_:-]{1,80}$/.test(id) ? api("GET", `/v1/governance/reports/${id}`) : api("GET", `/v1/governance/report${qs.size ? `?${qs}` : ""}`),
    api("GET", "/v1/governance/reports"),
  ]);
  const stop = refused(c, r, "The report");
  if (stop) return stop;
  if (!r.ok) return render(c, "Governance", <p class="problem">{r.errors.map((e) => `${e.field}: ${e.message}`).join("; ") || r.detail}</p>, 400);
  const g = r.body.report ?? r.body;
  return render(
    c,
    "Governance",
    <>
      <form method="get" action="/console/governance" class="card">
        <p>
          Period <When at={g.from} /> to <When at={g.to} /> (generated <When at={g.generatedAt} />)
        </p>
        <label for="from">From</label>
        <input id="from" name="from" type="date" value={from ?? ""} />
        <label for="to">To</label>
        <input id="to" name="to" type="date" value={to ?? ""} />
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <Rates title="Templates" rows={g.templates} link="/console/templates" />
      <Rates title="Flows" rows={g.flows} link="/console/flows" />
      <h2>Flows with sends and no conversion</h2>
      {g.flowsWithoutConversions.length ? (
        <ul>
          {g.flowsWithoutConversions.map((f: any) => (
            <li>
              <a href={`/console/flows/${f.flow}`}>{f.flow}</a>: {f.sent} sent{f.hasGoal ? "" : " (the flow has no goal)"}
            </li>
          ))}
        </ul>
      ) : (
        <p class="mute">None.</p>
      )}
      <h2>Stale dated offers</h2>
      {g.staleOffers.length ? (
        <ul>
          {g.staleOffers.map((s: any) => (
            <li>
              <a href={`/console/templates/${s.template}`}>{s.template}</a> v{s.version}: unchanged for {s.unchangedDays} days, mentions {s.matches.join(", ")}
            </li>
          ))}
        </ul>
      ) : (
        <p class="mute">None.</p>
      )}
      <h2>What deferred or skipped most</h2>
      <table>
        <thead>
          <tr>
            <th>Outcome</th>
            <th>Reason</th>
            <th>In words</th>
            <th class="num">Count</th>
          </tr>
        </thead>
        <tbody>
          {g.topReasons.map((t: any) => (
            <tr>
              <td>
                <Badge value={t.outcome} />
              </td>
              <td class="mono">{t.reason}</td>
              <td>{reasonInWords(t.reason)}</td>
              <td class="num">{t.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Contacts texted most</h2>
      {g.topContacts.length ? null : <p class="mute">Nobody was texted in the period.</p>}
      <ul>
        {g.topContacts.map((t: any) => (
          <li>
            <a href={`/console/contacts/${t.contactId}`}>{t.contactId}</a>: {t.messages} messages
          </li>
        ))}
      </ul>
      <h2>Consent without provenance</h2>
      <p>
        {g.consentWithoutProvenance.grants} grant(s) recorded with neither text nor proof
        {g.consentWithoutProvenance.bySource.length ? ` (${g.consentWithoutProvenance.bySource.map((s: any) => `${s.source}: ${s.count}`).join(", ")})` : ""};{" "}
        {g.consentWithoutProvenance.messagesRelyingOnIt} message(s) relied on one.
      </p>
      <h2>Retired templates that flows still send</h2>
      {g.retiredTemplatesInFlows.length ? (
        <ul>
          {g.retiredTemplatesInFlows.map((t: any) => (
            <li>
              <a href={`/console/templates/${t.template}`}>{t.template}</a> ({t.status}) in {t.flows.map((f: any) => f.flow).join(", ")}
            </li>
          ))}
        </ul>
      ) : (
        <p class="mute">None.</p>
      )}
      <h2>Stored monthly reports</h2>
      {stored.ok && (stored.body.reports ?? []).length ? (
        <ul>
          {stored.body.reports.map((s: any) => (
            <li>
              <a href={`/console/governance?report=${encodeURIComponent(s.id)}`}>
                <When at={s.from} /> – <When at={s.to} />
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <p class="mute">None yet (the monthly Cron Trigger stores one on the 1st).</p>
      )}
    </>,
  );
});
