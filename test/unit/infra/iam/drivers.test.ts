/**
 * The IAM drivers against the fake IAM + Resource Manager on loopback: an
 * account made once (a rerun after a kill takes back its own, refuses
 * anyone else's), project roles added and removed member by member without
 * touching the rest of the policy, concurrent writers reconciled through the
 * etag, and the fake's own rules (account id, ALREADY_EXISTS, stale etag).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredResources, Stack } from '../../../../src/infra/construct.ts';
import { createProjectRoleBindingDriver } from '../../../../src/infra/iam/project-role-binding-driver.ts';
import { ServiceAccount } from '../../../../src/infra/iam/service-account.ts';
import { createServiceAccountDriver } from '../../../../src/infra/iam/service-account-driver.ts';
import type { DesiredResource, DriverContext } from '../../../../src/infra/types.ts';
import { type FakeIam, PROJECT_OWNER, startFakeIam } from '../../../../src/testing/fake-iam/index.ts';

let fake: FakeIam;
const context: DriverContext = { stack: 'demo', project: 'p', outputsOf: () => ({}) };

beforeAll(async () => {
  fake = await startFakeIam();
});
afterAll(async () => {
  await fake.close();
});

const options = () => ({ env: {}, endpoints: { iam: fake.endpoint, resourcemanager: fake.endpoint } });

function resourcesOf(roles: string[], accountId = 'trainer-one') {
  const stack = new Stack('demo', { project: 'p' });
  new ServiceAccount(stack, 'trainer', { accountId, displayName: 'Trainer', roles });
  return desiredResources(stack) as DesiredResource<never>[];
}

describe('the iam.service-account driver', () => {
  it('creates the account once, with its mark; a rerun takes it back; update and delete', async () => {
    const driver = createServiceAccountDriver(options());
    const [account] = resourcesOf([]);
    const made = await driver.create(account!, context);
    expect(made.outputs.email).toBe('trainer-one@p.iam.gserviceaccount.com');
    expect(fake.accounts.byEmail.get('trainer-one@p.iam.gserviceaccount.com')?.description).toBe(
      '[strato-stack=demo id=trainer]',
    );
    // A deploy killed after the create runs again: the same account, not a second one or an error.
    const again = await driver.create(account!, context);
    expect(again.outputs.uniqueId).toBe(made.outputs.uniqueId);
    expect(fake.accounts.list('p')).toHaveLength(1);

    const read = await driver.readMany([driver.refOf(account!, context)], context);
    expect(read.get('trainer-one')).toMatchObject({ stackLabel: 'demo', props: { displayName: 'Trainer' } });
    expect(read.get('trainer-one')!.props.description).toBeUndefined();

    const changed = { ...account!, props: { ...(account!.props as object), description: 'trains' } } as never;
    const changes = driver.diff(read.get('trainer-one')!.props, (changed as DesiredResource).props as never);
    expect(changes).toEqual([{ path: 'description', from: undefined, to: 'trains', forcesReplace: false }]);
    await driver.update(changed, read.get('trainer-one')!, changes, context);
    expect(fake.accounts.byEmail.get('trainer-one@p.iam.gserviceaccount.com')?.description).toBe(
      'trains [strato-stack=demo id=trainer]',
    );

    await driver.delete(
      { ...made, id: 'trainer', kind: 'iam.service-account', dependsOn: [] } as never,
      context,
    );
    expect(fake.accounts.list('p')).toHaveLength(0);
    // Already gone is success.
    await driver.delete(
      { ...made, id: 'trainer', kind: 'iam.service-account', dependsOn: [] } as never,
      context,
    );
  });

  it('never adopts an account it did not make; import (claim) marks it as the stack’s, keeping its text', async () => {
    fake.accounts.create('p', 'someone-else', { displayName: 'Theirs', description: 'made by hand' });
    const driver = createServiceAccountDriver(options());
    const [account] = resourcesOf([], 'someone-else');
    await expect(driver.create(account!, context)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      hint: expect.stringContaining('strato infra import trainer'),
    });
    const [found] = (await driver.readMany([driver.refOf(account!, context)], context)).values();
    const claimed = await driver.claim!(found!, account!, context);
    expect(claimed).toMatchObject({
      stackLabel: 'demo',
      props: { displayName: 'Theirs', description: 'made by hand' },
    });
    expect(fake.accounts.byEmail.get('someone-else@p.iam.gserviceaccount.com')?.description).toBe(
      'made by hand [strato-stack=demo id=trainer]',
    );
    expect((await driver.create(account!, context)).stackLabel).toBe('demo');
    fake.accounts.delete('p', 'someone-else@p.iam.gserviceaccount.com');
  });
});

describe('the iam.project-role-binding driver', () => {
  it('adds and removes its member only, leaving the owner and other members alone', async () => {
    const accounts = createServiceAccountDriver(options());
    const bindings = createProjectRoleBindingDriver(options());
    const [account, ...roles] = resourcesOf([
      'roles/logging.logWriter',
      'roles/monitoring.metricWriter',
      'roles/tpu.viewer',
      'roles/artifactregistry.reader',
    ]);
    await accounts.create(account!, context);
    const other = fake.accounts.create('p', 'other-account', {});
    fake.policies.set('p', {
      ...fake.policies.get('p'),
      bindings: [
        { role: 'roles/owner', members: [PROJECT_OWNER] },
        { role: 'roles/logging.logWriter', members: [`serviceAccount:${other.email}`] },
      ],
    });
    // All four at once: each read-modify-write races the others; the etag makes the losers read again.
    const setsBefore = fake.calls.get('POST :setIamPolicy') ?? 0;
    await Promise.all(roles.map((role) => bindings.create(role!, context)));
    // Four grants, and the writes refused for a stale etag that were made again.
    expect((fake.calls.get('POST :setIamPolicy') ?? 0) - setsBefore).toBeGreaterThan(4);
    const member = 'serviceAccount:trainer-one@p.iam.gserviceaccount.com';
    const policy = fake.policies.get('p');
    expect(policy.bindings).toEqual(
      expect.arrayContaining([
        { role: 'roles/owner', members: [PROJECT_OWNER] },
        { role: 'roles/logging.logWriter', members: [`serviceAccount:${other.email}`, member] },
        { role: 'roles/monitoring.metricWriter', members: [member] },
        { role: 'roles/tpu.viewer', members: [member] },
        { role: 'roles/artifactregistry.reader', members: [member] },
      ]),
    );
    const read = await bindings.readMany(
      roles.map((role) => bindings.refOf(role!, context)),
      context,
    );
    expect([...read.values()].map((actual) => actual.stackLabel)).toEqual(['demo', 'demo', 'demo', 'demo']);

    for (const role of roles) {
      const ref = bindings.refOf(role!, context);
      await bindings.delete(
        { id: role!.id, kind: role!.kind, props: role!.props, ref, outputs: {}, dependsOn: [] },
        context,
      );
    }
    expect(fake.policies.get('p').bindings).toEqual([
      { role: 'roles/owner', members: [PROJECT_OWNER] },
      { role: 'roles/logging.logWriter', members: [`serviceAccount:${other.email}`] },
    ]);
  });

  it('does not take over a role an existing account held already', async () => {
    const stack = new Stack('demo', { project: 'p' });
    const existing = fake.accounts.create('p', 'ci-runner', {});
    ServiceAccount.fromEmail(stack, 'runner', existing.email, { roles: ['roles/tpu.viewer'] });
    const [role] = desiredResources(stack) as DesiredResource<never>[];
    const policy = fake.policies.get('p');
    fake.policies.set('p', {
      ...policy,
      bindings: [
        ...policy.bindings,
        { role: 'roles/tpu.viewer', members: [`serviceAccount:${existing.email}`] },
      ],
    });
    const bindings = createProjectRoleBindingDriver(options());
    await expect(bindings.create(role!, context)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      hint: expect.stringContaining('strato infra import runner/tpu.viewer'),
    });
  });
});

describe('the fake IAM and Resource Manager', () => {
  const post = (path: string, body: unknown) =>
    fetch(`${fake.endpoint}/${path}`, { method: 'POST', body: JSON.stringify(body) });

  it('enforces the account id rule, one account per id, and the email form', async () => {
    for (const bad of ['short', 'a'.repeat(31), '1starts-with-digit', 'ends-with-dash-']) {
      const response = await post('v1/projects/q/serviceAccounts', { accountId: bad });
      expect(response.status, bad).toBe(400);
    }
    const made = await post('v1/projects/q/serviceAccounts', { accountId: 'valid-id' });
    expect(await made.json()).toMatchObject({
      email: 'valid-id@q.iam.gserviceaccount.com',
      name: 'projects/q/serviceAccounts/valid-id@q.iam.gserviceaccount.com',
    });
    const twice = await post('v1/projects/q/serviceAccounts', { accountId: 'valid-id' });
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ error: { status: 'ALREADY_EXISTS' } });
    const any = await fetch(
      `${fake.endpoint}/v1/projects/-/serviceAccounts/valid-id@q.iam.gserviceaccount.com`,
    );
    expect(any.status).toBe(200);
  });

  it('refuses a stale etag (409 ABORTED) and a member account that does not exist', async () => {
    const read = (await (await post('v3/projects/q:getIamPolicy', {})).json()) as {
      etag: string;
      bindings: unknown[];
    };
    const first = await post('v3/projects/q:setIamPolicy', { policy: { ...read } });
    expect(first.status).toBe(200);
    const stale = await post('v3/projects/q:setIamPolicy', { policy: { ...read } });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: { status: 'ABORTED' } });
    const ghost = await post('v3/projects/q:setIamPolicy', {
      policy: {
        bindings: [{ role: 'roles/tpu.viewer', members: ['serviceAccount:ghost@q.iam.gserviceaccount.com'] }],
      },
    });
    expect(ghost.status).toBe(400);
  });
});

describe('credentials', () => {
  it('GIVEN Google’s endpoint and no credentials THEN E_AUTH names `gcloud auth application-default login`, before any request', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/strato-test-key.json';
    try {
      // A TLS endpoint nobody listens on: had a request been sent, the error would be E_TRANSIENT.
      const driver = createServiceAccountDriver({ env: {}, endpoints: { iam: 'https://127.0.0.1:9' } });
      const error = await driver
        .readMany(
          [{ project: 'p', location: 'global', name: 'x', email: 'x@p.iam.gserviceaccount.com' }],
          context,
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_AUTH',
        hint: expect.stringContaining('gcloud auth application-default login'),
      });
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});
