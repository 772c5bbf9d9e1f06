import { describe, expect, test } from "vitest";
import { UnknownNameError } from "./errors.js";
import { Registry, RegistryCollisionError } from "./registry.js";

describe("Registry", () => {
  test("get returns what register added; an unknown id lists the known ones", () => {
    const r = new Registry<{ id: string }>("widget");
    const a = r.register({ id: "a" });
    r.register({ id: "b" }, "plugin.js");
    expect(r.get("a")).toBe(a);
    expect(r.sourceOf("b")).toBe("plugin.js");
    expect(() => r.get("c")).toThrow(UnknownNameError);
    expect(() => r.get("c")).toThrow(/unknown widget "c"; known: a, b/);
  });

  test("a taken id is refused with both sources named, and the first entry stays", () => {
    const r = new Registry<{ id: string; v: number }>("estimator");
    r.register({ id: "mom", v: 1 });
    expect(() => r.register({ id: "mom", v: 2 }, "mine.js")).toThrow(RegistryCollisionError);
    expect(() => r.register({ id: "mom", v: 2 }, "mine.js")).toThrow(
      /mine\.js: estimator id "mom" is already registered \(by built-in\)/,
    );
    expect(r.get("mom").v).toBe(1);
  });

  test("list sorts by order, entries without one after, in registration order", () => {
    const r = new Registry<{ id: string; order?: number }>("method");
    r.register({ id: "z" });
    r.register({ id: "b", order: 2 });
    r.register({ id: "a", order: 1 });
    r.register({ id: "y" });
    expect(r.ids()).toEqual(["a", "b", "z", "y"]);
    expect(r.unregister("a")).toBe(true);
    expect(r.has("a")).toBe(false);
  });
});
