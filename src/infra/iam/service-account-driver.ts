/**
 * The `iam.service-account` driver over IAM v1. An account has no labels,
 * so its description carries the stack's mark (`[strato-stack=S id=ID]`,
 * as Compute networks do): an account with the deterministic id and this
 * stack's mark is one a killed deploy made and is taken back; one without
 * is never adopted (`strato infra import`). Reads list each project's
 * accounts once. Display name and description change in place; a new id
 * or project is a new account.
 */

import { StratoError } from '../../errors.ts';
import { diffProps } from '../diff.ts';
import { markedDescription, readMark } from '../gcp/naming.ts';
import type { DriverOptions } from '../registry.ts';
import type { ActualResource, CloudRef, DriverContext, ResourceDriver } from '../types.ts';
import { createIamApi, type IamApi, type ServiceAccountJson } from './iam-api.ts';
import { SERVICE_ACCOUNT_KIND, type ServiceAccountProps } from './service-account.ts';

const IN_PLACE = new Set(['displayName', 'description']);

export function lazyIamApi(options: DriverOptions): () => IamApi {
  let api: IamApi | undefined;
  return () => {
    api ??= createIamApi({
      env: options.env,
      ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    });
    return api;
  };
}

/** The account in the construct's terms, its mark read off the description. */
export function accountActual(
  account: ServiceAccountJson,
  ref: CloudRef,
): ActualResource<ServiceAccountProps> {
  const { mark, text } = readMark(account.description);
  return {
    ref: { ...ref, email: account.email },
    props: {
      project: account.projectId,
      accountId: account.email.split('@')[0]!,
      email: account.email,
      ...(account.displayName ? { displayName: account.displayName } : {}),
      ...(text ? { description: text } : {}),
    },
    outputs: { email: account.email, member: `serviceAccount:${account.email}`, uniqueId: account.uniqueId },
    ...(mark ? { stackLabel: mark.stack } : {}),
    status: account.disabled ? 'DISABLED' : 'ENABLED',
  };
}

function fieldsOf(props: ServiceAccountProps, stack: string, id: string) {
  return {
    ...(props.displayName ? { displayName: props.displayName } : {}),
    description: markedDescription({ stack, id }, props.description),
  };
}

export function createServiceAccountDriver(options: DriverOptions): ResourceDriver<ServiceAccountProps> {
  const api = lazyIamApi(options);

  async function readOne(ref: CloudRef): Promise<ActualResource<ServiceAccountProps> | undefined> {
    const account = await api().getAccount(ref.project, ref.email as string);
    return account ? accountActual(account, ref) : undefined;
  }

  /** Ours is returned; anyone else's is refused, naming `strato infra import`. */
  function claim(existing: ActualResource<ServiceAccountProps>, context: DriverContext, id: string) {
    if (existing.stackLabel === context.stack) return existing;
    throw new StratoError(
      'E_CONFLICT',
      `service account ${existing.props.email} exists already and is not stack ${context.stack}'s (${existing.stackLabel ? `it is stack ${existing.stackLabel}'s` : 'it has no strato-stack mark'})`,
      { hint: `adopt it with \`strato infra import ${id}\`, or give the account another accountId` },
    );
  }

  const driver: ResourceDriver<ServiceAccountProps> = {
    kind: SERVICE_ACCOUNT_KIND,
    cloudName: (resource) => resource.props.accountId,
    refOf: (resource) => ({
      project: resource.props.project,
      location: 'global',
      name: resource.props.accountId,
      email: resource.props.email,
    }),

    async readMany(refs) {
      const found = new Map<string, ActualResource<ServiceAccountProps>>();
      const projects = [...new Set(refs.map((ref) => ref.project))];
      // One list per project, however many accounts the stack has there.
      const listed = await Promise.all(projects.map((project) => api().listAccounts(project)));
      const byEmail = new Map(listed.flat().map((account) => [account.email, account]));
      for (const ref of refs) {
        const account = byEmail.get(ref.email as string);
        if (account) found.set(ref.name, accountActual(account, ref));
      }
      return found;
    },

    diff: (before, after) => diffProps(before, after, IN_PLACE),

    async create(resource, context) {
      const ref = driver.refOf(resource, context);
      const before = await readOne(ref);
      if (before) return claim(before, context, resource.id);
      try {
        const made = await api().createAccount(
          ref.project,
          resource.props.accountId,
          fieldsOf(resource.props, context.stack, resource.id),
        );
        // The create's answer, not a read: IAM is eventually consistent, a get just after may 404.
        return accountActual(made, ref);
      } catch (error) {
        if (!(error instanceof StratoError && error.code === 'E_CONFLICT')) throw error;
        // Made meanwhile (another run, or our own request repeated after a lost answer).
        const raced = await readOne(ref);
        if (!raced) throw error;
        return claim(raced, context, resource.id);
      }
    },

    async update(resource, actual, _changes, context) {
      const updated = await api().patchAccount(
        resource.props.project,
        actual.props.email,
        fieldsOf(resource.props, context.stack, resource.id),
      );
      return accountActual(updated, actual.ref);
    },

    async claim(actual, resource, context) {
      const id = resource.id;
      const updated = await api().patchAccount(actual.ref.project, actual.props.email, {
        ...(actual.props.displayName ? { displayName: actual.props.displayName } : {}),
        description: markedDescription({ stack: context.stack, id }, actual.props.description),
      });
      return accountActual(updated, actual.ref);
    },

    async delete(recorded) {
      await api().deleteAccount(recorded.ref.project, (recorded.ref.email as string) ?? recorded.props.email);
    },
  };
  return driver;
}
