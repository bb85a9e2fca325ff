import { describe, expect, it } from 'vitest';
import { listenForInterrupts, untilAborted } from '../../../src/internal/interrupt.ts';

describe('listenForInterrupts', () => {
  it('turns SIGTERM and SIGINT alike into an aborted signal, counting each', async () => {
    const seen: string[] = [];
    const interrupts = listenForInterrupts((count, signal) => seen.push(`${count}:${signal}`));
    try {
      expect(interrupts.signal.aborted).toBe(false);
      process.kill(process.pid, 'SIGTERM');
      await untilAborted(interrupts.signal);
      expect((interrupts.signal.reason as Error).message).toBe('interrupted by SIGTERM');
      process.kill(process.pid, 'SIGINT');
      await expect.poll(() => seen).toEqual(['1:SIGTERM', '2:SIGINT']);
    } finally {
      interrupts.release();
    }
  });

  it('puts the listeners back as they were when released', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const interrupts = listenForInterrupts();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
    interrupts.release();
    interrupts.release();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
