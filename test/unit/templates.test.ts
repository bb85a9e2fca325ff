/** Every template is a valid spec that references the JSON Schema, and the schema is current. */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { JSON_SCHEMA_FILE, jobSpecJsonSchemaText } from '../../src/spec/json-schema.ts';

const templates = readdirSync('templates')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join('templates', f));

describe('templates', () => {
  it('cover every strategy', () => {
    const strategies = new Set(templates.map((t) => /^strategy: (\S+)/m.exec(readFileSync(t, 'utf8'))?.[1]));
    expect([...strategies].sort()).toEqual([
      'mirrored',
      'multi-worker-mirrored',
      'one-device',
      'parameter-server',
      'tpu',
    ]);
  });

  it.each(templates)('%s points editors at the JSON Schema', (file) => {
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./job.schema.json',
    );
  });

  it('all pass `strato validate`', async () => {
    const io = bufferIo();
    const code = await main(['validate', ...templates], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
  });

  it.each(templates)('%s has a plan `strato explain --json` prints', async (file) => {
    const io = bufferIo();
    expect(await main(['explain', file, '--json'], io)).toBe(0);
    const plan = JSON.parse(io.stdout);
    expect(plan.replicas.length).toBeGreaterThan(0);
    for (const replica of plan.replicas)
      expect(replica).toMatchObject({
        role: expect.any(String),
        index: expect.any(Number),
        env: expect.any(Object),
      });
  });
});

describe('JSON Schema', () => {
  it(`${JSON_SCHEMA_FILE} matches the zod schema (run \`npm run schema\` when this fails)`, () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(jobSpecJsonSchemaText());
  });
});
