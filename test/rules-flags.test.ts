// Eligibility rules on contact state: flags set and cleared by events and the API block messages.
import { beforeAll, describe, expect, it } from "vitest";
import { api, optedIn, phone, unique, withoutOptInConfirmation } from "./helpers";

beforeAll(async () => {
  await withoutOptInConfirmation();
  await api("PUT", "/v1/settings/caps", { rules: [] }); // this file is not about caps
  await api("PUT", "/v1/settings/rules", {
    rules: [
      { name: "support_case_open", purposes: ["marketing"], whileFlags: ["support_case_open"] },
      { name: "no_sales_during_onboarding", tags: ["sales_ask"], stages: ["customer"], whileFlags: ["onboarding"] },
      { name: "order_open", jobs: ["reactivation"], whileFlags: ["order_open"] },
    ],
    flagEvents: {
      "Ticket Opened": { set: ["support_case_open"] },
      "Ticket Closed": { clear: ["support_case_open"] },
      "Order Completed": { set: ["order_open"] },
      "Order Shipped": { clear: ["order_open"] },
    },
  });
  await api("PUT", "/v1/templates/promo", { body: "New arrivals. Reply STOP to opt out.", job: "retention", purpose: "marketing" });
  await api("PUT", "/v1/templates/upsell", { body: "Upgrade now. Reply STOP to opt out.", job: "conversion", purpose: "marketing", tags: ["sales_ask"] });
  await api("PUT", "/v1/templates/winback", { body: "We miss you. Reply STOP to opt out.", job: "reactivation", purpose: "marketing" });
  await api("PUT", "/v1/templates/ticket-update", { body: "Your ticket was updated.", job: "service", purpose: "transactional" });
});

async function person() {
  const user = unique("u");
  await optedIn(user, phone());
  return { user, ref: `user:${user}` };
}
const send = async (ref: string, template: string) => (await api("POST", "/v1/messages", { contact: ref, template })).body.decision;
const track = (user: string, event: string) => api("POST", "/v1/track", { userId: user, event, messageId: unique("m") });

describe("eligibility rules", () => {
  it("blocks marketing while a support case is open, not service messages, and lifts when it closes", async () => {
    const p = await person();
    await track(p.user, "Ticket Opened");
    expect(await send(p.ref, "promo")).toEqual({ outcome: "skipped", reason: "rule:support_case_open" });
    expect((await send(p.ref, "ticket-update")).outcome).toBe("sent");
    await track(p.user, "Ticket Closed");
    expect((await send(p.ref, "promo")).outcome).toBe("sent");
  });

  it("blocks a sales ask to a customer during onboarding, but not to a subscriber", async () => {
    const p = await person();
    await api("PUT", `/v1/contacts/${p.ref}/flags/onboarding`);
    expect((await send(p.ref, "upsell")).outcome).toBe("sent"); // still a subscriber
    await api("PUT", `/v1/contacts/${p.ref}/stage`, { stage: "customer" });
    expect(await send(p.ref, "upsell")).toEqual({ outcome: "skipped", reason: "rule:no_sales_during_onboarding" });
    expect((await send(p.ref, "promo")).outcome).toBe("sent"); // not tagged sales_ask
    await api("DELETE", `/v1/contacts/${p.ref}/flags/onboarding`);
    expect((await send(p.ref, "upsell")).outcome).toBe("sent");
  });

  it("blocks reactivation while an order is open", async () => {
    const p = await person();
    await track(p.user, "Order Completed");
    expect((await api("GET", `/v1/contacts/${p.ref}`)).body.flags.map((f: any) => f.name)).toEqual(["order_open"]);
    expect((await send(p.ref, "winback")).reason).toBe("rule:order_open");
    await track(p.user, "Order Shipped");
    expect((await send(p.ref, "winback")).outcome).toBe("sent");
  });

  it("refuses a rule without flags and a flag name that is not snake_case", async () => {
    const r = await api("PUT", "/v1/settings/rules", { rules: [{ name: "x", purposes: ["marketing"], whileFlags: [] }] });
    expect(r.body.errors[0].field).toBe("rules.0.whileFlags");
    const p = await person();
    expect((await api("PUT", `/v1/contacts/${p.ref}/flags/Not-A-Flag`)).body.errors[0].field).toBe("param.flag");
  });
});
