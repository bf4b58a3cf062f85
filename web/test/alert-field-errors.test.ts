import { describe, expect, it } from "vitest";
import { errorFor, fieldOf } from "../src/alerts/fieldErrors";

describe("alert form refusals", () => {
  it("finds the field an API message names, in either form the API writes it", () => {
    expect(fieldOf("body: schedule[0].end: must be a time of day as HH:MM")).toEqual({
      field: "schedule[0].end",
      message: "schedule[0].end: must be a time of day as HH:MM",
    });
    expect(fieldOf("body.hour: Input should be less than or equal to 23")?.field).toBe("hour");
    expect(fieldOf("quiet_hours.start: must be HH:MM")?.field).toBe("quiet_hours.start");
    expect(fieldOf("The server cannot be reached.")).toBeNull();
    // the same answers for a zh-CN reader
    expect(fieldOf("body：timezone：必须是 IANA 时区名称，例如 Asia/Shanghai 或 UTC")?.field).toBe("timezone");
    expect(fieldOf("body.hour：应小于或等于 23")).toEqual({ field: "hour", message: "hour：应小于或等于 23" });
  });

  it("gives a window the error of any of its parts", () => {
    const errors = { "schedule[1].start": "schedule[1].start: bad" };
    expect(errorFor(errors, "schedule[1]")).toBe("schedule[1].start: bad");
    expect(errorFor(errors, "schedule[0]")).toBeNull();
    expect(errorFor({ "quiet_hours.end": "x" }, "quiet_hours")).toBe("x");
  });
});
