import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'strato-cli-'));
const badSpec = join(dir, 'bad.yaml');
writeFileSync(
  badSpec,
  [
    'apiVersion: strato.dev/v1',
    'kind: Job',
    'name: bad',
    'strategy: mirored',
    'container: {command: [x]}',
    'resources: {workers: {replica: 2}}',
  ].join('\n'),
);

async function cli(...argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('strato validate', () => {
  it('GIVEN a bad spec THEN exit 2 with one line per problem: path, value, allowed, fix — and no stack trace', async () => {
    const { code, err } = await cli('validate', badSpec);
    expect(code).toBe(2);
    expect(err).toContain('strategy: is not one of the allowed values; received "mirored"');
    expect(err).toContain('fix: did you mean "mirrored"?');
    expect(err).toContain('resources.workers.replica: is not a known field');
    expect(err).toContain('fix: did you mean "replicas"?');
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('GIVEN a missing file THEN exit 2 naming it', async () => {
    const { code, err } = await cli('validate', join(dir, 'nope.yaml'));
    expect(code).toBe(2);
    expect(err).toMatch(/nope.yaml: cannot read .*ENOENT/);
  });

  it('GIVEN no file THEN a usage error, exit 2', async () => {
    const { code, err } = await cli('validate');
    expect(code).toBe(2);
    expect(err).toMatch(/error: missing the spec file/);
  });
});

describe('strato explain', () => {
  it('prints the replica table, pretty TF_CONFIG and the replicas in sync', async () => {
    const { code, out } = await cli('explain', 'templates/parameter-server.yaml');
    expect(code).toBe(0);
    expect(out).toMatch(/ROLE\s+INDEX\s+MACHINE\s+ACCELERATORS\s+HOST/);
    expect(out).toMatch(/worker\s+3\s+n1-standard-8\s+1 × nvidia-tesla-t4/);
    expect(out).toContain('TF_CONFIG =\n      {\n        "cluster": {');
    expect(out).toContain('Replicas in sync: 1');
  });

  it('says which names replace the spec-named hosts on machine providers, and says nothing of it elsewhere', async () => {
    const gce = await cli('explain', 'templates/gce-multi-worker-mirrored.yaml');
    expect(gce.out).toContain('each replica runs on VM strato-<job id>-a<attempt>-<replica>');
    const tpu = await cli('explain', 'templates/tpu-pod.yaml');
    expect(tpu.out).toContain('the slice is queued resource and node strato-<job id>-<attempt>');
    const vertex = await cli('explain', 'templates/parameter-server.yaml');
    expect(vertex.out).not.toContain('Hosts at run time');
  });

  it('GIVEN an error THEN --debug adds the stack', async () => {
    const { err } = await cli('explain', badSpec, '--debug');
    expect(err).toMatch(/\[E_SPEC_INVALID\] SpecError/);
  });
});
