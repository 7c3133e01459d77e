import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // Read migrations in Node; test/setup.ts applies them inside the Workers runtime.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations },
          // Tests wait for queues; production batches for longer (wrangler.toml).
          queueConsumers: { "tidings-records": { maxBatchTimeout: 0 }, "tidings-send": { maxBatchTimeout: 0 } },
        },
      }),
    ],
    test: { setupFiles: ["./test/setup.ts"] },
  };
});
