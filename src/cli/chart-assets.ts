/**
 * The charting library the HTML report bundles: uPlot's minified browser build and its stylesheet (about 50 kB),
 * read from the installed package so the page needs no network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InputError } from '../errors.js';
import type { ChartAssets } from '../reporters/html-report.js';
import { isSingleFile, singleFileAsset } from '../single-file.js';

/** uPlot's files as assets of the single-file executable (scripts/build-sea.mjs), which has no node_modules. */
export const UPLOT_ASSETS = { script: 'uPlot.iife.min.js', css: 'uPlot.min.css' } as const;

export function readChartAssets(): ChartAssets {
  if (isSingleFile()) return { script: singleFileAsset(UPLOT_ASSETS.script), css: singleFileAsset(UPLOT_ASSETS.css) };
  const require = createRequire(import.meta.url);
  try {
    return {
      script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  } catch (e) {
    throw new InputError(`cannot read the charting library uPlot (reinstall tcpprobe): ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
