// Empty dist/ before a build, so files of sources that were removed or renamed (and source maps of older
// builds) are never shipped.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
