/**
 * A metrics decode worker's entry (see `decode-pool.ts`): decodes the record
 * runs it is sent and hands the columns back by transfer. Started by
 * `src/internal/node-entry.ts` rules: the built module, or this source.
 */

import { parentPort } from 'node:worker_threads';
import { type DecodeRequest, decodeChunk } from './chunk-decoder.ts';
import { createEventCodec } from './event-codec.ts';
import { columnBuffers } from './scalar-columns.ts';

export interface WorkerRequest extends DecodeRequest {
  id: number;
}

const port = parentPort;
if (port) {
  const codec = createEventCodec();
  port.on('message', (request: WorkerRequest) => {
    try {
      const decoded = decodeChunk(codec, request);
      port.postMessage({ id: request.id, decoded }, columnBuffers(decoded.columns));
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message });
    }
  });
  port.postMessage({ ready: true });
}
