// Many timers on one alarm: the earliest due timer arms it; alarm() runs what is due, once.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { now } from "../src/clock";
import type { ContactDO } from "../src/contacts/contact-do";
import { HOUR, MIN, advance, api, contactStub, inbox, optedIn, phone, settleSends, unique, withoutOptInConfirmation } from "./helpers";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] }); // this file is not about caps
  await api("PUT", "/v1/templates/ping-a", { body: "A", job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/ping-b", { body: "B", job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/ping-c", { body: "C", job: "retention", purpose: "marketing" });
  const flow = (event: string, wait: string, template: string) => ({
    name: template, status: "active", job: "retention", trigger: { event }, steps: [{ wait }, { send: { template } }],
  });
  await api("PUT", "/v1/flows/timer-a", flow("Timer Test", "PT1H", "ping-a"));
  await api("PUT", "/v1/flows/timer-b", flow("Timer Test", "PT3H", "ping-b"));
  await api("PUT", "/v1/flows/timer-c", flow("Timer Test", "PT2H", "ping-c"));
});

async function contactWithTimers() {
  const user = unique("u");
  const to = phone();
  await optedIn(user, to);
  await api("POST", "/v1/track", { userId: user, event: "Timer Test" });
  return { user, to, ...(await contactStub(`user:${user}`)) };
}

describe("one alarm, many timers", () => {
  it("arms the alarm for the earliest timer and fires each at its own time", async () => {
    const { user, to, stub } = await contactWithTimers();
    const timers = (await api("GET", `/v1/contacts/user:${user}`)).body.timers;
    expect(timers.map((t: any) => t.kind)).toEqual(["run", "run", "run"]);
    const alarm = await runInDurableObject(stub, (_i: ContactDO, state) => state.storage.getAlarm());
    // The runtime fires alarms in real time: the timer an hour away on the clock arms one an hour from now, really.
    expect(Math.abs(alarm! - (Date.now() + HOUR))).toBeLessThan(5_000);
    void now;

    await advance(`user:${user}`, HOUR + MIN);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["A"]);
    await advance(`user:${user}`, HOUR);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["A", "C"]);
    await advance(`user:${user}`, HOUR);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["A", "C", "B"]);
    expect((await api("GET", `/v1/contacts/user:${user}`)).body.timers).toEqual([]);
  });

  it("does nothing twice when the alarm fires twice", async () => {
    const { user, to, stub } = await contactWithTimers();
    await advance(`user:${user}`, HOUR + MIN);
    // A second delivery of the same alarm (the runtime may retry one) finds no due timer.
    await runInDurableObject(stub, (instance: ContactDO) => instance.alarm());
    await runDurableObjectAlarm(stub);
    await settleSends(`user:${user}`);
    expect(await inbox(to)).toEqual(["A"]);
    const runs = (await api("GET", `/v1/contacts/user:${user}`)).body.runs;
    expect(runs.filter((r: any) => r.status === "completed")).toHaveLength(1);
  });

  it("does not rewrite an unchanged alarm when a woken contact takes an event (a storage write each)", async () => {
    const { user, stub } = await contactWithTimers();
    const armed = await runInDurableObject(stub, (_i: ContactDO, state) => state.storage.getAlarm());
    // A woken instance (evicted while idle, as most contacts are between events) knows nothing of its alarm.
    const writes = await runInDurableObject(stub, (instance: ContactDO, state) => {
      (instance as unknown as { armedAt: number | null | undefined }).armedAt = undefined;
      return { set: vi.spyOn(state.storage, "setAlarm"), del: vi.spyOn(state.storage, "deleteAlarm") };
    });
    await api("POST", "/v1/track", { userId: user, event: "Page Viewed" });
    await runInDurableObject(stub, async (_i: ContactDO, state) => {
      expect(await state.storage.getAlarm()).toBe(armed);
      writes.set.mockRestore();
      writes.del.mockRestore();
    });
    expect(writes.set).not.toHaveBeenCalled();
    expect(writes.del).not.toHaveBeenCalled();
  });
});
