// Chart.js's minified UMD bundle, read from the installed package (Node), for renderHtmlReport().

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let bundle: string | undefined;

/** The text of chart.js/dist/chart.umd.min.js (read once). */
export function chartBundle(): string {
  if (bundle === undefined) {
    // The package's exports map names no UMD file: find it next to its CommonJS entry.
    const main = createRequire(import.meta.url).resolve('chart.js');
    bundle = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return bundle;
}
