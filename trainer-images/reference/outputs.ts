/**
 * Where the trainer writes: `AIP_CHECKPOINT_DIR`, `AIP_MODEL_DIR` and
 * `AIP_TENSORBOARD_LOG_DIR` are plain paths on the local provider and
 * `gs://` URIs on the cloud. Plain paths go through the file system
 * (temp + rename); URIs through the project's object stores.
 */

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutputDir {
  /** Writes a whole file; readers never see it half-written. */
  write(name: string, data: Buffer | string): Promise<void>;
  /** The file's bytes, or undefined when it does not exist. */
  read(name: string): Promise<Buffer | undefined>;
  /** Where a file is, for messages. */
  where(name: string): string;
}

const isUri = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//.test(s);

export async function openOutputDir(location: string): Promise<OutputDir> {
  if (!isUri(location)) {
    await mkdir(location, { recursive: true });
    return {
      async write(name, data) {
        const temp = join(location, `.${name}.tmp-${process.pid}`);
        await writeFile(temp, data);
        await rename(temp, join(location, name));
      },
      async read(name) {
        try {
          return await readFile(join(location, name));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
      },
      where: (name) => join(location, name),
    };
  }
  const { openObjectStore } = await import('../../src/storage/open.ts');
  const { store, key } = await openObjectStore(location);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return {
    async write(name, data) {
      await store.write(`${prefix}${name}`, Buffer.from(data));
    },
    async read(name) {
      if (!(await store.stat(`${prefix}${name}`))) return undefined;
      return store.read(`${prefix}${name}`);
    },
    where: (name) => `${location.replace(/\/+$/, '')}/${name}`,
  };
}
