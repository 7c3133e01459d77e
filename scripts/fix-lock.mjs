// Run after `npm install` on this workplace: its registry mirror has no darwin/windows builds of
// workerd, so npm leaves them out of package-lock.json and `npm ci` then refuses the lock file.
// This adds their entries back (optional, other OS: never fetched on Linux), as the public registry would.
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const linux = lock.packages["node_modules/@cloudflare/workerd-linux-64"];
for (const [name, os, cpu] of [["darwin-64", "darwin", "x64"], ["darwin-arm64", "darwin", "arm64"], ["windows-64", "win32", "x64"]]) {
  lock.packages[`node_modules/@cloudflare/workerd-${name}`] ??= {
    version: linux.version, cpu: [cpu], dev: true, license: linux.license, optional: true, os: [os], engines: linux.engines,
  };
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
