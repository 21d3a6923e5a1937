// Make every bin of package.json executable (mode 755): run last by `npm run build`. tsc writes new files with
// mode 644, so a build after `npm install` (which set the run bit once, on the file it linked) left
// `npx tcpprobe` with "Permission denied"; and `npm pack` copies the mode it finds into the tarball.
import { chmodSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const { bin } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
for (const file of typeof bin === 'string' ? [bin] : Object.values(bin ?? {})) chmodSync(new URL(file, root), 0o755);
