// The size rules, tested directly: which field makes an input too big, when a contact's traits are
// full, what a merge keeps, and how outbox rows are cut into queue sends.
import { describe, expect, it } from "vitest";
import {
  CALL_BYTES,
  QUEUE_BATCH_BYTES,
  QUEUE_BATCH_COUNT,
  QUEUE_MESSAGE_BYTES,
  QUEUE_MESSAGE_OVERHEAD,
  TRAITS_BYTES,
  biggestField,
  callSizeErrors,
  cutBatches,
  fillWithin,
  jsonBytes,
  traitsRefusal,
} from "../src/size-limits";

describe("biggestField", () => {
  it("follows one big value down to the field that holds it", () => {
    const call = { userId: "u", traits: { firstName: "Ada", notes: "x".repeat(200_000) } };
    expect(biggestField(call, [], true)).toEqual(["traits", "notes"]);
  });

  it("stops at a list of many small items instead of naming one of them", () => {
    const products = Array.from({ length: 300 }, (_, i) => ({ sku: `sku-${i}`, name: "A fine product with a long name" }));
    expect(biggestField({ event: "Order Completed", properties: { order_id: "1", products } }, [], true)).toEqual(["properties", "products"]);
  });

  it("names the parent when no single child dominates, but always a top-level field when asked", () => {
    const traits = { a: "x".repeat(20_000), b: "y".repeat(20_000) };
    expect(biggestField(traits, ["traits"])).toEqual(["traits"]);
    expect(biggestField({ traits }, [], true)).toEqual(["traits"]);
  });
});

describe("callSizeErrors", () => {
  it("passes a call at the limit and refuses one byte over it, naming the field", () => {
    const base = { userId: "u", event: "X", properties: { blob: "" } };
    const at = { ...base, properties: { blob: "x".repeat(CALL_BYTES - jsonBytes(base)) } };
    expect(jsonBytes(at)).toBe(CALL_BYTES);
    expect(callSizeErrors(at)).toEqual([]);
    const over = { ...base, properties: { blob: `${at.properties.blob}x` } };
    expect(callSizeErrors(over)).toEqual([{ path: ["properties", "blob"], message: expect.stringContaining("one call may be at most 32.0 KB") }]);
  });

  it("counts bytes, not characters", () => {
    // 11,000 three-byte characters are 33,000 bytes.
    expect(callSizeErrors({ userId: "u", properties: { text: "€".repeat(11_000) } })[0]?.path).toEqual(["properties", "text"]);
  });

  it("holds traits to their own, smaller cap", () => {
    const errors = callSizeErrors({ userId: "u", traits: { notes: "x".repeat(TRAITS_BYTES), firstName: "Ada" } });
    expect(errors).toEqual([{ path: ["traits", "notes"], message: expect.stringContaining("traits may be at most 16.0 KB") }]);
    expect(callSizeErrors({ userId: "u", traits: { notes: "x".repeat(TRAITS_BYTES - 20) } })).toEqual([]);
  });
});

describe("traitsRefusal", () => {
  const before = { a: "x".repeat(TRAITS_BYTES - 100) };

  it("refuses a write that takes the traits over the cap, naming the biggest trait written", () => {
    const written = { small: 1, big: "y".repeat(200) };
    expect(traitsRefusal(before, { ...before, ...written }, written)).toEqual({ trait: "big", message: expect.stringContaining("at most 16.0 KB") });
  });

  it("lets a write through that fits, or that does not grow traits already over the cap", () => {
    expect(traitsRefusal(before, { ...before, b: "y".repeat(50) }, { b: "y".repeat(50) })).toBeUndefined();
    const legacy = { notes: "x".repeat(200_000), plan: "pro" };
    expect(traitsRefusal(legacy, { ...legacy, plan: "max" }, { plan: "max" })).toBeUndefined();
    expect(traitsRefusal(legacy, { ...legacy, notes: "short" }, { notes: "short" })).toBeUndefined();
    expect(traitsRefusal(legacy, { ...legacy, more: "z" }, { more: "z" })?.trait).toBe("more");
  });
});

describe("fillWithin", () => {
  it("keeps the first traits whole and fills gaps from the second while they fit", () => {
    const known = { firstName: "Ada", notes: "k".repeat(TRAITS_BYTES - 2_000) };
    const anon = { firstName: "Anon", big: "a".repeat(3_000), city: "Oslo", small: 1 };
    const { traits, dropped } = fillWithin(known, anon);
    expect(traits).toEqual({ ...known, city: "Oslo", small: 1 });
    expect(dropped).toEqual(["big"]);
    expect(jsonBytes(traits)).toBeLessThanOrEqual(TRAITS_BYTES);
  });

  it("counts exactly: a fill that lands on the cap is kept", () => {
    const kept = { a: "x" };
    const room = TRAITS_BYTES - jsonBytes(kept) - jsonBytes("b") - 1 - 1 - 2;
    const { traits, dropped } = fillWithin(kept, { b: "y".repeat(room) });
    expect(dropped).toEqual([]);
    expect(jsonBytes(traits)).toBe(TRAITS_BYTES);
    expect(fillWithin(kept, { b: "y".repeat(room + 1) }).dropped).toEqual(["b"]);
  });
});

describe("cutBatches", () => {
  const rows = (sizes: number[]) => sizes.map((bytes, i) => ({ i, bytes }));

  it("keeps every batch inside the count and byte limits, in order", () => {
    const input = rows([...Array(250).fill(100), ...Array(10).fill(60_000), ...Array(5).fill(1)]);
    const { batches, tooBig } = cutBatches(input);
    expect(tooBig).toEqual([]);
    expect(batches.flat().map((r) => r.i)).toEqual(input.map((r) => r.i));
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(QUEUE_BATCH_COUNT);
      expect(b.reduce((n, r) => n + r.bytes + QUEUE_MESSAGE_OVERHEAD, 0)).toBeLessThanOrEqual(QUEUE_BATCH_BYTES);
    }
    // 100 small, 100 small, 50 small with 3 big, 3 big, 3 big, the last big with the 5 tiny ones.
    expect(batches.map((b) => b.length)).toEqual([100, 100, 53, 3, 3, 6]);
  });

  it("sets apart a row no queue message can carry, without holding back the rows after it", () => {
    const limit = QUEUE_MESSAGE_BYTES - QUEUE_MESSAGE_OVERHEAD;
    const { batches, tooBig } = cutBatches(rows([10, limit + 1, limit, 10]));
    expect(tooBig.map((r) => r.i)).toEqual([1]);
    expect(batches.map((b) => b.map((r) => r.i))).toEqual([[0, 2, 3]]);
  });
});
