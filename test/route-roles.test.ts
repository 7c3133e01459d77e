// Every route of the OpenAPI document × every role: 403 exactly when the role lacks the route's permission.
import { describe, expect, it } from "vitest";
import { app } from "../src/index";
import { type Permission, ROLES, type Role } from "../src/http/auth";
import { api } from "./helpers";

describe("route × role", () => {
  it("answers 403 exactly when the key's role lacks the route's x-permission", async () => {
    const keys = {} as Record<Role, string>;
    for (const role of Object.keys(ROLES) as Role[]) {
      const r = await api("POST", "/v1/keys", { name: `walk ${role}`, role, ...(role === "browser" ? { origins: ["https://shop.example"] } : {}) });
      expect(r.status).toBe(201);
      keys[role] = r.body.key;
    }
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const ops = Object.entries(doc.paths!).flatMap(([p, ops]) =>
      Object.entries(ops as Record<string, { "x-permission"?: Permission }>).map(([m, op]) => ({ p, m, permission: op["x-permission"] })),
    ).filter((o) => o.permission);
    expect(ops.length).toBeGreaterThan(40);
    const checked: string[] = [];
    for (const { p, m, permission } of ops) {
      // Placeholder ids and an empty body: the answer may be 400 or 404, never a change.
      const path = p.replace(/\{[^}]+\}/g, "zz-walk");
      for (const role of Object.keys(ROLES) as Role[]) {
        const r = await api(m.toUpperCase(), path, m === "get" ? undefined : {}, { key: keys[role] });
        const allowed = (ROLES[role] as readonly Permission[]).includes(permission!);
        expect(r.status === 403, `${role} ${m.toUpperCase()} ${p} → ${r.status}`).toBe(!allowed);
        expect(r.status, `${role} ${m} ${p}`).not.toBe(401);
        expect(r.status, `${role} ${m} ${p}`).toBeLessThan(500);
      }
      checked.push(`${m} ${p}`);
    }
    expect(checked).toEqual(expect.arrayContaining(["post /v1/keys", "get /v1/audit", "get /v1/governance/report", "delete /v1/contacts/{id}", "get /v1/contacts/{id}/export"]));
  });
});
