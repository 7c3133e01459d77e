/**
 * Broadcasts: build, dry run with counts by reason, launch, progress, pause and cancel. Reads
 * `/v1/broadcasts` (step 12); until that API answers, the page says so.
 */
import { Hono } from "hono";
import type { ConsoleEnv } from "./api";
import { Badge } from "./layout";
import { refused, render } from "./page";

/** Broadcasts pages. */
export const broadcastsPage = new Hono<ConsoleEnv>();

broadcastsPage.get("/", async (c) => {
  const r = await c.get("api")("GET", "/v1/broadcasts");
  if (r.status === 404) return render(c, "Broadcasts", <p class="mute">Stage broadcasts arrive with step 12 of the plan; this page lists them once the API has them.</p>);
  const stop = refused(c, r);
  if (stop) return stop;
  const list: any[] = Array.isArray(r.body) ? r.body : (r.body.broadcasts ?? []);
  return render(
    c,
    "Broadcasts",
    <table>
      <thead>
        <tr>
          <th>Broadcast</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {list.map((b) => (
          <tr>
            <td>{b.name ?? b.id}</td>
            <td>
              <Badge value={b.status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>,
  );
});
