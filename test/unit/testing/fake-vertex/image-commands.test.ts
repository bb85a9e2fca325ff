/**
 * The fake Vertex's image → command table: Strato's trainer images run the
 * trainer helper by default (with --synthetic when no DATA_DIR, the fake
 * having no network to download MNIST from), users add their own, patterns
 * match any tag; and the repository's image-only Vertex templates run on the
 * fake cloud once their image is mapped.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { submit } from '../../../../src/jobs/submit.ts';
import { createVertexProvider } from '../../../../src/providers/vertex/index.ts';
import { loadJobSpecFile } from '../../../../src/spec/load.ts';
import { startFakeCloud } from '../../../../src/testing/fake-cloud.ts';
import {
  findImageCommand,
  imageCommandTable,
  parseImageCommand,
  trainerHelperCommand,
} from '../../../../src/testing/fake-vertex/index.ts';

const TEMPLATES = resolve(import.meta.dirname, '..', '..', '..', '..', 'templates');

describe('the image → command table', () => {
  it("maps Strato's trainer images, at any registry and tag, to the trainer helper's MNIST example", async () => {
    const table = imageCommandTable();
    for (const template of ['one-device.yaml', 'multi-worker-mirrored.yaml', 'tpu-single-host.yaml']) {
      const { spec } = await loadJobSpecFile(join(TEMPLATES, template));
      const command = findImageCommand(table, spec.container.image!);
      expect(command?.join(' '), template).toContain('examples/mnist/train.py');
      expect(command?.at(-2), template).toMatch(/trainer-images$/);
    }
    expect(findImageCommand(table, 'europe-docker.pkg.dev/other/strato/tensorflow-cpu:2.21.0')).toBeDefined();
    expect(findImageCommand(table, 'us-docker.pkg.dev/p/r/someone-else:1')).toBeUndefined();
  });

  it("takes the user's entries over the defaults, an exact image over a pattern", () => {
    const table = imageCommandTable({
      'us-docker.pkg.dev/p/strato/tensorflow-gpu:1': ['mine'],
      'gcr.io/team/*': ['team'],
    });
    expect(findImageCommand(table, 'us-docker.pkg.dev/p/strato/tensorflow-gpu:1')).toEqual(['mine']);
    expect(findImageCommand(table, 'us-docker.pkg.dev/p/strato/tensorflow-gpu:2')?.[0]).toBe('sh');
    expect(findImageCommand(table, 'gcr.io/team/trainer:7')).toEqual(['team']);
    expect(parseImageCommand('gcr.io/x:1=python3 -m trainer --fast')).toEqual([
      'gcr.io/x:1',
      ['python3', '-m', 'trainer', '--fast'],
    ]);
    expect(parseImageCommand('no-command=')).toBeUndefined();
  });

  it('runs the helper with the venv python, PYTHONPATH set, and --synthetic only without DATA_DIR', () => {
    const root = mkdtempSync(join(tmpdir(), 'strato-image-table-'));
    try {
      mkdirSync(join(root, '.venv-tf', 'bin'), { recursive: true });
      const python = join(root, '.venv-tf', 'bin', 'python');
      writeFileSync(python, '#!/bin/sh\necho "PYTHONPATH=$PYTHONPATH ARGS=$*"\n');
      chmodSync(python, 0o755);
      const [program, ...args] = trainerHelperCommand(root);
      const runWith = (env: Record<string, string>) =>
        execFileSync(program!, [...args, '--epochs=5'], {
          env: { PATH: process.env.PATH!, ...env },
          encoding: 'utf8',
        });
      const script = join(root, 'trainer-images', 'examples', 'mnist', 'train.py');
      expect(runWith({})).toBe(
        `PYTHONPATH=${join(root, 'trainer-images')} ARGS=${script} --synthetic --epochs=5\n`,
      );
      expect(runWith({ DATA_DIR: '/data' })).toBe(
        `PYTHONPATH=${join(root, 'trainer-images')} ARGS=${script} --epochs=5\n`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the Vertex templates on the fake cloud', () => {
  // The templates that need no data of the user's (multi-worker-mirrored.yaml stages ./data/mnist, which a user brings).
  it.each(['one-device.yaml', 'mirrored.yaml', 'parameter-server.yaml'])(
    'runs templates/%s (image only) to SUCCEEDED with its image mapped',
    async (template) => {
      const home = mkdtempSync(join(tmpdir(), 'strato-template-'));
      const cloud = await startFakeCloud({
        storage: { buckets: ['my-bucket'] },
        vertex: {
          timing: { queuedMs: 20, pendingMs: 20, stopGraceMs: 500 },
          // As `strato fake-cloud --image '*/strato/tensorflow-gpu:*=node -e …'` would map it: a stand-in entrypoint.
          images: {
            '*/strato/tensorflow-gpu:*': [
              process.execPath,
              '-e',
              'console.log("trained", process.argv.at(-1))',
              '--',
            ],
          },
        },
      });
      try {
        const provider = createVertexProvider({ env: cloud.env, pollScale: 0 });
        // The run dir is claimed through the object store: on the fake Cloud Storage.
        const job = await submit(join(TEMPLATES, template), {
          provider,
          home,
          env: { ...process.env, ...cloud.env },
        });
        const status = await job.wait({ pollIntervalMs: 50 });
        expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
        const lines = [];
        for await (const line of job.logs({ replica: 'workerpool0-0' })) lines.push(line.text);
        expect(lines).toEqual(['trained --epochs=5']);
      } finally {
        await cloud.close();
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
