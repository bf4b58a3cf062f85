// Budget check, two figures (gzip):
// - first load: the scripts index.html names (the entry and its modulepreloads): what any page, the camera
//   grid first, fetches and compiles before it can render. Budget 80 KB (issue 24: the grid's stills in < 1 s
//   on a 2-core machine; hls.js alone is ~115 KB gzip, so it must not be in here).
// - the whole page: first load + the scripts fetched when a screen is first shown (the camera page, the
//   side-by-side view, the player chunk with hls.js) + hls.js's transmuxer worker (hls.worker-*.js,
//   fetched when a recording first plays). Budget 250 KB: what a camera page needs in all.
// A second language (i18n/locales/<lang>/bundle.ts → a `lang-<lang>-*.js` chunk) is fetched only when a
// user chooses it: reported on its own line, outside both totals.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const FIRST_LOAD_BUDGET = 80 * 1024;
const BUDGET = 250 * 1024;
const root = new URL("../../functions/webroot/", import.meta.url).pathname;
const dir = join(root, "assets");
const kb = (n) => (n / 1024).toFixed(1);
let html = "";
try {
  html = readFileSync(join(root, "index.html"), "utf8");
} catch {
  // no build yet: reported below
}
const firstNames = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]));
let total = 0;
let first = 0;
let worker = 0;
const languages = [];
for (const name of readdirSync(dir)) {
  if (!name.endsWith(".js")) continue;
  const raw = readFileSync(join(dir, name));
  const size = gzipSync(raw, { level: 9 }).length;
  if (name.startsWith("lang-")) {
    languages.push(`${name}: ${kb(size)} KB gzip (${kb(raw.length)} KB raw), loaded only when its language is chosen`);
    continue;
  }
  total += size;
  const kind = firstNames.has(name) ? "first load" : name.startsWith("hls.worker") ? "worker" : "when its screen is shown";
  if (kind === "first load") first += size;
  if (kind === "worker") worker += size;
  console.log(`${name}: ${kb(size)} KB gzip (${kb(raw.length)} KB raw), ${kind}`);
}
console.log(`first load JS: ${kb(first)} KB gzip (budget ${FIRST_LOAD_BUDGET / 1024} KB)`);
console.log(
  `total JS: ${kb(total)} KB gzip (first load ${kb(first)} KB + on demand ${kb(total - first - worker)} KB + worker ${kb(worker)} KB; budget ${BUDGET / 1024} KB)`,
);
for (const line of languages) console.log(`language chunk ${line}`);
if (total === 0 || first === 0) {
  console.error("no JS found: run `npm run build` first");
  process.exit(1);
}
if (first > FIRST_LOAD_BUDGET) {
  console.error("the first load is over its JS budget");
  process.exit(1);
}
if (total > BUDGET) {
  console.error("over the JS budget");
  process.exit(1);
}
