// Every route declares a permission; a key's role grants a set of them.
import { describe, expect, it } from "vitest";
import { app } from "../src/index";
import { ROLES } from "../src/http/auth";
import { INGEST, api } from "./helpers";

describe("auth", () => {
  it("answers 401 without a key or with an unknown key", async () => {
    const r = await api("GET", "/v1/flows", undefined, { key: "" });
    expect([r.status, r.type]).toEqual([401, "application/problem+json"]);
    expect((await api("GET", "/v1/flows", undefined, { key: "tid_wrong" })).status).toBe(401);
  });

  it("lets the ingest key send events but not read or configure", async () => {
    expect((await api("POST", "/v1/track", { userId: "u-auth", event: "Ping" }, { key: INGEST })).status).toBe(200);
    const r = await api("GET", "/v1/contacts/user:u-auth", undefined, { key: INGEST });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/ingest role lacks the read permission/);
    expect((await api("PUT", "/v1/settings/brand", { name: "X" }, { key: INGEST })).status).toBe(403);
  });

  it("declares a permission on every /v1 route of the OpenAPI document", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const ops = Object.entries(doc.paths!).flatMap(([p, ops]) => Object.entries(ops as object).map(([m, op]) => ({ p, m, op })));
    expect(ops.length).toBeGreaterThan(10);
    for (const { p, m, op } of ops) {
      expect(op["x-permission"], `${m} ${p}`).toBeTypeOf("string");
      expect(op.security, `${m} ${p}`).toEqual([{ bearer: [] }]);
    }
  });

  it("gives each role exactly the documented permissions", () => {
    expect(ROLES.analyst).toEqual(["read"]);
    expect(ROLES.ingest).toEqual(["events:write"]);
    expect(ROLES.editor).not.toContain("messages:send");
    expect(ROLES.sender).toContain("messages:send");
    expect(ROLES.owner).toContain("keys:manage");
  });

  it("serves the OpenAPI document and a docs page without a key", async () => {
    const doc = await api("GET", "/openapi.json", undefined, { key: "" });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/v1/track", "/v1/flows/{key}", "/v1/messages"]));
    const page = await api("GET", "/docs", undefined, { key: "" });
    expect(page.body).toContain("/v1/identify");
  });
});
