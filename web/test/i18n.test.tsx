// The i18n module: the browser's languages pick the first language, Chinese is loaded only when
// chosen, useT() re-renders a component in place, fmt follows the language and the time zone.
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { fmt, language, setLanguage, t, textOf, useT, words, type Words } from "../src/i18n";
import { fromBrowser } from "../src/i18n/languages";

afterEach(async () => {
  await setLanguage("en");
});

describe("i18n", () => {
  it("chooses Chinese for any zh browser language, English otherwise", () => {
    expect(fromBrowser(["zh-TW", "en"])).toBe("zh-CN");
    expect(fromBrowser(["zh"])).toBe("zh-CN");
    expect(fromBrowser(["de-DE", "en-US", "zh-CN"])).toBe("en");
    expect(fromBrowser(["fr"])).toBe("en");
    expect(fromBrowser([])).toBe("en");
  });

  it("switches language, loading Chinese on demand, and remembers it on this browser", async () => {
    expect(t("common.signOut")).toBe("Sign out");
    await setLanguage("zh-CN");
    expect(language()).toBe("zh-CN");
    expect(t("common.signOut")).toBe("退出登录");
    expect(t("common.signedInAs", { name: "bob", role: t("common.role.viewer") })).toBe("当前登录：bob（查看者）");
    expect(localStorage.getItem("vigil.language")).toBe("zh-CN");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("pluralises by count", async () => {
    expect(t("login.retryIn", { count: 1 })).toBe("Try again in 1 s.");
    await setLanguage("zh-CN");
    expect(t("login.retryIn", { count: 5 })).toBe("请 5 秒后重试。");
  });

  it("re-renders a component that uses useT(), keeping its state", async () => {
    let renders = 0;
    function Probe() {
      const tr = useT();
      renders += 1;
      return <span>{tr("common.nav.cameras")}</span>;
    }
    const root = document.createElement("div");
    act(() => render(<Probe />, root));
    expect(root.textContent).toBe("Cameras");
    await act(async () => {
      await setLanguage("zh-CN");
    });
    expect(root.textContent).toBe("摄像头");
    expect(renders).toBe(2);
  });

  it("re-words a status already on screen when the language changes (the key is kept, not the text)", async () => {
    function Status({ said }: { said: Words | null }) {
      useT();
      return <p>{textOf(said)}</p>;
    }
    const root = document.createElement("div");
    const said = words("common.signedInAs", { name: "bob", role: words("common.role.viewer") });
    act(() => render(<Status said={said} />, root));
    expect(root.textContent).toBe(t("common.signedInAs", { name: "bob", role: t("common.role.viewer") }));
    await act(async () => {
      await setLanguage("zh-CN");
    });
    expect(root.textContent).toBe("当前登录：bob（查看者）");
    act(() => render(<Status said="the server's own words" />, root));
    expect(root.textContent).toBe("the server's own words"); // an API message is shown as it was written
    expect(textOf(null)).toBe("");
  });

  it("formats dates, times, durations and numbers for the language, in the given zone", async () => {
    const at = Date.UTC(2026, 11, 1, 6, 5, 7);
    expect(fmt.time(at, { timeZone: "Asia/Shanghai" })).toBe("14:05:07");
    expect(fmt.date(at, { timeZone: "UTC" })).toBe("01/12/2026");
    expect(fmt.duration(3_900_000)).toBe("1h 5m");
    expect(fmt.number(12345.5)).toBe("12,345.5");
    await setLanguage("zh-CN");
    expect(fmt.date(at, { timeZone: "Asia/Shanghai" })).toBe("2026/12/01");
    expect(fmt.dateTime(at, { timeZone: "Asia/Shanghai" })).toBe("2026/12/01 14:05:07");
    expect(fmt.duration(3_900_000)).toBe("1小时5分钟");
    expect(fmt.duration(12_000)).toBe("12秒");
  });
});
