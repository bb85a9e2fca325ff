import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SUPERVISOR_MAIN, supervisorNodeArgs } from '../../../../src/providers/local/supervisor-launch.ts';

const PACKAGE_ROOT = dirname(fileURLToPath(new URL('../../../../package.json', import.meta.url)));

describe('supervisor launch', () => {
  it("starts the supervisor from this package's own module, with nothing but Node in front of it", () => {
    expect(relative(PACKAGE_ROOT, SUPERVISOR_MAIN)).toBe('src/providers/local/supervisor-main.ts');
    expect(existsSync(SUPERVISOR_MAIN)).toBe(true);
    // Node 24 strips the types itself: no loader, no cached bundle.
    expect(supervisorNodeArgs()).toEqual([SUPERVISOR_MAIN]);
  });
});
