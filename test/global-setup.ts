// Runs in Node before the Workers tests: starts the loopback provider mocks the config pointed at.
import path from "node:path";
// @ts-expect-error: plain JS module
import { startProviderMock } from "./mocks/provider-mock.mjs";

export default async function setup() {
  const root = path.resolve(import.meta.dirname, "..");
  const spec = path.resolve(root, "../shared/reference/twilio/twilio_api_v2010.json");
  const smsapiSpec = path.resolve(root, "../shared/reference/smsapi/smsapi_sms_do_subset.fixed.openapi.json");
  const stops = await Promise.all([
    startProviderMock(Number(process.env.TIDINGS_TWILIO_MOCK_PORT), spec, root, [{
      path: "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages.json",
      init: { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x")}` }, body: "To=%2B14155550100&From=%2B14155550101&Body=warm" },
    }]),
    startProviderMock(Number(process.env.TIDINGS_SMSAPI_MOCK_PORT), smsapiSpec, root, [{
      path: "/sms.do",
      init: { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer warm" }, body: JSON.stringify({ to: "48500000000", message: "warm", format: "json" }) },
    }]),
  ]);
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
