// Demo configuration: the brand, templates and flows `npm start` seeds and the tests reuse.
// Plain JS so both Node scripts and the Workers tests can import it.

/** Settings sections. */
export const settings = {
  brand: { name: "Juniper & Co", support: "help@juniper.example", defaultTimeZone: "America/New_York" },
  stages: { preset: "b2c" },
  traits: { declared: ["favoriteColor", "plan"] },
  messages: { expiry: { conversion: "P1D", transactional: "PT4H" } },
};

/** Templates by key. */
export const templates = {
  "cart-reminder": {
    body: 'Hi {{firstName | default: "there"}}, your cart at {{brand.name}} is waiting: {{properties.checkout_url}} Reply STOP to opt out.',
    job: "conversion",
    purpose: "marketing",
    tags: ["cart"],
    properties: ["checkout_url"],
  },
  "cart-last-call": {
    body: "Last call, {{firstName | default: \"friend\"}}: your cart is saved until tonight. {{properties.checkout_url}} Reply STOP to opt out.",
    job: "conversion",
    purpose: "marketing",
    tags: ["cart"],
    properties: ["checkout_url"],
  },
  "order-confirmation": {
    body: "{{brand.name}}: order {{properties.order_id}} is confirmed. Questions? {{brand.support}}",
    job: "transactional",
    purpose: "transactional",
    properties: ["order_id"],
  },
};

/** Flows by key. `wait` is short so the demo tells its story in seconds. */
export const flows = {
  "cart-recovery": {
    name: "Cart recovery",
    status: "active",
    job: "conversion",
    trigger: { event: "Checkout Started", where: { "properties.value": { gte: 20 } } },
    reentry: "P7D",
    goal: { event: "Order Completed" },
    steps: [
      { wait: "PT5S" },
      { send: { template: "cart-reminder" } },
      { wait_for: { event: "Order Completed", timeout: "P1D" }, on_timeout: [{ send: { template: "cart-last-call" } }] },
    ],
  },
  "first-order": {
    name: "First order makes a customer",
    status: "active",
    job: "transactional",
    trigger: { event: "Order Completed", stage: "subscriber" },
    steps: [{ set_stage: "customer" }],
  },
};
