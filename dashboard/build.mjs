// Copies the pinned front-end libraries from node_modules into a git-ignored static folder.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const vendor = join(root, "dashboard", "static", "dashboard", "vendor");
const files = [
  [
    "node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js",
    "lightweight-charts.js",
  ],
];

mkdirSync(vendor, { recursive: true });
for (const [source, target] of files) {
  copyFileSync(join(root, source), join(vendor, target));
  console.log(`dashboard: ${source} -> dashboard/static/dashboard/vendor/${target}`);
}
