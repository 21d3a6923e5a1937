// What both bundles of dist/ (scripts/build-bin.mjs, scripts/build-sea.mjs) do with the lazy requires of
// CommonJS packages: `const require = createRequire(import.meta.url)` in histogram.ts and chart.ts is invisible to
// a bundler, so the line is dropped and their `require('pkg')` calls become the bundle's own, which esbuild
// bundles. In a bundle a package is only evaluated at its first require, as it was only loaded then.

/** The dist/ files with the line, relative to dist/. A file that no longer has it fails the build. */
export const LAZY_REQUIRE_FILES = ['metrics/histogram.js', 'reporters/chart.js'];
const LAZY_REQUIRE_LINE = /^const require = createRequire\(import\.meta\.url\);$/m;

/** `text` of dist/`rel` with its lazy require line dropped, if it is one of LAZY_REQUIRE_FILES. */
export function withBundledRequires(rel, text) {
  if (!LAZY_REQUIRE_FILES.includes(rel)) return text;
  if (!LAZY_REQUIRE_LINE.test(text)) throw new Error(`dist/${rel}: its lazy require line is gone; update scripts/bundle-lazy-requires.mjs`);
  return text.replace(LAZY_REQUIRE_LINE, '');
}
