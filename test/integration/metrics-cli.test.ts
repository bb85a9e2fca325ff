import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { createMetricsCommand } from '../../src/cli/commands/metrics.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { EventFileWriter } from '../../src/metrics/writer.ts';
import { seededBytes, tensorScalarRecord, versionRecord, withTempDir } from '../support/event-files.ts';
import { jobRecordText } from '../support/records.ts';

/** A run dir as Keras leaves it: logs/train (epoch and batch values) and logs/validation. */
async function kerasRunDir(dir: string): Promise<void> {
  const train = await EventFileWriter.create(join(dir, 'logs', 'train'), { now: () => 1_700_000_000_000 });
  const validation = await EventFileWriter.create(join(dir, 'logs', 'validation'), {
    now: () => 1_700_000_000_000,
  });
  for (let epoch = 0; epoch < 3; epoch++) {
    for (let batch = 0; batch < 4; batch++) {
      const step = epoch * 4 + batch;
      train.addScalar('batch_loss', 1 / (step + 1), step, 1_700_000_000 + step);
    }
    train.addScalar('epoch_loss', 0.5 - epoch / 10, epoch, 1_700_000_000 + epoch * 4);
    train.addScalar('epoch_accuracy', 0.6 + epoch / 10, epoch, 1_700_000_000 + epoch * 4);
    validation.addScalar('epoch_loss', 0.55 - epoch / 10, epoch, 1_700_000_000 + epoch * 4);
  }
  await Promise.all([train.close(), validation.close()]);
}

async function run(argv: string[], dir: string, env: NodeJS.ProcessEnv = {}) {
  const io = bufferIo({ cwd: dir, env: { STRATO_HOME: join(dir, 'home'), ...env } });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('strato metrics', () => {
  it('prints the latest value of every series of a run dir, with the last step and pace', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      const { code, stdout, stderr } = await run(['metrics', 'run'], dir);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(
        [
          // Epochs read as Keras printed them (its "Epoch 3/3" is step 2 in the event files).
          'RUN         TAG             STEP     VALUE      POINTS',
          'train       batch_loss      11       0.0833333  12',
          'train       epoch_accuracy  epoch 3  0.8        3',
          'train       epoch_loss      epoch 3  0.3        3',
          'validation  epoch_loss      epoch 3  0.35       3',
          '',
          'last step 11, 1 steps/s',
          '',
        ].join('\n'),
      );
    });
  });

  it('streams NDJSON and CSV, one line per value', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      const json = await run(['metrics', 'run', '--json'], dir);
      const lines = json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(21);
      expect(lines[0]).toMatchObject({ run: 'train', tag: 'batch_loss', step: 0, value: 1 });
      expect(Object.keys(lines[0])).toEqual(['run', 'tag', 'step', 'value', 'wallTime', 'file']);
      const csv = await run(['metrics', pathToFileURL(join(dir, 'run')).href, '--csv'], dir);
      const rows = csv.stdout.trim().split('\n');
      expect(rows[0]).toBe('run,tag,step,value,wall_time,file');
      expect(rows).toHaveLength(22);
      expect(rows.at(-1)).toMatch(/^validation,epoch_loss,2,0\.3499999940395355,1700000008,\/.*\.v2$/);
    });
  });

  it('draws a text chart per tag with train and validation on the same axes', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      const { code, stdout } = await run(['metrics', 'run', '--plot'], dir);
      expect(code).toBe(0);
      const charts = stdout.trim().split('\n\n');
      expect(charts.map((c) => c.split('\n')[0])).toEqual(['batch_loss', 'epoch_accuracy', 'epoch_loss']);
      expect(charts[2]).toContain('* train   o validation');
    });
  });

  it('writes a self-contained HTML report', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      const { code, stdout } = await run(['metrics', 'run', '--html', 'report.html'], dir);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(`wrote ${join(dir, 'report.html')}: 3 charts, 21 values`);
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      expect(html).toContain('<script type="application/json" id="strato-metrics">');
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // nothing loaded from elsewhere
    });
  });

  it('finds a job’s run dir through the job store', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'runs', 'mnist-1'));
      await mkdir(join(dir, 'home', 'jobs', 'mnist-1'), { recursive: true });
      await writeFile(
        join(dir, 'home', 'jobs', 'mnist-1', 'job.json'),
        jobRecordText('mnist-1', { runDir: pathToFileURL(join(dir, 'runs', 'mnist-1')).href }),
      );
      const { code, stdout } = await run(['metrics', 'mnist-1', '--json'], dir);
      expect(code).toBe(0);
      expect(stdout.trim().split('\n')).toHaveLength(21);
    });
  });

  it('exits 2 naming a target that is neither a file, a folder, a URI nor a job id', async () => {
    await withTempDir(async (dir) => {
      const { code, stderr } = await run(['metrics', 'no-such-thing'], dir);
      expect(code).toBe(2);
      expect(stderr).toContain('error: "no-such-thing" is neither a file, a folder, a URI nor a job id');
      expect(stderr).toContain('hint: ');
    });
  });

  it('exits 2 for outputs that cannot go together', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      expect((await run(['metrics', 'run', '--json', '--csv'], dir)).stderr).toContain(
        '--json and --csv cannot be combined',
      );
      const follow = await run(['metrics', 'run', '--follow', '--html', 'x.html'], dir);
      expect(follow.code).toBe(2);
      expect(follow.stderr).toContain('--follow streams values; --html draws what is there now');
    });
  });

  it('reports a corrupt file on stderr with its offset and still shows the rest', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      const bad = join(dir, 'run', 'logs', 'train', 'events.out.tfevents.2.bad');
      await writeFile(bad, seededBytes(64, 9));
      const { code, stdout, stderr } = await run(['metrics', 'run'], dir);
      expect(code).toBe(0);
      expect(stdout).toContain('validation  epoch_loss');
      expect(stderr).toMatch(new RegExp(`^warning: ${bad} at offset 0: length CRC mismatch`));
    });
  });

  it('says so when a folder has no event files yet', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'empty'));
      const { code, stdout, stderr } = await run(['metrics', 'empty'], dir);
      expect(code).toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain('no scalars under empty yet');
    });
  });

  it('follows new values as NDJSON until stopped', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'run', 'logs', 'train', 'events.out.tfevents.1.live');
      await mkdir(join(dir, 'run', 'logs', 'train'), { recursive: true });
      await writeFile(path, Buffer.concat([versionRecord(), tensorScalarRecord('batch_loss', 1, 0.5)]));
      const controller = new AbortController();
      const command = createMetricsCommand({ signal: controller.signal, pollIntervalMs: 10 });
      const lines: string[] = [];
      const io = bufferIo({ cwd: dir, env: {} });
      io.out = (text) => {
        lines.push(text);
        if (lines.length === 1) void appendFile(path, tensorScalarRecord('batch_loss', 2, 0.25));
        if (lines.length === 2) controller.abort();
      };
      const code = await command.run(parseCommandArgs(command, ['run', '--follow', '--json']), io);
      expect(code).toBe(0);
      expect(lines.map((line) => JSON.parse(line).step)).toEqual([1, 2]);
    });
  });
});
