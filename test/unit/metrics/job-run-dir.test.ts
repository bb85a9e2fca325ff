import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobStoreRunDirResolver } from '../../../src/metrics/job-run-dir.ts';
import { withTempDir } from './helpers.ts';

async function jobRecord(home: string, id: string, text: string): Promise<void> {
  await mkdir(join(home, 'jobs', id), { recursive: true });
  await writeFile(join(home, 'jobs', id, 'job.json'), text);
}

describe('jobStoreRunDirResolver', () => {
  it('reads runDir from $STRATO_HOME/jobs/<id>/job.json', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'mnist-1', JSON.stringify({ id: 'mnist-1', runDir: 'gs://bucket/runs/mnist-1' }));
      const resolve = jobStoreRunDirResolver({ STRATO_HOME: home });
      expect(await resolve('mnist-1')).toBe('gs://bucket/runs/mnist-1');
      expect(await resolve('other')).toBeUndefined();
    });
  });

  it('never looks outside the job store for ids that are not one path segment', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'x', JSON.stringify({ runDir: '/somewhere' }));
      const resolve = jobStoreRunDirResolver({ STRATO_HOME: join(home, 'jobs', 'x', 'sub') });
      for (const id of ['../x', '..', 'a/b', '.hidden', '']) expect(await resolve(id)).toBeUndefined();
    });
  });

  it('says the record is damaged when it is not JSON or has no runDir', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'broken', '{ not json');
      await jobRecord(home, 'empty', JSON.stringify({ id: 'empty' }));
      const resolve = jobStoreRunDirResolver({ STRATO_HOME: home });
      await expect(resolve('broken')).rejects.toMatchObject({
        code: 'E_CORRUPT',
        message: expect.stringContaining('is not valid JSON'),
      });
      await expect(resolve('empty')).rejects.toMatchObject({
        code: 'E_CORRUPT',
        message: expect.stringContaining('has no "runDir"'),
      });
    });
  });
});
