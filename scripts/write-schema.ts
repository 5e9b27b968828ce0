/** Writes the run config's JSON Schema (for editors) to schemas/run-config.schema.json. */
import { writeFileSync } from 'node:fs';
import { runConfigJsonSchema } from '../config/index.js';

const path = new URL('../schemas/run-config.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
