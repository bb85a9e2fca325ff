/**
 * A fake VM's metadata server, spoken to as a VM's programs speak to it
 * (HTTP with `Metadata-Flavor: Google`): what it refuses as the real one
 * does, attributes read live, a token, and guest attributes that land where
 * the service's API reads them.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmIdentity } from '../../../../src/testing/fake-vm/identity.ts';
import { type MetadataServer, startMetadataServer } from '../../../../src/testing/fake-vm/metadata-server.ts';

const attributes: Record<string, string> = { 'strato-job': 'job-1', 'enable-guest-attributes': 'TRUE' };
const guest = new Map<string, string>();
const vm: VmIdentity = {
  id: 'compute/42',
  instanceId: '42',
  name: 'vm-1',
  hostname: 'vm-1.us-central1-a.c.proj.internal',
  aliases: ['vm-1'],
  project: 'proj',
  zone: 'us-central1-a',
  ip: '10.128.0.5',
  attributes: () => attributes,
  guestAttributesEnabled: () => attributes['enable-guest-attributes'] === 'TRUE',
  getGuestAttribute: (namespace, key) => guest.get(`${namespace}/${key}`),
  setGuestAttribute: (namespace, key, value) => guest.set(`${namespace}/${key}`, value),
  console: () => {},
};

let server: MetadataServer;
beforeAll(async () => {
  server = await startMetadataServer(vm);
});
afterAll(() => server.close());

const url = (path: string) => `http://${server.host}/computeMetadata/v1/${path}`;
const get = (path: string) => fetch(url(path), { headers: { 'Metadata-Flavor': 'Google' } });

describe('the fake metadata server', () => {
  it('refuses a request without Metadata-Flavor: Google (403), as the real one does', async () => {
    const answer = await fetch(url('instance/attributes/strato-job'));
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain('Missing Metadata-Flavor:Google header');
  });

  it('serves instance attributes live, and 404 for one that is not set', async () => {
    const answer = await get('instance/attributes/strato-job');
    expect([answer.status, answer.headers.get('metadata-flavor'), await answer.text()]).toEqual([
      200,
      'Google',
      'job-1',
    ]);
    attributes['strato-attempt'] = '2';
    expect(await (await get('instance/attributes/strato-attempt')).text()).toBe('2');
    expect((await get('instance/attributes/missing')).status).toBe(404);
    expect(await (await get('instance/attributes/?recursive=true')).json()).toMatchObject({
      'strato-attempt': '2',
    });
  });

  it('serves the instance, project and a service account token', async () => {
    expect(await (await get('instance/name')).text()).toBe('vm-1');
    expect(await (await get('instance/hostname')).text()).toBe('vm-1.us-central1-a.c.proj.internal');
    expect(await (await get('instance/zone')).text()).toBe('projects/123456789012/zones/us-central1-a');
    expect(await (await get('project/project-id')).text()).toBe('proj');
    const token = (await (await get('instance/service-accounts/default/token')).json()) as Record<
      string,
      unknown
    >;
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(token.access_token).toMatch(/^ya29\./);
  });

  it('keeps guest attributes the VM PUTs, where the service reads them; refuses them when disabled', async () => {
    const put = await fetch(url('instance/guest-attributes/strato/state'), {
      method: 'PUT',
      headers: { 'Metadata-Flavor': 'Google' },
      body: 'running',
    });
    expect(put.status).toBe(200);
    expect(guest.get('strato/state')).toBe('running');
    expect(await (await get('instance/guest-attributes/strato/state')).text()).toBe('running');
    attributes['enable-guest-attributes'] = 'FALSE';
    const refused = await fetch(url('instance/guest-attributes/strato/state'), {
      method: 'PUT',
      headers: { 'Metadata-Flavor': 'Google' },
      body: 'exited',
    });
    expect(refused.status).toBe(403);
    expect(guest.get('strato/state')).toBe('running');
  });
});
