/** Regenerates templates/job.schema.json from the zod schema: `npm run schema`. */

import { writeFileSync } from 'node:fs';
import { JSON_SCHEMA_FILE, jobSpecJsonSchemaText } from './json-schema.ts';

writeFileSync(JSON_SCHEMA_FILE, jobSpecJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_FILE}`);
