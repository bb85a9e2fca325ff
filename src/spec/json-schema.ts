/** The JSON Schema editors use for job specs, generated from the zod schema. */

import { z } from 'zod';
import { JobSpecSchema } from './schema.ts';

export const JSON_SCHEMA_FILE = 'templates/job.schema.json';

/** The job spec as JSON Schema (draft-07), for editors and other tools; generated from `JobSpecSchema`. */
export function jobSpecJsonSchema(): Record<string, unknown> {
  // Draft 7 is what yaml-language-server and most editors understand best.
  const schema = z.toJSONSchema(JobSpecSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://strato.dev/schemas/job.schema.json', title: 'Strato job spec' };
}

export function jobSpecJsonSchemaText(): string {
  return `${JSON.stringify(jobSpecJsonSchema(), null, 2)}\n`;
}
