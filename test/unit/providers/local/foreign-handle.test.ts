import { describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../../../src/providers/local/index.ts';
import type { JobHandle } from '../../../../src/providers/types.ts';

describe('local provider, given a handle that is not one of its jobs', () => {
  const foreign: JobHandle = {
    provider: 'vertex',
    id: 'mnist-abc123',
    data: { provider: 'vertex', attempts: [] },
  };

  it('status, cancel and logs say E_NOT_FOUND with a hint, as every provider does', async () => {
    const provider = createLocalProvider();
    const expected = { code: 'E_NOT_FOUND', message: 'no local job behind handle mnist-abc123' };
    await expect(provider.status(foreign)).rejects.toMatchObject(expected);
    await expect(provider.cancel(foreign)).rejects.toMatchObject(expected);
    await expect(
      (async () => {
        for await (const _line of provider.logs(foreign, {})) break;
      })(),
    ).rejects.toMatchObject({ ...expected, hint: expect.stringContaining('strato list') });
  });
});
