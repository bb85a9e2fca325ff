/**
 * Chunked resumable upload (https://cloud.google.com/storage/docs/performing-resumable-uploads):
 * one session, chunks of `chunkSize` bytes, CRC32C computed as the bytes go
 * out and sent with the last chunk (the service refuses a mismatch), then
 * checked against what the service reports. After a failed chunk the
 * session is asked how much it has and the upload goes on from there. The
 * object exists under its name only once every byte is in.
 */

import { StratoError } from '../../errors.ts';
import { FailureBudgetExhausted } from '../../internal/failure-budget.ts';
import { backoffDelay, type RetryPolicy } from '../../internal/retry.ts';
import { sleep } from '../../internal/sleep.ts';
import { crc32cBase64, crc32cUpdate } from '../checksum.ts';
import type { ChunkSource } from '../chunk-source.ts';
import type { StreamBody } from '../http-transport.ts';
import { GcsRequestError, isTransient } from './errors.ts';
import type { GcsJsonApi, ObjectFields, ObjectResource, UploadStatus } from './json-api.ts';

/** Resumable chunks must be multiples of 256 KiB (same page as above). */
export const CHUNK_QUANTUM = 256 * 1024;

/** What a session has confirmed: kept so a later process can resume it. */
export interface SessionRecord {
  uri: string;
  /** Bytes the service has confirmed. */
  committed: number;
  /** CRC32C of those bytes. */
  crc: number;
}

export interface SessionJournal {
  load(): Promise<SessionRecord | undefined>;
  save(record: SessionRecord): Promise<void>;
  clear(): Promise<void>;
}

export interface ResumableUploadOptions {
  fields: ObjectFields;
  ifGenerationMatch?: string;
  /** Bytes per request; a multiple of 256 KiB. */
  chunkSize: number;
  retry: RetryPolicy;
  journal?: SessionJournal;
  /** Called with the bytes newly confirmed by the service. */
  onBytes?: (bytes: number) => void;
}

export async function uploadResumable(
  api: GcsJsonApi,
  bucket: string,
  name: string,
  source: ChunkSource,
  options: ResumableUploadOptions,
): Promise<ObjectResource> {
  if (options.chunkSize % CHUNK_QUANTUM !== 0) {
    throw new StratoError('E_USAGE', `chunk size ${options.chunkSize} is not a multiple of 256 KiB`);
  }
  const where = `gs://${bucket}/${name}`;
  let session = await resumeSession(api, source, options, where);
  if (session && 'object' in session) return session.object;
  if (!session) {
    const uri = await api.startResumable(bucket, name, {
      ...(source.size !== undefined ? { size: source.size } : {}),
      fields: options.fields,
      ...(options.ifGenerationMatch !== undefined ? { ifGenerationMatch: options.ifGenerationMatch } : {}),
    });
    session = { uri, committed: 0, crc: 0 };
    await options.journal?.save(session);
  }
  let { committed, crc } = session;
  const { uri } = session;
  const journal = steppedJournal(options.journal, uri, committed);
  let setbacks = 0;
  try {
    for (;;) {
      const chunk = await nextChunk(source, committed, crc, options.chunkSize);
      let status: UploadStatus;
      try {
        status = await api.putChunk(uri, {
          body: chunk.body,
          start: committed,
          ...(chunk.isLast ? { total: chunk.end, crc32c: crc32cBase64(chunk.crcAtEnd()) } : {}),
        });
      } catch (error) {
        if (chunk.isLast && error instanceof GcsRequestError && error.status === 400) {
          throw new StratoError('E_CORRUPT', `${where}: the service refused the upload: ${error.message}`, {
            cause: error,
            hint: 'the source changed while it was being uploaded, or bytes were damaged on the way; run again',
          });
        }
        if (!isTransient(error) || error instanceof FailureBudgetExhausted) throw error;
        api.budget?.failed(error);
        if (++setbacks >= options.retry.maxAttempts) throw error;
        await sleep(backoffDelay(options.retry, setbacks));
        status = await api.queryResumable(uri, undefined);
      }
      if (status.state === 'done') {
        await journal.clear();
        const object = checkUploaded(status.object, { size: chunk.end, crc: chunk.crcAtEnd() }, where);
        options.onBytes?.(chunk.end - committed);
        return object;
      }
      if (status.state === 'gone') {
        await journal.clear();
        throw new StratoError('E_TRANSIENT', `${where}: the upload session expired or was cancelled`, {
          retryable: true,
          hint: 'run again to start a new upload',
        });
      }
      const confirmed = status.committed;
      if (confirmed < committed || confirmed > chunk.end) {
        await journal.clear();
        throw new StratoError(
          'E_TRANSIENT',
          `${where}: the service reports ${confirmed} bytes, expected ${committed}-${chunk.end}`,
          { retryable: true, hint: 'run again to start a new upload' },
        );
      }
      if (confirmed === committed) {
        if (++setbacks >= options.retry.maxAttempts) {
          throw new StratoError('E_TRANSIENT', `${where}: no progress after ${setbacks} attempts`, {
            retryable: true,
          });
        }
        continue;
      }
      crc = confirmed === chunk.end ? chunk.crcAtEnd() : await chunk.crcAt(confirmed);
      options.onBytes?.(confirmed - committed);
      committed = confirmed;
      setbacks = 0;
      await journal.progress(committed, crc);
    }
  } catch (error) {
    await journal.stopped(committed, crc);
    throw error;
  }
}

/**
 * Bytes between two saves of the journal while an upload goes well: a rerun
 * after a kill re-reads at most this much of the file to bring its CRC32C up
 * to where the service is (a fraction of a second from the page cache).
 */
const JOURNAL_STEP_BYTES = 256 * 1024 * 1024;

/**
 * The session journal, kept up to date in large steps. What a rerun needs
 * from it is the session URI (it then asks the service how far the upload
 * got); the offset only spares re-reading the file up to there. Each save is
 * a small write and a rename, and a disk busy with other writes can hold a
 * rename for most of a second (measured on ext4: 0.75 s, which stalled every
 * upload sharing the thread pool), so the offset is saved every
 * JOURNAL_STEP_BYTES, and once more when the upload stops on an error.
 */
function steppedJournal(journal: SessionJournal | undefined, uri: string, from: number) {
  let saved = from;
  let cleared = false;
  return {
    async progress(committed: number, crc: number): Promise<void> {
      if (!journal || committed - saved < JOURNAL_STEP_BYTES) return;
      await journal.save({ uri, committed, crc });
      saved = committed;
    },
    async stopped(committed: number, crc: number): Promise<void> {
      if (!journal || cleared || committed <= saved) return;
      await journal.save({ uri, committed, crc }).catch(() => {}); // the error being thrown matters more
    },
    async clear(): Promise<void> {
      cleared = true;
      await journal?.clear();
    },
  };
}

/** One request's worth of an upload. */
interface OutgoingChunk {
  /** Offset just past the chunk. */
  end: number;
  isLast: boolean;
  body: Buffer | StreamBody;
  /** CRC32C of the bytes up to `end`, once the body has gone out whole. */
  crcAtEnd(): number;
  /** CRC32C of the bytes up to an offset inside the chunk (when the service kept part of it). */
  crcAt(offset: number): Promise<number>;
}

/**
 * The chunk from `start`: streamed from disk in small pieces when the source
 * allows (its CRC32C computed on the way, or for the last chunk, whose
 * CRC32C goes in a header before its bytes, in a pass of its own), else
 * read into memory.
 */
async function nextChunk(
  source: ChunkSource,
  start: number,
  crc: number,
  chunkSize: number,
): Promise<OutgoingChunk> {
  const crcOfRange = async (from: number, to: number, initial: number) => {
    let running = initial;
    for await (const piece of source.pieces!(from, to)) running = crc32cUpdate(running, piece);
    return running;
  };
  if (source.pieces && source.size !== undefined && start + chunkSize < source.size) {
    const end = start + chunkSize;
    let running = crc;
    const pieces = source.pieces.bind(source);
    return {
      end,
      isLast: false,
      body: {
        length: end - start,
        pieces: async function* () {
          running = crc;
          for await (const piece of pieces(start, end)) {
            running = crc32cUpdate(running, piece);
            yield piece;
          }
        },
      },
      crcAtEnd: () => running,
      crcAt: (offset) => crcOfRange(start, offset, crc),
    };
  }
  if (source.pieces && source.size !== undefined && start < source.size) {
    // The last chunk: its CRC32C must go in a header, before its bytes. One pass over the file
    // computes it, a second sends the bytes (from the page cache by then), instead of holding up
    // to a whole chunk in memory, freshly allocated (measured: that cost more than the re-read).
    const end = source.size;
    const atEnd = await crcOfRange(start, end, crc);
    const pieces = source.pieces.bind(source);
    return {
      end,
      isLast: true,
      body: { length: end - start, pieces: () => pieces(start, end) },
      crcAtEnd: () => atEnd,
      crcAt: (offset) => crcOfRange(start, offset, crc),
    };
  }
  const data = await source.read(start, chunkSize);
  const end = start + data.length;
  const atEnd = crc32cUpdate(crc, data);
  return {
    end,
    isLast: source.size !== undefined ? end >= source.size : data.length < chunkSize,
    body: data,
    crcAtEnd: () => atEnd,
    crcAt: async (offset) => crc32cUpdate(crc, data.subarray(0, offset - start)),
  };
}

/**
 * Picks up a journaled session: asks the service what it has and brings the
 * CRC up to that offset. Undefined when there is nothing to resume.
 */
async function resumeSession(
  api: GcsJsonApi,
  source: ChunkSource,
  options: ResumableUploadOptions,
  where: string,
): Promise<SessionRecord | { object: ObjectResource } | undefined> {
  const saved = await options.journal?.load();
  if (!saved) return undefined;
  let status: Awaited<ReturnType<GcsJsonApi['queryResumable']>>;
  try {
    status = await api.queryResumable(saved.uri, undefined);
  } catch {
    status = { state: 'gone' };
  }
  if (status.state === 'gone' || (status.state === 'incomplete' && status.committed < saved.committed)) {
    await options.journal?.clear();
    return undefined;
  }
  if (status.state === 'done') {
    await options.journal?.clear();
    if (source.size === undefined) return { object: status.object };
    const crc = await advanceCrc(source, saved.crc, saved.committed, source.size);
    const object = checkUploaded(status.object, { size: source.size, crc }, where);
    options.onBytes?.(source.size);
    return { object };
  }
  const crc = await advanceCrc(source, saved.crc, saved.committed, status.committed);
  options.onBytes?.(status.committed);
  return { uri: saved.uri, committed: status.committed, crc };
}

async function advanceCrc(source: ChunkSource, crc: number, from: number, to: number): Promise<number> {
  let running = crc;
  if (source.pieces) {
    for await (const piece of source.pieces(from, to)) running = crc32cUpdate(running, piece);
    return running;
  }
  for (let offset = from; offset < to; ) {
    const data = await source.read(offset, Math.min(8 * 1024 * 1024, to - offset));
    if (data.length === 0) break;
    running = crc32cUpdate(running, data);
    offset += data.length;
  }
  return running;
}

function checkUploaded(
  object: ObjectResource,
  expected: { size: number; crc: number },
  where: string,
): ObjectResource {
  const crc = crc32cBase64(expected.crc);
  if (Number(object.size) !== expected.size || (object.crc32c && object.crc32c !== crc)) {
    throw new StratoError(
      'E_CORRUPT',
      `${where}: uploaded ${expected.size} bytes with CRC32C ${crc}, the service has ${object.size} bytes with ${object.crc32c}`,
      { hint: 'the source changed while it was being uploaded; run again' },
    );
  }
  return object;
}
