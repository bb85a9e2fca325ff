import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findJobRunDir } from '../../../src/jobs/job-run-dir.ts';
import { withTempDir } from '../../support/event-files.ts';
import { jobRecordText } from '../../support/records.ts';

async function jobRecord(home: string, id: string, text: string): Promise<void> {
  await mkdir(join(home, 'jobs', id), { recursive: true });
  await writeFile(join(home, 'jobs', id, 'job.json'), text);
}

describe('findJobRunDir', () => {
  it('reads runDir from the job record in $STRATO_HOME/jobs/<id>/job.json', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'mnist-1', jobRecordText('mnist-1'));
      expect(findJobRunDir('mnist-1', { STRATO_HOME: home })).toBe('gs://bucket/runs/mnist-1');
      expect(findJobRunDir('other', { STRATO_HOME: home })).toBeUndefined();
    });
  });

  it('never looks outside the job store for ids that are not well-formed job ids', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'x', jobRecordText('x', { runDir: '/somewhere' }));
      const env = { STRATO_HOME: join(home, 'jobs', 'x', 'sub') };
      for (const id of ['../x', '..', 'a/b', '.hidden', '']) expect(findJobRunDir(id, env)).toBeUndefined();
    });
  });

  it('says the record is damaged when it is not JSON or has no runDir', async () => {
    await withTempDir(async (home) => {
      await jobRecord(home, 'broken', '{ not json');
      await jobRecord(home, 'empty', jobRecordText('empty', { runDir: undefined }));
      const env = { STRATO_HOME: home };
      expect(() => findJobRunDir('broken', env)).toThrow(
        expect.objectContaining({ code: 'E_CORRUPT', message: expect.stringContaining('is not valid JSON') }),
      );
      expect(() => findJobRunDir('empty', env)).toThrow(
        expect.objectContaining({
          code: 'E_CORRUPT',
          message: expect.stringMatching(/job empty: its record .* is damaged \(.*runDir/),
        }),
      );
    });
  });
});
