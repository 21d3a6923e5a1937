/** The package version, read once from package.json so results and --version agree with what is installed. */
import { readFileSync } from 'node:fs';
import { singleFileVersion } from './single-file.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The single-file executable has no package.json beside it: its build bakes the version in. */
export const TOOL_VERSION = singleFileVersion() ?? readVersion();
