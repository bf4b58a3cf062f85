// Budget check: the page's gzipped JavaScript (hls.js included) must stay under 250 KB.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 250 * 1024;
const dir = new URL("../../functions/webroot/assets/", import.meta.url).pathname;
let total = 0;
for (const name of readdirSync(dir)) {
  if (!name.endsWith(".js")) continue;
  const size = gzipSync(readFileSync(join(dir, name)), { level: 9 }).length;
  total += size;
  console.log(`${name}: ${(size / 1024).toFixed(1)} KB gzip`);
}
console.log(`total JS: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB)`);
if (total === 0 || total > BUDGET) {
  console.error(total === 0 ? "no JS found: run `npm run build` first" : "over the JS budget");
  process.exit(1);
}
