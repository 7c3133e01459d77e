// Settings are versioned in D1 and cached with a version check: a change reaches the next event.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, inbox, phone, settleSends, unique } from "./helpers";

describe("settings", () => {
  it("returns defaults before anything is saved, then each save as a new version", async () => {
    const first = await api("GET", "/v1/settings/stages");
    expect(first.body).toEqual({ section: "stages", version: 0, value: { preset: "b2c" } });
    expect((await api("PUT", "/v1/settings/stages", { preset: "b2b" })).body.version).toBe(1);
    expect((await api("PUT", "/v1/settings/stages", { preset: "custom", stages: ["lead", "client"] })).body.version).toBe(2);
    expect((await api("PUT", "/v1/settings/stages", { preset: "custom", stages: ["lead", "client"] })).body.changed).toBe(false);
    const rows = await env.DB.prepare("SELECT version FROM settings WHERE section = 'stages' ORDER BY version").all();
    expect(rows.results).toEqual([{ version: 1 }, { version: 2 }]);
    expect((await api("PUT", "/v1/settings/stages", { preset: "custom" })).body.errors[0].field).toBe("stages");
  });

  it("new contacts start in the first configured stage; unknown stages are refused", async () => {
    await api("PUT", "/v1/settings/stages", { preset: "custom", stages: ["lead", "client"] });
    const user = unique("u");
    await api("POST", "/v1/identify", { userId: user, traits: {} });
    expect((await api("GET", `/v1/contacts/user:${user}`)).body.stage).toBe("lead");
    const r = await api("PUT", `/v1/contacts/user:${user}/stage`, { stage: "dormant" });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe("stage");
  });

  it("renders with the brand as it is at send time", async () => {
    await api("PUT", "/v1/templates/hello", { body: "Hello from {{brand.name}}", job: "transactional", purpose: "transactional" });
    await api("PUT", "/v1/settings/brand", { name: "First Name Co" });
    const a = phone();
    await api("POST", "/v1/messages", { to: a, template: "hello" });
    await settleSends(`phone:${a}`);
    await api("PUT", "/v1/settings/brand", { name: "Renamed Co" });
    const b = phone();
    await api("POST", "/v1/messages", { to: b, template: "hello" });
    await settleSends(`phone:${b}`);
    expect([...(await inbox(a)), ...(await inbox(b))]).toEqual(["Hello from First Name Co", "Hello from Renamed Co"]);
  });
});
