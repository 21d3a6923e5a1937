/**
 * Why no native core is here, worded from the facts alone: what this machine needs, what prebuilt cores the package
 * carries, and what the install script recorded (none: install scripts were skipped). Before, every case was blamed
 * on "no C compiler at install time", also where a compiler was there and only the install script never ran.
 */
import { describe, expect, it } from 'vitest';
import { whyNoCore } from '../../src/engine/native-addon.js';

const FIX = 'with a C compiler `npm rebuild tcpprobe` builds it (in a checkout `npm run build:native`)';

describe('why no native core is here', () => {
  it('install scripts skipped on a platform the package has no prebuild for', () => {
    expect(whyNoCore({ platform: 'linux-arm64 glibc', prebuilds: ['linux-x64 glibc'], install: null })).toBe(
      'the native core is not here: no prebuilt core for linux-arm64 glibc (the package has linux-x64 glibc), and install scripts ' +
        `were skipped, so none was built (--ignore-scripts; pnpm and bun skip them by default); ${FIX}`,
    );
  });

  it('musl (Alpine) is not handed the glibc prebuild; the install script ran without a compiler', () => {
    expect(
      whyNoCore({ platform: 'linux-x64 musl', prebuilds: ['linux-x64 glibc'], install: { core: 'not built', why: 'no cc (apt-get install build-essential)' } }),
    ).toBe(
      'the native core is not here: no prebuilt core for linux-x64 musl (the package has linux-x64 glibc), and the install script ' +
        `could not build one: no cc (apt-get install build-essential); ${FIX}`,
    );
  });

  it('a checkout (no prebuilds) whose install script was skipped, or whose core went away after it', () => {
    expect(whyNoCore({ platform: 'linux-x64 glibc', prebuilds: [], install: null })).toBe(
      'the native core is not here: the package has no prebuilt core, and install scripts were skipped, so none was built ' +
        `(--ignore-scripts; pnpm and bun skip them by default); ${FIX}`,
    );
    expect(whyNoCore({ platform: 'linux-x64 glibc', prebuilds: [], install: { core: 'built', why: null } })).toBe(
      `the native core is not here: the package has no prebuilt core, and the core that was there at install is gone; ${FIX}`,
    );
  });
});
