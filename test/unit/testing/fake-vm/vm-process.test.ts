/** Booting a fake VM needs user namespaces; where they are missing, the reason is said, never swallowed. */

import { describe, expect, it } from 'vitest';
import { bootBlocker } from '../../../../src/testing/fake-vm/vm-process.ts';

describe('bootBlocker', () => {
  it('says why fake VMs cannot boot when unshare cannot make the namespaces', () => {
    expect(bootBlocker('strato-no-such-unshare')).toMatch(
      /unshare --user --map-root-user --mount true`? failed here: .*ENOENT.*unprivileged user namespaces/s,
    );
  });

  it('finds nothing in the way on this machine (the fake VM tests run here)', () => {
    expect(bootBlocker()).toBeUndefined();
  });
});
