/**
 * `strato infra` as a user runs it: the CLI as a process, the real
 * @google-cloud/storage client inside it, the fake Cloud Storage on loopback.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planStack } from '../../src/infra/engine.ts';
import { type FakeGcs, type RequestLogEntry, startFakeGcs } from '../../src/testing/fake-gcs/index.ts';
import { STRATO_SOURCES, stackFolder } from '../support/infra.ts';
import { type StratoProcess, spawnStrato } from '../support/local.ts';

const STACK = [
  `import { Bucket, BucketIamBinding, Stack } from ${JSON.stringify(STRATO_SOURCES)};`,
  "const stack = new Stack('kill-test', { project: 'proj', region: 'us-central1' });",
  "const data = new Bucket(stack, 'data', { lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 3 }] });",
  "new Bucket(stack, 'logs', { forceDestroy: true });",
  "new BucketIamBinding(stack, 'readers', { bucket: data, role: 'roles/storage.objectViewer', members: ['group:ml@example.com'] });",
  'export default stack;',
].join('\n');
const BUCKETS = ['proj-kill-test-data', 'proj-kill-test-logs'];

// Every test runs the CLI several times; each run loads the stack through tsx (seconds on a busy machine).
describe('strato infra against the fake Cloud Storage', { timeout: 180_000 }, () => {
  let gcs: FakeGcs;
  let storage: Storage;
  let onRequest: (entry: RequestLogEntry) => void = () => {};
  const folder = stackFolder();
  let run = 0;
  let statePath = '';

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): StratoProcess {
    return spawnStrato(['infra', ...args], {
      cwd: folder.dir,
      env: { ...process.env, STORAGE_EMULATOR_HOST: gcs.endpoint, ...env },
      until: 'close',
    });
  }

  async function strato(...args: string[]): Promise<{ code: number | null; output: string }> {
    const running = cli([...args, '--state', statePath]);
    const code = await running.exited;
    return { code, output: running.output() };
  }

  beforeAll(async () => {
    gcs = await startFakeGcs({ onRequest: (entry) => onRequest(entry) });
    storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'proj' });
    folder.write('kill-test.ts', STACK);
  });
  afterAll(async () => {
    folder.remove();
    await gcs.close();
  });
  beforeEach(() => {
    for (const name of [...gcs.state.buckets.keys()]) gcs.state.buckets.delete(name);
    statePath = join(folder.dir, `state-${++run}.json`);
    onRequest = () => {};
  });

  const recordedIds = () =>
    (JSON.parse(readFileSync(statePath, 'utf8')) as { resources: { id: string }[] }).resources
      .map((r) => r.id)
      .sort();
  const planNow = async () =>
    (
      await planStack({
        file: 'kill-test.ts',
        cwd: folder.dir,
        state: statePath,
        endpoints: { storage: gcs.endpoint },
      })
    ).plan;

  it('plans, deploys (only with --yes off a terminal), shows no changes, then drift, then destroys to nothing', async () => {
    const plan = await strato('plan', 'kill-test.ts', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.output).toContain('Plan: 3 to create, 0 to update, 0 to replace, 0 to delete.');

    const unconfirmed = await strato('deploy', 'kill-test.ts');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.output).toContain('hint: add --yes');
    expect(gcs.state.buckets.size).toBe(0);

    const deployed = await strato('deploy', 'kill-test.ts', '--yes');
    expect(deployed.code).toBe(0);
    expect(deployed.output).toContain('readers: created (3/3)');
    expect([...gcs.state.buckets.keys()].sort()).toEqual(BUCKETS);

    const clean = await strato('plan', 'kill-test.ts', '--detailed-exitcode', '--json');
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.output)).toMatchObject({ hasChanges: false, drift: [], summary: { create: 0 } });

    const outputs = await strato('outputs', 'kill-test.ts', '--json');
    expect(JSON.parse(outputs.output).data).toMatchObject({
      uri: 'gs://proj-kill-test-data',
      location: 'US-CENTRAL1',
    });

    await storage.bucket('proj-kill-test-data').setMetadata({ lifecycle: { rule: [] } });
    const drifted = await strato('plan', 'kill-test.ts', '--detailed-exitcode');
    expect(drifted.code).toBe(2);
    expect(drifted.output).toContain('Drift (changed outside Strato since the last deploy):');
    expect(drifted.output).toMatch(
      /data: lifecycle: \[\{"deleteAfterDays":3,"prefix":"checkpoints\/"\}\] → \[\]/,
    );

    await storage.bucket('proj-kill-test-logs').file('run-1/events.out').save('x');
    const destroyed = await strato('destroy', 'kill-test.ts', '--yes');
    expect(destroyed.code).toBe(0);
    expect(gcs.state.buckets.size).toBe(0);
    expect(recordedIds()).toEqual([]);
  });

  /** Runs a deploy, SIGKILLs it when `killWhen` says so, checks the state is whole, and runs it again. */
  async function killThenConverge(
    killWhen: (running: StratoProcess, requests: number) => boolean,
  ): Promise<{ recordedBefore: number; tookOver: boolean }> {
    let creates = 0;
    const running = cli(['deploy', 'kill-test.ts', '--yes', '--parallelism', '1', '--state', statePath]);
    const check = () => {
      if (running.child.exitCode === null && killWhen(running, creates)) running.child.kill('SIGKILL');
    };
    onRequest = (entry) => {
      // A bucket insert or an IAM policy write: the cloud has acted on one resource.
      if (
        (entry.method === 'POST' && /\/b\?/.test(entry.url)) ||
        (entry.method === 'PUT' && /\/iam/.test(entry.url))
      ) {
        creates++;
        check();
      }
    };
    running.child.stderr?.on('data', () => check());
    const code = await running.exited;
    onRequest = () => {};
    expect(code, running.output()).toBeNull();
    // Whatever was recorded is a whole, valid state.
    let before: string[] = [];
    try {
      before = recordedIds();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const again = await strato('deploy', 'kill-test.ts', '--yes');
    expect(again.code, again.output).toBe(0);
    expect(recordedIds()).toEqual(['data', 'logs', 'readers']);
    expect([...gcs.state.buckets.keys()].sort()).toEqual(BUCKETS);
    for (const name of BUCKETS)
      expect(gcs.state.buckets.get(name)?.labels?.['strato-stack']).toBe('kill-test');
    const [policy] = await storage.bucket('proj-kill-test-data').iam.getPolicy();
    expect(policy.bindings?.filter((b) => b.role === 'roles/storage.objectViewer')).toHaveLength(1);
    expect((await planNow()).hasChanges).toBe(false);
    return { recordedBefore: before.length, tookOver: again.output.includes('took over the lock') };
  }

  for (const k of [1, 2, 3]) {
    it(`a deploy SIGKILLed after the cloud made resource ${k}, before the state recorded it, converges when run again`, async () => {
      const outcome = await killThenConverge((_running, creates) => creates >= k);
      // Killed within resource k: the ones before it recorded (k itself only if the save won the race).
      expect(outcome.recordedBefore).toBeGreaterThanOrEqual(k - 1);
      expect(outcome.recordedBefore).toBeLessThanOrEqual(k);
      expect(outcome.tookOver).toBe(true);
    });

    it(`a deploy SIGKILLed right after resource ${k} was recorded converges when run again`, async () => {
      const outcome = await killThenConverge((running) => running.output().includes(`(${k}/3)`));
      expect(outcome.recordedBefore).toBeGreaterThanOrEqual(k);
      // After the last resource the deploy releases its lock at once: the kill may land before or after.
      if (k < 3) expect(outcome.tookOver).toBe(true);
    });
  }

  it('of two deploys at once, one is refused on the lock, naming the holder; the state stays whole', async () => {
    // Slow answers keep the first deploy holding the lock while the second starts.
    gcs.faults.latencyMs = 400;
    const first = cli(['deploy', 'kill-test.ts', '--yes', '--state', statePath]);
    const second = cli(['deploy', 'kill-test.ts', '--yes', '--state', statePath]);
    const codes = [await first.exited, await second.exited];
    gcs.faults.latencyMs = 0;
    expect(codes.sort()).toEqual([0, 1]);
    const outputs = [first.output(), second.output()];
    const refused = outputs.find((text) => text.includes('the stack is locked'));
    expect(refused, outputs.join('\n---\n')).toMatch(/the stack is locked: deploy by \S+ \(pid \d+\)/);
    expect(refused).toContain('strato infra force-unlock');
    expect(recordedIds()).toEqual(['data', 'logs', 'readers']);
    expect((await planNow()).hasChanges).toBe(false);
  });

  it('refuses a corrupt state and leaves it as it was', async () => {
    writeFileSync(statePath, '{"version": 1, "stack": "kill-test", "resources": [');
    const result = await strato('plan', 'kill-test.ts');
    expect(result.code).toBe(1);
    expect(result.output).toContain('is not valid JSON');
    expect(result.output).not.toContain('    at ');
    const deploy = await strato('deploy', 'kill-test.ts', '--yes');
    expect(deploy.code).toBe(1);
    expect(readFileSync(statePath, 'utf8')).toBe('{"version": 1, "stack": "kill-test", "resources": [');
    expect(gcs.state.buckets.size).toBe(0);
  });

  it('without credentials, says to run gcloud auth application-default login (no stack trace)', async () => {
    const running = cli(['plan', 'kill-test.ts', '--state', statePath], {
      STORAGE_EMULATOR_HOST: '',
      GOOGLE_APPLICATION_CREDENTIALS: '',
      HOME: folder.dir,
      CLOUDSDK_CONFIG: join(folder.dir, 'gcloud'),
      // No probe of the GCE metadata server: this machine is not on Google Cloud.
      METADATA_SERVER_DETECTION: 'none',
    });
    expect(await running.exited).toBe(2);
    expect(running.output()).toContain('error: no Google Cloud credentials');
    expect(running.output()).toContain('gcloud auth application-default login');
    expect(running.output()).not.toContain('    at ');
  });
});
