import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GridStill } from "../src/pictures/GridStill";
import { Still } from "../src/pictures/Still";
import { keepStills } from "../src/screens/Cameras";
import type { Camera } from "../src/api";

let host: HTMLDivElement;
afterEach(() => {
  render(null, host);
  host.remove();
  vi.useRealTimers();
});

function mount(node: preact.ComponentChild) {
  host = document.createElement("div");
  document.body.appendChild(host);
  act(() => render(node, host));
  return host;
}

const still = { camera: "cam-one", shows: Date.UTC(2026, 11, 1, 10), clip_end: Date.UTC(2026, 11, 1, 10, 0, 10), url: "https://oss/still.jpg", expires: 0 };

describe("pictures", () => {
  it("an online camera's tile shows its newest still, undimmed", () => {
    const el = mount(<GridStill still={still} online={true} />);
    expect(el.querySelector("img")?.getAttribute("src")).toBe("https://oss/still.jpg");
    expect(el.querySelector(".grid-still")?.classList.contains("stale")).toBe(false);
    expect(el.querySelector("figcaption")).toBeNull();
  });

  it("an offline camera keeps its last still, dimmed, with its age", () => {
    vi.useFakeTimers();
    vi.setSystemTime(still.shows + 3 * 60_000);
    const el = mount(<GridStill still={still} online={false} />);
    expect(el.querySelector(".grid-still")?.classList.contains("stale")).toBe(true);
    expect(el.querySelector("figcaption")?.textContent).toMatch(/^3m.* ago$/);
  });

  it("a camera with no still yet gets an empty frame", () => {
    expect(mount(<GridStill still={undefined} online={false} />).querySelector(".grid-still.empty")).not.toBeNull();
  });

  it("a refresh keeps a tile's still URL while it shows the same clip (the browser's cached picture)", () => {
    vi.useFakeTimers();
    vi.setSystemTime(still.shows);
    const tile = (url: string, shows: number) => ({ id: "cam-one", still: { ...still, url, shows, expires: still.shows + 300_000 } }) as unknown as Camera;
    const kept = keepStills([tile("https://oss/a.jpg", 1)], [tile("https://oss/b.jpg", 1)]);
    expect(kept[0].still?.url).toBe("https://oss/a.jpg");
    expect(keepStills([tile("https://oss/a.jpg", 1)], [tile("https://oss/b.jpg", 2)])[0].still?.url).toBe("https://oss/b.jpg");
    const expiring = { ...tile("https://oss/a.jpg", 1), still: { ...still, url: "https://oss/a.jpg", shows: 1, expires: still.shows + 5_000 } };
    expect(keepStills([expiring], [tile("https://oss/b.jpg", 1)])[0].still?.url).toBe("https://oss/b.jpg");
  });

  it("<Still> asks the API for the frame at an instant", () => {
    const img = mount(<Still camera="cam-one" at={1796119200123.4} width={160} />).querySelector("img")!;
    expect(img.getAttribute("src")).toBe("/api/v1/cameras/cam-one/still?at=1796119200123&w=160");
  });
});
