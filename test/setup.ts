import { type D1Migration, applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { setClock } from "../src/clock";

// Setup files run before each test file; applying migrations is idempotent.
await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);

// Quiet hours make outcomes depend on the time of day: every test file starts at the same instant,
// Tuesday 2026-11-24 18:00 UTC (10:00 in San Francisco, where test phone numbers live).
setClock(Date.UTC(2026, 10, 24, 18, 0));
