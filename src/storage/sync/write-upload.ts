/**
 * Upload through `ObjectStore.write` for stores without `uploadFile`: the
 * file is streamed, its CRC32C computed on the way and compared with what
 * the store reports.
 */

import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { StratoError } from '../../errors.ts';
import { crc32cBase64, crc32cUpdate } from '../checksum.ts';
import type { ObjectInfo, ObjectStore } from '../types.ts';
import type { LocalFile } from './local-tree.ts';

export async function uploadViaWrite(
  store: ObjectStore,
  key: string,
  file: LocalFile,
  metadata: Record<string, string>,
  onBytes: (bytes: number) => void,
): Promise<ObjectInfo> {
  let crc = 0;
  const source = createReadStream(file.path, { highWaterMark: 1 << 20 });
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32cUpdate(crc, chunk);
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  source.on('error', (error) => hashed.destroy(error));
  const info = await store.write(key, source.pipe(hashed), { metadata });
  const sent = crc32cBase64(crc);
  if (info.crc32c && info.crc32c !== sent) {
    throw new StratoError(
      'E_CORRUPT',
      `${store.scheme}://${store.bucket}/${key}: stored CRC32C ${info.crc32c}, sent ${sent}`,
      {
        hint: 'the file changed while it was being uploaded, or bytes were damaged; run again',
      },
    );
  }
  return { ...info, crc32c: info.crc32c ?? sent };
}
