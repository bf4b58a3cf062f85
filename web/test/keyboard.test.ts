import { describe, expect, it } from "vitest";
import { keyAction } from "../src/player/keyboard";

describe("shortcuts", () => {
  const body = document.body;
  it("maps space, arrows and f", () => {
    expect(keyAction({ key: " ", target: body })).toEqual({ type: "toggle" });
    expect(keyAction({ key: "ArrowLeft", target: body })).toEqual({ type: "seekBy", ms: -10_000 });
    expect(keyAction({ key: "ArrowRight", target: body })).toEqual({ type: "seekBy", ms: 10_000 });
    expect(keyAction({ key: "ArrowUp", target: body })).toEqual({ type: "seekBy", ms: 1_000 });
    expect(keyAction({ key: "ArrowDown", target: body })).toEqual({ type: "seekBy", ms: -1_000 });
    expect(keyAction({ key: "f", target: body })).toEqual({ type: "fullscreen" });
    expect(keyAction({ key: "x", target: body })).toBeNull();
  });

  it("leaves typing and modified keys alone", () => {
    const input = document.createElement("input");
    expect(keyAction({ key: "f", target: input })).toBeNull();
    expect(keyAction({ key: "ArrowLeft", target: document.createElement("textarea") })).toBeNull();
    expect(keyAction({ key: "f", ctrlKey: true, target: body })).toBeNull();
    expect(keyAction({ key: " ", target: document.createElement("button") })).toBeNull();
  });
});
