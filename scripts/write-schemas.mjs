// Write schema/*.schema.json from the built TypeBox schemas (dist/schema-files.js): run by `npm run build`, so the
// published schema files are always those of the code in dist/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { SCHEMA_DIR, SCHEMA_FILES, schemaFileText } from '../dist/schema-files.js';

const dir = new URL(`../${SCHEMA_DIR}/`, import.meta.url);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const f of SCHEMA_FILES) writeFileSync(new URL(f.file, dir), schemaFileText(f));
