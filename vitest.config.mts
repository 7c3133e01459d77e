import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
// @ts-expect-error: plain JS module
import { freePort } from "./test/mocks/provider-mock.mjs";

export default defineConfig(async () => {
  // Read migrations in Node; test/setup.ts applies them inside the Workers runtime.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // The Twilio mock (Prism + a recording front, test/global-setup.ts) listens on this loopback port.
  process.env.TIDINGS_TWILIO_MOCK_PORT ??= String(await freePort());
  const twilioMock = `http://127.0.0.1:${process.env.TIDINGS_TWILIO_MOCK_PORT}`;
  process.env.TIDINGS_SMSAPI_MOCK_PORT ??= String(await freePort());
  const smsapiMock = `http://127.0.0.1:${process.env.TIDINGS_SMSAPI_MOCK_PORT}`;
  // The instant every test file starts at (test/setup.ts). CI runs the time-sensitive files at a
  // second date too (.ci/run), so no test may depend on the date.
  const testClock = process.env.TIDINGS_TEST_CLOCK || "2026-11-24T18:00:00Z";
  if (Number.isNaN(Date.parse(testClock))) throw new Error(`TIDINGS_TEST_CLOCK is not an ISO 8601 instant: ${testClock}`);
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_CLOCK: testClock,
            TWILIO_API_BASE: twilioMock,
            TWILIO_MOCK: twilioMock,
            TWILIO_ACCOUNT_SID: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            TWILIO_AUTH_TOKEN: "test_twilio_auth_token",
            SMSAPI_API_BASE: smsapiMock,
            SMSAPI_MOCK: smsapiMock,
            SMSAPI_TOKEN: "test_smsapi_token",
            SMSAPI_CALLBACK_SECRET: "test_smsapi_callback_secret",
            // The model-based test's seed, runs and steps (scripts/test-model.mjs); empty: its fixed CI seed.
            MODEL_SEED: process.env.MODEL_SEED ?? "",
            MODEL_RUNS: process.env.MODEL_RUNS ?? "",
            MODEL_STEPS: process.env.MODEL_STEPS ?? "",
            MODEL_SHRINK: process.env.MODEL_SHRINK ?? "",
          },
          // Tests wait for queues; production batches for longer (wrangler.toml).
          queueConsumers: { "tidings-records": { maxBatchTimeout: 0 }, "tidings-send": { maxBatchTimeout: 0 }, "tidings-notify": { maxBatchTimeout: 0 }, "tidings-broadcast": { maxBatchTimeout: 0 }, "tidings-webhooks": { maxBatchTimeout: 0 }, "tidings-webhooks-dlq": { maxBatchTimeout: 0 } },
        },
      }),
    ],
    test: { setupFiles: ["./test/setup.ts"], globalSetup: ["./test/global-setup.ts"] },
  };
});
