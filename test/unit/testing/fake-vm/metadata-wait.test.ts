/**
 * The fake metadata server's long poll, as GCE's behaves
 * (https://cloud.google.com/compute/docs/metadata/querying-metadata#waitforchange):
 * every answer carries an ETag; `wait_for_change=true` answers at once when
 * `last_etag` is absent or stale, else holds the request until the value
 * changes (read live, as a setMetadata or node patch changes it) or
 * `timeout_sec` passes, then answers with the value as it is.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { VmIdentity } from '../../../../src/testing/fake-vm/identity.ts';
import { type MetadataServer, startMetadataServer } from '../../../../src/testing/fake-vm/metadata-server.ts';

let attributes: Record<string, string> = {};
let server: MetadataServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const vm: VmIdentity = {
  id: 'compute/1',
  instanceId: '1',
  name: 'vm-0',
  hostname: 'vm-0.us-central1-a.c.p.internal',
  aliases: ['vm-0'],
  project: 'p',
  zone: 'us-central1-a',
  ip: '127.0.0.1',
  attributes: () => attributes,
  guestAttributesEnabled: () => true,
  getGuestAttribute: () => undefined,
  setGuestAttribute: () => {},
  console: () => {},
};

async function get(query: string): Promise<{ body: string; etag: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(
    `http://${server!.host}/computeMetadata/v1/instance/attributes/?recursive=true${query}`,
    {
      headers: { 'Metadata-Flavor': 'Google' },
    },
  );
  return { body: await response.text(), etag: response.headers.get('etag') ?? '', ms: Date.now() - started };
}

describe('fake metadata server: wait_for_change', () => {
  it('GIVEN no last_etag or a stale one THEN it answers at once, with an ETag that follows the value', async () => {
    attributes = { 'strato-standing': 'TRUE' };
    server = await startMetadataServer(vm);
    const first = await get('&wait_for_change=true&timeout_sec=5');
    expect(JSON.parse(first.body)).toEqual({ 'strato-standing': 'TRUE' });
    expect(first.etag).toMatch(/^[0-9a-f]{16}$/);
    expect(first.ms).toBeLessThan(2000);
    const stale = await get('&wait_for_change=true&timeout_sec=5&last_etag=0');
    expect(stale.etag).toBe(first.etag);
    expect(stale.ms).toBeLessThan(2000);
  });

  it('GIVEN the current ETag THEN the answer waits for the change, and carries it', async () => {
    attributes = { 'strato-standing': 'TRUE' };
    server = await startMetadataServer(vm);
    const { etag } = await get('');
    const waiting = get(`&wait_for_change=true&timeout_sec=30&last_etag=${etag}`);
    setTimeout(() => {
      attributes = { 'strato-standing': 'TRUE', 'strato-job': 'j1' };
    }, 400);
    const changed = await waiting;
    expect(JSON.parse(changed.body)).toEqual({ 'strato-standing': 'TRUE', 'strato-job': 'j1' });
    expect(changed.etag).not.toBe(etag);
    expect(changed.ms).toBeGreaterThanOrEqual(350);
  });

  it('GIVEN no change within timeout_sec THEN it answers with the value as it is, the same ETag', async () => {
    attributes = { a: '1' };
    server = await startMetadataServer(vm);
    const { etag } = await get('');
    const same = await get(`&wait_for_change=true&timeout_sec=1&last_etag=${etag}`);
    expect(same.etag).toBe(etag);
    expect(same.ms).toBeGreaterThanOrEqual(900);
  });
});
