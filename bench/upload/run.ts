/**
 * Upload benchmark (issue 5): strato vs `rclone copy --transfers 16
 * --checkers 16` against the same fake Cloud Storage (its own process: in
 * memory for the small files, on disk for the large ones) in the same run.
 *
 * Dataset: 10,000 files of 4–64 KiB in 100 folders, and 4 files of 256 MiB.
 * Measured: the small files, a no-change re-sync of them (warm-up, then the
 * median of 5, for each tool; strato both in-process through the SDK and as a
 * new `strato data push` process), the same small files through the stock
 * @google-cloud/storage upload path (what the lean path replaces), and the
 * large files (an unmeasured warm-up upload by each tool, then the median of
 * three runs each, the tools taking turns). Each run starts from the same
 * page cache. Client CPU is user + system time of the client; server CPU
 * that of the fake.
 *
 *   npx tsx bench/upload/run.ts [--small N] [--large N] [--large-mib M] [--skip-stock] [--keep]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '../../src/cli/format.ts';
import { formatBytes } from '../../src/cli/progress-report.ts';
import { createDataset } from './dataset.ts';
import {
  type FakeServer,
  hasRclone,
  type Measurement,
  measureRclone,
  measureStrato,
  measureStratoCli,
  startFakeServer,
  warmCache,
} from './tools.ts';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '10000' },
    large: { type: 'string', default: '4' },
    'large-mib': { type: 'string', default: '256' },
    'skip-stock': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const BUCKET = 'bench';
/** Re-syncs are short: the median of several runs (after a warm-up), for each tool alike. */
const RESYNC_RUNS = 5;
/** Large-file uploads take a few seconds each: the median of three per tool, taking turns. */
const LARGE_RUNS = 3;
const shape = {
  smallFiles: Number(values.small),
  largeFiles: Number(values.large),
  largeBytes: Number(values['large-mib']) * 1024 * 1024,
};

interface Row {
  tool: string;
  what: string;
  files: number;
  bytes: number;
  m: Measurement;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'strato-bench-upload-'));
  let server: FakeServer | undefined;
  let diskServer: FakeServer | undefined;
  try {
    const withRclone = await hasRclone();
    if (!withRclone) console.error('rclone not found: only strato is measured (apt-get install rclone)');
    console.error(`generating ${shape.smallFiles} small and ${shape.largeFiles} large files in ${root} …`);
    const data = await createDataset(join(root, 'data'), shape);
    server = await startFakeServer(undefined, BUCKET);
    diskServer = await startFakeServer(join(root, 'fake'), BUCKET);
    const options = { gcs: { apiEndpoint: server.endpoint }, cacheDir: join(root, 'strato-cache') };
    const diskOptions = { ...options, gcs: { apiEndpoint: diskServer.endpoint } };
    const rows: Row[] = [];
    const small = (tool: string, what: string, m: Measurement) =>
      rows.push({ tool, what, files: shape.smallFiles, bytes: data.smallBytes, m });
    const large = (tool: string, m: Measurement) =>
      rows.push({ tool, what: 'large files', files: shape.largeFiles, bytes: data.largeBytes, m });

    const warm = warmCache;
    console.error('small files …');
    await warm(data.smallDir);
    small(
      'strato',
      'small files',
      await measureStrato(server, data.smallDir, `gs://${BUCKET}/strato-small`, options),
    );
    await warm(data.smallDir);
    if (withRclone)
      small('rclone', 'small files', await measureRclone(server, data.smallDir, `${BUCKET}/rclone-small`));
    console.error(`no-change re-sync (a warm-up, then the median of ${RESYNC_RUNS}, each) …`);
    await warm(data.smallDir);
    const resync = await medianOf(RESYNC_RUNS, () =>
      measureStrato(server!, data.smallDir, `gs://${BUCKET}/strato-small`, options),
    );
    small('strato', 'no-change re-sync', resync);
    if (withRclone) {
      const theirs = await medianOf(RESYNC_RUNS, () =>
        measureRclone(server!, data.smallDir, `${BUCKET}/rclone-small`),
      );
      small('rclone', 'no-change re-sync', theirs);
    }
    const home = join(root, 'strato-home');
    const cli = await medianOf(RESYNC_RUNS, () =>
      measureStratoCli(server!, data.smallDir, `gs://${BUCKET}/strato-small`, home),
    );
    small('strato CLI (new process)', 'no-change re-sync', cli);
    if (!values['skip-stock']) {
      console.error('small files, stock client …');
      await warm(data.smallDir);
      small(
        'strato (stock client)',
        'small files',
        await measureStrato(server, data.smallDir, `gs://${BUCKET}/stock-small`, {
          ...options,
          gcs: { ...options.gcs, transport: 'stock' },
        }),
      );
    }
    if (shape.largeFiles > 0) {
      // One unmeasured resumable upload per tool first, as for the re-syncs: the measured runs see
      // a server in its steady state (code compiled, buffers allocated), not the first one to arrive.
      console.error(`large files (a warm-up, then the median of ${LARGE_RUNS}, the tools taking turns) …`);
      await measureStrato(diskServer, data.warmupDir, `gs://${BUCKET}/strato-warmup`, diskOptions);
      if (withRclone) await measureRclone(diskServer, data.warmupDir, `${BUCKET}/rclone-warmup`);
      const ours: Measurement[] = [];
      const theirs: Measurement[] = [];
      for (let run = 0; run < LARGE_RUNS; run++) {
        await warm(data.largeDir);
        ours.push(
          await measureStrato(diskServer, data.largeDir, `gs://${BUCKET}/strato-large-${run}`, diskOptions),
        );
        if (!withRclone) continue;
        await warm(data.largeDir);
        theirs.push(await measureRclone(diskServer, data.largeDir, `${BUCKET}/rclone-large-${run}`));
      }
      large('strato', median(ours));
      if (withRclone) large('rclone', median(theirs));
    }
    print(rows);
  } finally {
    await server?.stop();
    await diskServer?.stop();
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The run with the median time, after one unmeasured warm-up run: the steady
 * state (the fake's listing cache filled, code compiled) for each tool alike,
 * and one slow run (a busy neighbour on this shared machine) does not decide.
 */
async function medianOf<T extends Measurement>(runs: number, measure: () => Promise<T>): Promise<T> {
  await measure();
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure());
  return median(results);
}

function median<T extends Measurement>(results: T[]): T {
  console.error(`  runs: ${results.map((r) => r.seconds.toFixed(3)).join(', ')} s`);
  return [...results].sort((a, b) => a.seconds - b.seconds)[Math.floor(results.length / 2)]!;
}

function print(rows: Row[]): void {
  const find = (tool: string, what: string) => rows.find((r) => r.tool === tool && r.what === what);
  const ratio = (row: Row): string => {
    const theirs = find('rclone', row.what);
    if (!theirs || row.tool === 'rclone') return '';
    // Throughput ratio for uploads; time ratio (rclone's over ours) for the no-change sync.
    return `${(theirs.m.seconds / row.m.seconds).toFixed(2)}×`;
  };
  console.log(
    table([
      [
        'TOOL',
        'WHAT',
        'FILES',
        'BYTES',
        'SECONDS',
        'FILES/S',
        'MB/S',
        'CLIENT CPU S',
        'SERVER CPU S',
        'VS RCLONE',
      ],
      ...rows.map((row) => [
        row.tool,
        row.what,
        String(row.files),
        formatBytes(row.bytes),
        row.m.seconds.toFixed(2),
        row.what.includes('re-sync') ? '-' : (row.files / row.m.seconds).toFixed(0),
        row.what.includes('re-sync') ? '-' : (row.bytes / 1e6 / row.m.seconds).toFixed(1),
        row.m.cpu.toFixed(2),
        row.m.serverCpu === undefined ? '-' : row.m.serverCpu.toFixed(2),
        ratio(row),
      ]),
    ]),
  );
  console.log('VS RCLONE: rclone time / strato time on the same work (above 1: strato faster).');
}

await main();
