// Budget check: the page's gzipped JavaScript (hls.js and its transmuxer worker included) must stay
// under 250 KB. The worker file (hls.worker-*.js) is fetched only when a recording first plays.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 250 * 1024;
const dir = new URL("../../functions/webroot/assets/", import.meta.url).pathname;
let total = 0;
let worker = 0;
for (const name of readdirSync(dir)) {
  if (!name.endsWith(".js")) continue;
  const size = gzipSync(readFileSync(join(dir, name)), { level: 9 }).length;
  total += size;
  if (name.startsWith("hls.worker")) worker += size;
  console.log(`${name}: ${(size / 1024).toFixed(1)} KB gzip`);
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(`total JS: ${kb(total)} KB gzip (page ${kb(total - worker)} KB + worker ${kb(worker)} KB; budget ${BUDGET / 1024} KB)`);
if (total === 0 || total > BUDGET) {
  console.error(total === 0 ? "no JS found: run `npm run build` first" : "over the JS budget");
  process.exit(1);
}
