// Screens fetched when first shown (issue 24): the fallback until the script arrives, then the
// component; a failed fetch says so and the next try fetches again; the grid prefetches only after
// its stills have settled.
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { imagesSettled, lazy } from "../src/lazy";
import { setLanguage } from "../src/i18n";

let host: HTMLDivElement;
afterEach(() => {
  render(null, host);
  host.remove();
});

function mount(node: preact.ComponentChild) {
  host = document.createElement("div");
  document.body.appendChild(host);
  act(() => render(node, host));
  return host;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((ok, no) => ((resolve = ok), (reject = no)));
  return { promise, resolve, reject };
}

const Hello = (p: { name: string }) => <p class="hello">hello {p.name}</p>;

describe("lazy views", () => {
  it("shows the fallback, then the component with its props; fetched once", async () => {
    await setLanguage("en");
    let asked = 0;
    const gate = deferred<typeof Hello>();
    const view = lazy(() => (asked++, gate.promise));
    const el = mount(<view.View name="cam-a" fallback={<main aria-busy="true" />} />);
    expect(el.querySelector("[aria-busy]")).not.toBeNull();
    expect(el.querySelector(".hello")).toBeNull();
    await act(async () => {
      gate.resolve(Hello);
      await view.load();
    });
    expect(el.querySelector(".hello")?.textContent).toBe("hello cam-a");
    expect(el.querySelector("[aria-busy]")).toBeNull();
    await view.load();
    expect(asked).toBe(1);
  });

  it("a failed fetch is said, and the next load asks again", async () => {
    await setLanguage("en");
    let asked = 0;
    const view = lazy<{ name: string }>(() => (asked++ === 0 ? Promise.reject(new Error("offline")) : Promise.resolve(Hello)));
    const el = mount(<view.View name="x" />);
    await act(async () => {
      await view.load().catch(() => undefined);
    });
    expect(el.querySelector("[role=alert]")?.textContent).toContain("could not be loaded");
    expect(await view.load()).toBe(Hello);
    expect(asked).toBe(2);
  });
});

describe("imagesSettled", () => {
  it("waits for every image to load or fail", async () => {
    const a = document.createElement("img");
    const b = document.createElement("img");
    let settled = false;
    const done = imagesSettled([a, b]).then(() => (settled = true));
    a.dispatchEvent(new Event("load"));
    await Promise.resolve();
    expect(settled).toBe(false);
    b.dispatchEvent(new Event("error"));
    await done;
    expect(settled).toBe(true);
  });
});
