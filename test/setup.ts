import { type D1Migration, applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { setClock } from "../src/clock";

const testEnv = env as unknown as { TEST_MIGRATIONS: D1Migration[]; TEST_CLOCK: string };

// Setup files run before each test file; applying migrations is idempotent.
await applyD1Migrations(env.DB, testEnv.TEST_MIGRATIONS);

// Quiet hours make outcomes depend on the time of day: every test file starts at the same instant,
// by default Tuesday 2026-11-24 18:00 UTC (10:00 in San Francisco, where test phone numbers live).
// TIDINGS_TEST_CLOCK (vitest.config.mts) moves it to another date, to show no test depends on the date.
setClock(Date.parse(testEnv.TEST_CLOCK));
