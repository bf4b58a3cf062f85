import { describe, expect, it } from "vitest";
import type { Camera } from "../src/api";
import { liveRefusal } from "../src/live/warm";
import { spanLabel } from "../src/timeline/Timeline";
import { cameraIdProblem, cameraListProblem, passwordProblem, userNameProblem } from "../src/ui/rules";

const day = { start: new Date(2026, 11, 1).getTime(), end: new Date(2026, 11, 2).getTime() };

describe("form rules in plain words (issue 28 item 5)", () => {
  it("explains a user name with a space and upper case, and a short password", () => {
    expect(userNameProblem("Bob Smith")).toContain("bob.smith");
    expect(userNameProblem("Bob")).toContain("bob");
    expect(userNameProblem("bob.smith")).toBeNull();
    expect(passwordProblem("short")).toBe("The password is 5 characters long; it needs at least 12.");
    expect(passwordProblem("twelve chars")).toBeNull();
  });
  it("checks camera ids and lists of them", () => {
    expect(cameraIdProblem("Cam 1")).toContain("not a camera id");
    expect(cameraIdProblem("cam-front")).toBeNull();
    expect(cameraListProblem("cam-a, BAD")).toContain("BAD");
    expect(cameraListProblem("")).toBeNull();
  });
});

describe("the timeline's span label (issue 28 item 11)", () => {
  it("reads 00:00–24:00 for the whole day, not 00:00–00:00", () => {
    expect(spanLabel(day, day)).toBe("00:00–24:00 · 24h");
    const hour = { start: day.start + 9 * 3_600_000, end: day.start + 10 * 3_600_000 };
    expect(spanLabel(hour, day)).toBe("09:00–10:00 · 1h");
  });
});

describe("live view says why it will not play (issue 28 item 1)", () => {
  const cam = (patch: Partial<Camera>): Camera =>
    ({ id: "c", name: "", status: "enabled", online: true, health: null, ...patch }) as Camera;
  it("a camera that does not send live video says so; one that has not said is tried", () => {
    const health = { spool_depth: 0, dropped_clips: 0, token_errors: 0, reported_at: 1 };
    expect(liveRefusal(cam({ health: { ...health, live_view: false } }))).toContain("does not send live video");
    expect(liveRefusal(cam({ health: { ...health, live_view: true } }))).toBeNull();
    expect(liveRefusal(cam({ health: null }))).toBeNull();
    expect(liveRefusal(cam({ status: "disabled" }))).toContain("disabled");
  });
});
