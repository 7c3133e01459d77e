// A loopback test double for SMS providers, run in Node by the test run itself.
// Every request is recorded (GET /__captured) so tests assert on the fields the real API would see.
// By default a request is forwarded to Prism serving the provider's official OpenAPI, so a request
// the real API would reject fails; POST /__program queues answers Prism cannot give (429, 500,
// a hang past the client's timeout, error codes such as 21610).
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitFor(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not start within ${ms} ms`);
}

/** Start Prism on `spec` and the recording, programmable front on `port`; returns a stop function. `warm`: requests sent to Prism first. */
export async function startProviderMock(port, spec, root, warm = []) {
  const prismPort = await freePort();
  const prism = spawn(path.join(root, "node_modules/.bin/prism"), ["mock", "-h", "127.0.0.1", "-p", String(prismPort), spec], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitFor(`http://127.0.0.1:${prismPort}/`, 60_000);
  // Prism validates an operation's schemas on its first request, which can outlast a test's client
  // timeout on a busy machine: pay that here, straight to Prism, so the recording front sees nothing.
  for (const w of warm) await fetch(`http://127.0.0.1:${prismPort}${w.path}`, w.init).then((r) => r.text()).catch(() => {});

  const captured = [];
  const program = [];
  // A receiver's answer status by path (POST /__hook {path, status}): 200 unless set, so a test can take one down.
  const hooks = new Map();
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, "http://mock");
    if (url.pathname === "/__captured") {
      res.setHeader("content-type", "application/json");
      return res.end(JSON.stringify(captured));
    }
    if (url.pathname === "/__program" && req.method === "POST") {
      program.push(...[].concat(JSON.parse(body)));
      return res.end("ok");
    }
    if (url.pathname === "/__hook" && req.method === "POST") {
      const { path: hook, status } = JSON.parse(body);
      hooks.set(hook, status);
      return res.end("ok");
    }
    if (url.pathname === "/__reset") {
      captured.length = 0;
      program.length = 0;
      hooks.clear();
      return res.end("ok");
    }
    const form = req.headers["content-type"]?.includes("form") ? Object.fromEntries(new URLSearchParams(body)) : undefined;
    const json = req.headers["content-type"]?.includes("json") && body ? JSON.parse(body) : undefined;
    captured.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, form, json, body, at: Date.now() });
    // Paths under /hooks/ stand for a brand's own webhook receivers: recorded and answered 200 (or as set).
    if (url.pathname.startsWith("/hooks/")) {
      const status = hooks.get(url.pathname) ?? 200;
      res.writeHead(status, { "content-type": "application/json" });
      return res.end(status === 200 ? "{}" : JSON.stringify({ error: `receiver answers ${status}` }));
    }
    const next = program.shift();
    if (next) {
      if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
      if (res.destroyed) return;
      res.writeHead(next.status ?? 200, { "content-type": "application/json" });
      return res.end(typeof next.body === "string" ? next.body : JSON.stringify(next.body ?? {}));
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: prismPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${prismPort}` } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    upstream.end(body);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return async () => {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
    prism.kill();
  };
}
