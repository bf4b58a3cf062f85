import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, request, RETRY_DELAY_MS } from "../src/api";

const json = (status: number, doc: unknown): Response =>
  new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });

describe("request: a GET that meets a killed instance is asked again once", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  RETRY_DELAY_MS.first = 1;

  it("retries a 502 in FC's own shape and returns the second answer", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(502, { ErrorCode: "FunctionUnhandledError", ErrorMessage: "killed" }))
      .mockResolvedValueOnce(json(200, { cameras: [] }));
    vi.stubGlobal("fetch", fetch);
    await expect(request("GET", "/cameras")).resolves.toEqual({ cameras: [] });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("retries a dropped connection once, then says the server cannot be reached", async () => {
    const fetch = vi.fn().mockRejectedValue(new TypeError("Failed to fetch"));
    vi.stubGlobal("fetch", fetch);
    const err = await request("GET", "/cameras").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("network_error");
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("never repeats a write, and keeps our error shape's code", async () => {
    const fetch = vi.fn().mockResolvedValue(json(503, { error: { code: "sts_busy", message: "Try again." } }));
    vi.stubGlobal("fetch", fetch);
    const err = await request("POST", "/exports", { camera: "c" }).catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).code).toBe("sts_busy");
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("does not retry what a retry cannot fix (a 404)", async () => {
    const fetch = vi.fn().mockResolvedValue(json(404, { error: { code: "not_found", message: "No such camera." } }));
    vi.stubGlobal("fetch", fetch);
    const err = await request("GET", "/cameras/x").catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("not_found");
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
