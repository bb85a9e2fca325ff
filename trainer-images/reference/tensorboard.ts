/**
 * TensorBoard logs in the Keras layout: `<log dir>/train` and
 * `<log dir>/validation`, tags `epoch_loss`, `epoch_accuracy` (step = epoch)
 * and `batch_loss` (step = global batch), written through the project's
 * event-file writer. A `gs://` log dir is written locally and mirrored to
 * the bucket on every flush (small files; TF's own writer appends in place).
 */

import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '../../src/metrics/writer.ts';
import { openOutputDir } from './outputs.ts';

export interface KerasLogs {
  train: EventFileWriter;
  validation: EventFileWriter;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const isUri = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//.test(s);

export async function openKerasLogs(logDir: string): Promise<KerasLogs> {
  const remote = isUri(logDir) && !logDir.startsWith('file://');
  const localRoot = remote ? mkdtempSync(join(tmpdir(), 'strato-tb-')) : logDir;
  const train = await EventFileWriter.create(join(localRoot.replace(/^file:\/\//, ''), 'train'));
  const validation = await EventFileWriter.create(join(localRoot.replace(/^file:\/\//, ''), 'validation'));
  const mirror = async () => {
    if (!remote) return;
    for (const run of ['train', 'validation']) {
      const out = await openOutputDir(`${logDir.replace(/\/+$/, '')}/${run}`);
      for (const name of await readdir(join(localRoot, run))) {
        await out.write(name, await readFile(join(localRoot, run, name)));
      }
    }
  };
  return {
    train,
    validation,
    async flush() {
      await Promise.all([train.flush(), validation.flush()]);
      await mirror();
    },
    async close() {
      await Promise.all([train.close(), validation.close()]);
      await mirror();
    },
  };
}
