import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { EventFileWriter } from '../../src/metrics/writer.ts';
import { withTempDir } from '../support/event-files.ts';
import { requireTool } from '../support/tools.ts';

const CHROMIUM = requireTool('chromium');

/** What the page drew, read back from the DOM and SVG geometry. */
interface DrawnChart {
  tag: string;
  lines: { run: string; vertices: number; dots: number; xs: number[]; inFrame: boolean; width: number }[];
  legend: string[];
  /** The x axis: its title and tick labels, as drawn. */
  xAxis: { title: string; ticks: string[] };
}

async function kerasRun(dir: string): Promise<void> {
  const train = await EventFileWriter.create(join(dir, 'logs', 'train'));
  const validation = await EventFileWriter.create(join(dir, 'logs', 'validation'));
  for (let step = 0; step < 150; step++)
    train.addScalar('batch_loss', 2 / (step + 2) + (step % 7) / 100, step);
  for (let epoch = 0; epoch < 5; epoch++) {
    train.addScalar('epoch_loss', 1 - epoch / 8, epoch);
    validation.addScalar('epoch_loss', 1.1 - epoch / 9, epoch);
    train.addScalar('epoch_accuracy', epoch / 6, epoch);
    validation.addScalar('epoch_accuracy', epoch === 2 ? Number.NaN : epoch / 7, epoch); // a gap in the line
  }
  train.addScalar('learning_rate', 0.001, 0);
  await Promise.all([train.close(), validation.close()]);
}

describe('metrics HTML report in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws one chart per tag, train and validation on the same axes, with every point, offline', async () => {
    await withTempDir(async (dir) => {
      await kerasRun(join(dir, 'run'));
      const io = bufferIo({ cwd: dir, env: {} });
      expect(await main(['metrics', 'run', '--html', 'report.html'], io)).toBe(0);

      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      const url = pathToFileURL(join(dir, 'report.html')).href;
      await page.goto(url);
      await page.waitForSelector('body[data-charts-drawn]');

      // Runs in the page: reads the drawn SVG back (attributes and geometry), not the embedded data.
      const charts: DrawnChart[] = await page.$$eval('figure.chart', (figures) =>
        figures.map((figure) => {
          const frame = figure.querySelector('rect.frame')!;
          const [fx, fy, fw, fh] = ['x', 'y', 'width', 'height'].map((name) =>
            Number(frame.getAttribute(name)),
          );
          return {
            tag: figure.getAttribute('data-tag') ?? '',
            legend: [...figure.querySelectorAll('.legend-entry')].map((e) => e.textContent ?? ''),
            xAxis: {
              title: figure.querySelector('text.axis-title')?.textContent ?? '',
              // Tick labels under the frame: centred text below its bottom edge.
              ticks: [...figure.querySelectorAll('text[text-anchor="middle"]:not(.axis-title)')]
                .filter((t) => Number(t.getAttribute('y')) > fy! + fh!)
                .map((t) => t.textContent ?? ''),
            },
            lines: [...figure.querySelectorAll('g.run')].map((group) => {
              const path = group.querySelector('path.series')!;
              const points = [...(path.getAttribute('d') ?? '').matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map(
                (m) => [Number(m[1]), Number(m[2])],
              );
              const inside = ([x, y]: number[]) =>
                x! >= fx! - 0.01 && x! <= fx! + fw! + 0.01 && y! >= fy! - 0.01 && y! <= fy! + fh! + 0.01;
              return {
                run: group.getAttribute('data-run') ?? '',
                vertices: points.length,
                dots: group.querySelectorAll('circle.dot').length,
                xs: points.map(([x]) => x!),
                inFrame: points.every(inside),
                width: (path as unknown as { getBBox(): { width: number } }).getBBox().width,
              };
            }),
          };
        }),
      );
      await page.close();

      expect(problems).toEqual([]);
      expect(requests).toEqual([url]); // the page itself, nothing else
      expect(charts.map((c) => c.tag)).toEqual([
        'batch_loss',
        'epoch_accuracy',
        'epoch_loss',
        'learning_rate',
      ]);

      const byTag = Object.fromEntries(charts.map((c) => [c.tag, c]));
      expect(byTag.epoch_loss!.legend).toEqual(['train', 'validation']);
      expect(byTag.epoch_loss!.lines.map((l) => [l.run, l.vertices, l.dots])).toEqual([
        ['train', 5, 5],
        ['validation', 5, 5],
      ]);
      // NaN leaves a gap: 4 drawn points in two pieces.
      expect(byTag.epoch_accuracy!.lines.map((l) => [l.run, l.vertices, l.dots])).toEqual([
        ['train', 5, 5],
        ['validation', 4, 4],
      ]);
      // A long series is a line without dots.
      expect(byTag.batch_loss!.lines.map((l) => [l.run, l.vertices, l.dots])).toEqual([['train', 150, 0]]);
      expect(byTag.learning_rate!.lines.map((l) => [l.run, l.vertices, l.dots])).toEqual([['train', 1, 1]]);

      for (const chart of charts) {
        for (const line of chart.lines) {
          expect(line.inFrame, `${chart.tag}/${line.run} inside its axes`).toBe(true);
          expect(line.xs, `${chart.tag}/${line.run} drawn left to right by step`).toEqual(
            [...line.xs].sort((a, b) => a - b),
          );
        }
      }
      // Epochs are counted from 1, as `strato run` printed them (Keras writes epoch 1 at step 0);
      // other tags keep their steps as written.
      for (const tag of ['epoch_loss', 'epoch_accuracy']) {
        expect(byTag[tag]!.xAxis.title).toBe('epoch');
        expect(byTag[tag]!.xAxis.ticks[0]).toBe('1');
        expect(byTag[tag]!.xAxis.ticks.at(-1)).toBe('5');
        expect(byTag[tag]!.xAxis.ticks).not.toContain('0');
      }
      expect(byTag.batch_loss!.xAxis.title).toBe('step');
      expect(byTag.batch_loss!.xAxis.ticks[0]).toBe('0');
      // Train and validation share the x axis: the same epochs land on the same x.
      expect(byTag.epoch_loss!.lines[0]!.xs).toEqual(byTag.epoch_loss!.lines[1]!.xs);
      expect(byTag.batch_loss!.lines[0]!.width).toBeGreaterThan(400);
    });
  });
});
