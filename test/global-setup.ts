// Runs in Node before the Workers tests: starts the loopback provider mocks the config pointed at.
import path from "node:path";
// @ts-expect-error: plain JS module
import { startProviderMock } from "./mocks/provider-mock.mjs";

export default async function setup() {
  const root = path.resolve(import.meta.dirname, "..");
  const spec = path.resolve(root, "../shared/reference/twilio/twilio_api_v2010.json");
  const stop = await startProviderMock(Number(process.env.TIDINGS_TWILIO_MOCK_PORT), spec, root);
  return stop;
}
