/// <reference types="vitest/config" />
// Vite builds the page into functions/webroot/, which the api function serves at `/`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../functions/webroot", import.meta.url)),
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    // .vite/manifest.json: which scripts a screen runs, so the api names the camera page's scripts in
    // the page's own answer (functions/vigil_fn/api/web.py page_scripts); never served (not in assets/)
    manifest: true,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        // the player chunk: hls.js with the recording and live players, asked only by the camera page,
        // the side-by-side view and the grid's live tiles (src/screens/lazy.ts), so the camera grid's
        // first load neither fetches nor compiles it (issue 24). The worker's URL (a string, `?url`) is
        // not hls.js's code: the entry asks for it to start the worker early (src/player/worker-spare.ts).
        // src/live/warm.ts neither: the grid's "Live tiles" starts live views with it before this chunk is in
        codeSplitting: {
          includeDependenciesRecursively: false, // preact, i18n and the api stay in the shared first-load chunk
          groups: [{ name: "player", test: /node_modules[\\/]hls\.js[\\/](?!dist[\\/]hls\.worker\.js\?url)|src[\\/]player[\\/](controller|mapping|hls-worker|playlist-loader)\.ts$|src[\\/]live[\\/](?!warm\.ts$)/ }],
        },
        // a language's catalogs (src/i18n/locales/<lang>/bundle.ts) are named for scripts/size.mjs
        chunkFileNames: (chunk) => {
          const lang = /locales\/([^/]+)\/bundle\.ts$/.exec(chunk.facadeModuleId ?? "")?.[1];
          return lang ? `assets/lang-${lang}-[hash].js` : "assets/[name]-[hash].js";
        },
      },
    },
  },
  server: {
    // `npm run dev` against a running stack: VIGIL_API=http://127.0.0.1:PORT npm run dev
    proxy: process.env.VIGIL_API ? { "/api": process.env.VIGIL_API } : undefined,
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
