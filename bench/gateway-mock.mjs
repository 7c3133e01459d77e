// A loopback stand-in for Twilio's Messages API, for the capacity and latency benchmarks: it answers
// every send at once (201, status "queued") and records when each request arrived, so latency is
// measured at the network edge. With `receipts`, it then posts a signed "delivered" status callback
// to the StatusCallback URL it was given, as Twilio would (Tidings' settings.gateway.publicBaseUrl
// must be the local server for that). No Prism here: the benchmarks measure Tidings, not a validator.
import { createHmac } from "node:crypto";
import http from "node:http";

/** Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by every parameter, sorted by name, as name+value. */
export function twilioSignature(authToken, url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  return createHmac("sha1", authToken).update(data).digest("base64");
}

/** POST a signed form to a Tidings Twilio webhook; resolves to the HTTP status. */
export async function postSigned(url, params, authToken) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(authToken, url, params) },
    body: new URLSearchParams(params),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Start the mock on a free loopback port. Returns { url, sends, receiptsPending(), close() }; `sends`
 * holds one entry per accepted request: { at (performance.now() ms), to, body, sid, callback }.
 */
export async function startGatewayMock({ authToken, receipts = false } = {}) {
  const sends = [];
  let seq = 0;
  let pending = 0;
  const server = http.createServer(async (req, res) => {
    const at = performance.now();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    if (req.method !== "POST" || !/\/Messages\.json$/.test(req.url)) {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ code: 20404, message: "not found", status: 404 }));
    }
    const sid = `SM${String(++seq).padStart(32, "0")}`;
    const to = form.get("To");
    const callback = form.get("StatusCallback");
    sends.push({ at, to, body: form.get("Body") ?? "", sid, callback });
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ sid, status: "queued", to, body: form.get("Body") }));
    if (receipts && callback) {
      pending++;
      // After the answer, as Twilio's callback comes after its API call returns.
      setImmediate(() =>
        postSigned(callback, { MessageSid: sid, MessageStatus: "delivered", To: to ?? "", AccountSid: "AC00000000000000000000000000000000" }, authToken)
          .catch(() => {})
          .finally(() => pending--),
      );
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    sends,
    receiptsPending: () => pending,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
