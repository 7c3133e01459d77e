/**
 * Contacts: search by user id, phone or internal id, a list by stage, and a contact's page: stage and
 * history, consent ledger with provenance, pending timers, runs, and the timeline with every gate
 * decision in plain words ("deferred: quiet hours in Florida until 08:00").
 */
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { now } from "../clock";
import { candidateZones } from "../time/phone-zones";
import type { ConsoleEnv } from "./api";
import { explainDecision } from "./explain";
import { Badge, Csrf, Field, Select, When, can } from "./layout";
import { done, formBody, refused, render, stagesOfSetting } from "./page";

/** Contacts pages. */
export const contactsPage = new Hono<ConsoleEnv>();

/** What a person typed into the search box, as an API reference. */
export function contactRef(q: string): string | undefined {
  const s = q.trim();
  if (!s || s.length > 300) return undefined;
  if (/^c_[0-9a-z]{20}$/.test(s) || /^(user|anon|phone|shopify):./.test(s)) return s;
  const digits = s.replace(/[\s().-]/g, "");
  if (/^\+?\d{7,15}$/.test(digits)) return `phone:${digits.startsWith("+") ? digits : `+${digits}`}`;
  return `user:${s}`;
}

const href = (ref: string) => `/console/contacts/${encodeURIComponent(ref)}`;

contactsPage.get("/", async (c) => {
  const q = c.req.query("q") ?? "";
  const stage = c.req.query("stage") ?? "";
  const after = c.req.query("after") ?? "";
  let notFound = "";
  if (q) {
    const ref = contactRef(q);
    if (ref) {
      const r = await c.get("api")("GET", `/v1/contacts/${encodeURIComponent(ref)}`);
      if (r.status === 401 || r.status === 403) return refused(c, r)!;
      if (r.ok) return c.redirect(href(ref), 303);
    }
    notFound = `No contact for “${q}”.`;
  }
  const qs = new URLSearchParams({ limit: "50", ...(stage ? { stage } : {}), ...(after ? { after } : {}) });
  const [list, settings] = await Promise.all([c.get("api")("GET", `/v1/contacts?${qs}`), c.get("api")("GET", "/v1/settings/stages")]);
  const stop = refused(c, list);
  if (stop) return stop;
  const stages: string[] = settings.ok ? stagesOfSetting(settings.body.value) : [];
  return render(
    c,
    "Contacts",
    <>
      <form method="get" action="/console/contacts" role="search" class="card">
        <label for="q">Find a contact</label>
        <input id="q" name="q" value={q} placeholder="user id, phone number (+1 415 …) or c_…" />
        <div class="actions">
          <button type="submit">Search</button>
        </div>
        {notFound ? (
          <p class="problem" role="alert">
            {notFound}
          </p>
        ) : null}
      </form>
      <p>
        Stage: <a href="/console/contacts">all</a>
        {stages.map((s) => (
          <>
            {" · "}
            <a href={`/console/contacts?stage=${s}`} aria-current={s === stage ? "true" : undefined}>
              {s}
            </a>
          </>
        ))}
      </p>
      <table>
        <thead>
          <tr>
            <th>Contact</th>
            <th>Stage</th>
            <th>Phone</th>
            <th>Consent</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {(list.body.contacts ?? []).map((r: any) => (
            <tr>
              <td>
                <a href={href(r.id)}>{nameOf(r.traits) ?? r.id}</a>
                <div class="mute mono">{r.id}</div>
              </td>
              <td>{r.stage}</td>
              <td class="mono">{r.phone ?? "—"}</td>
              <td>
                {Object.entries(r.consent ?? {}).map(([p, s]) => (
                  <>
                    {p} <Badge value={String(s)} />{" "}
                  </>
                ))}
              </td>
              <td>
                <When at={r.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.body.next ? <a href={`/console/contacts?${new URLSearchParams({ ...(stage ? { stage } : {}), after: list.body.next })}`}>Next page →</a> : null}
    </>,
  );
});

function nameOf(traits: any): string | undefined {
  if (!traits || typeof traits !== "object") return undefined;
  const n = [traits.firstName, traits.lastName].filter((x) => typeof x === "string").join(" ");
  return n || (typeof traits.name === "string" ? traits.name : undefined);
}

/** One timeline entry in words. */
const TimelineEntry: FC<{ item: any; zone: string; now: number }> = ({ item: i, zone, now }) => {
  switch (i.kind) {
    case "decision":
      return (
        <span>
          <Badge value={i.outcome} /> <span class="explain" data-decision={i.reason}>{explainDecision(i, { timeZone: zone, now })}</span>
          {i.flow ? <span class="mute"> · flow {i.flow}</span> : null} <span class="mute mono">{i.reason}</span>
        </span>
      );
    case "message":
      return (
        <span>
          Message <strong>{i.template}</strong> <Badge value={i.status} />
          {i.segments ? ` · ${i.segments} segment${i.segments === 1 ? "" : "s"}` : ""}
          {i.body ? <div class="sms">{i.body}</div> : null}
          {i.consent ? <div class="mute">relied on: {consentBasis(i.consent)}</div> : null}
        </span>
      );
    case "event":
      return (
        <span>
          Event <strong>{i.event ?? i.type}</strong>{" "}
          {i.properties && Object.keys(i.properties).length ? <span class="mute mono">{JSON.stringify(i.properties).slice(0, 160)}</span> : null}
        </span>
      );
    case "stage":
      return (
        <span>
          Stage {i.from ? `${i.from} → ` : ""}
          <strong>{i.to}</strong> <span class="mute">({i.reason})</span>
        </span>
      );
    case "consent":
      return (
        <span>
          Consent {i.purpose}: {i.action} → <Badge value={i.stop ? "stopped" : i.state} /> <span class="mute">via {i.source}</span>
          {i.text ? <span class="mute"> · “{i.text}”</span> : null}
          {i.applied === false ? <span class="mute"> · not applied ({i.reason})</span> : null}
        </span>
      );
    default:
      return <span class="mono">{JSON.stringify(i)}</span>;
  }
};

function consentBasis(c: any): string {
  if (c === "implied" || c?.state === "implied") return "implied consent (transactional)";
  if (typeof c !== "object" || !c) return String(c);
  return `${c.purpose ?? ""} ${c.state ?? ""} via ${c.source ?? "?"}${c.at ? ` on ${String(c.at).slice(0, 10)}` : ""}${c.text ? ` (“${c.text}”)` : ""}`;
}

contactsPage.get("/:ref", async (c) => {
  const ref = c.req.param("ref");
  const enc = encodeURIComponent(ref);
  const before = c.req.query("before");
  const api = c.get("api");
  const [view, timeline, brand] = await Promise.all([
    api("GET", `/v1/contacts/${enc}`),
    api("GET", `/v1/contacts/${enc}/timeline?limit=50${before ? `&before=${encodeURIComponent(before)}` : ""}`),
    api("GET", "/v1/settings/brand"),
  ]);
  const stop = refused(c, view, `Contact ${ref}`);
  if (stop) return stop;
  if (!view.ok) return render(c, "Not found", <p class="problem">No contact for {ref}: {view.detail}.</p>, 404);
  const v = view.body;
  const zone: string = v.timezone ?? (v.phone ? candidateZones(v.phone)[0] : undefined) ?? brand.body?.value?.defaultTimeZone ?? "UTC";
  const nowMs = now();
  const items: any[] = timeline.ok ? timeline.body.items : [];
  const stages = await api("GET", "/v1/settings/stages");
  const stageList: string[] = stages.ok ? stagesOfSetting(stages.body.value) : [];
  const canWrite = can(c.get("role"), "contacts:write");
  return render(
    c,
    nameOf(v.traits) ?? v.id,
    <>
      <div class="grid">
        <div class="card">
          <h2>Profile</h2>
          <table>
            <tbody>
              <tr>
                <th scope="row">Id</th>
                <td class="mono">{v.id}</td>
              </tr>
              <tr>
                <th scope="row">Stage</th>
                <td>
                  <strong data-testid="stage">{v.stage}</strong>
                </td>
              </tr>
              <tr>
                <th scope="row">Phone</th>
                <td class="mono">
                  {v.phone ?? "—"} {v.suppressed ? <Badge value="suppressed" /> : null}
                </td>
              </tr>
              <tr>
                <th scope="row">Time zone</th>
                <td>
                  {zone} {v.timezone ? null : <span class="mute">(from the phone number or the brand)</span>}
                </td>
              </tr>
              <tr>
                <th scope="row">Flags</th>
                <td>{v.flags.length ? v.flags.map((f: any) => <Badge value={f.name} />) : "none"}</td>
              </tr>
              <tr>
                <th scope="row">Traits</th>
                <td class="mono">{JSON.stringify(v.traits)}</td>
              </tr>
            </tbody>
          </table>
          {canWrite ? (
            <form method="post" action={`/console/contacts/${enc}/stage`}>
              <Csrf token={c.get("csrf")} />
              <Select name="stage" label="Move to stage" value={v.stage ?? ""} options={stageList} />
              <Field name="reason" label="Reason" value="console" />
              <div class="actions">
                <button type="submit">Move</button>
              </div>
            </form>
          ) : null}
        </div>
        <div class="card">
          <h2>Stage history</h2>
          <ol>
            {v.stageHistory.map((h: any) => (
              <li>
                {h.from ? `${h.from} → ` : ""}
                <strong>{h.to}</strong> <span class="mute">({h.reason})</span> <When at={h.at} />
              </li>
            ))}
          </ol>
          <h2>Pending timers</h2>
          {v.timers.length ? (
            <table>
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>For</th>
                  <th>Due</th>
                </tr>
              </thead>
              <tbody>
                {v.timers.map((t: any) => (
                  <tr>
                    <td>{timerKind(t.kind)}</td>
                    <td class="mono">{t.ref}</td>
                    <td>
                      <When at={t.dueAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="mute">None.</p>
          )}
          <h2>Flow runs</h2>
          {v.runs.length ? (
            <ul>
              {v.runs.map((r: any) => (
                <li>
                  <a href={`/console/flows/${r.flow}`}>{r.flow}</a> v{r.version} <Badge value={r.status} /> <span class="mute">since</span> <When at={r.startedAt} />
                </li>
              ))}
            </ul>
          ) : (
            <p class="mute">None.</p>
          )}
        </div>
      </div>
      <h2>Consent</h2>
      <p>
        {Object.entries(v.consent ?? {}).map(([p, s]: [string, any]) => (
          <>
            {p} <Badge value={typeof s === "string" ? s : s?.state} />{" "}
          </>
        ))}
      </p>
      <table>
        <caption class="mute">The ledger, oldest first: every grant, confirmation and revocation with where it came from</caption>
        <thead>
          <tr>
            <th>When</th>
            <th>Purpose</th>
            <th>Action</th>
            <th>State</th>
            <th>Source</th>
            <th>Number</th>
            <th>What they agreed to / proof</th>
          </tr>
        </thead>
        <tbody>
          {v.consentHistory.map((e: any) => (
            <tr>
              <td>
                <When at={e.at} />
              </td>
              <td>{e.purpose}</td>
              <td>{e.action}</td>
              <td>
                <Badge value={e.stop ? "stopped" : e.state} />
                {e.applied === false ? <div class="mute">not applied ({e.reason})</div> : null}
              </td>
              <td>{e.source}</td>
              <td class="mono">{e.phone ?? "—"}</td>
              <td>
                {e.text ? `“${e.text}”` : <span class="mute">no text recorded</span>}
                {e.proof ? <div class="mute mono">{JSON.stringify(e.proof)}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Timeline</h2>
      <p class="mute">Newest first. Times are UTC; decisions give local times in {zone}.</p>
      <table id="timeline">
        <thead>
          <tr>
            <th>When</th>
            <th>What happened</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr data-kind={i.kind}>
              <td>
                <When at={i.at} />
              </td>
              <td>
                <TimelineEntry item={i} zone={zone} now={nowMs} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {timeline.ok && timeline.body.next ? <a href={`${href(ref)}?before=${encodeURIComponent(timeline.body.next)}`}>Older →</a> : null}
    </>,
  );
});

function timerKind(kind: string): string {
  return ({ run: "flow step", send: "deferred send", absence: "absence trigger", dormant: "inactivity (dormant)", sla: "task SLA" } as Record<string, string>)[kind] ?? kind;
}

contactsPage.post("/:ref/stage", async (c) => {
  const ref = c.req.param("ref");
  const f = await formBody(c);
  const r = await c.get("api")("PUT", `/v1/contacts/${encodeURIComponent(ref)}/stage`, { stage: f.stage ?? "", reason: (f.reason || "console").slice(0, 200) });
  const stop = refused(c, r, `Contact ${ref}`);
  if (stop) return stop;
  if (!r.ok) return render(c, "Stage not changed", <p class="problem" role="alert">{r.errors.map((e) => `${e.field}: ${e.message}`).join("; ") || r.detail}</p>, 400);
  return done(c, href(ref), r.body.changed ? `Moved to ${r.body.stage}.` : `Already in ${r.body.stage}.`);
});
