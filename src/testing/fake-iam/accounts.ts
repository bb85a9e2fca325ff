/**
 * Service accounts as IAM v1 keeps them
 * (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts),
 * with the service's rules: an account id of 6–30 characters matching
 * `[a-z]([-a-z0-9]*[a-z0-9])`, one account per id and project
 * (ALREADY_EXISTS), the email `ID@PROJECT.iam.gserviceaccount.com`, and
 * lookup by email or unique id, also under the project wildcard `-`.
 */

import { createHash, randomInt } from 'node:crypto';
import { alreadyExists, invalidArgument, notFound } from './errors.ts';

export interface ServiceAccount {
  name: string;
  projectId: string;
  uniqueId: string;
  email: string;
  displayName?: string;
  description?: string;
  etag: string;
  oauth2ClientId: string;
  disabled?: boolean;
}

/** The create request's accountId rule (IAM answers INVALID_ARGUMENT with this regex). */
export const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;
/** displayName ≤ 100 and description ≤ 256 UTF-8 bytes (the ServiceAccount message's field docs). */
const MAX_DISPLAY_NAME = 100;
const MAX_DESCRIPTION = 256;

export function accountEmail(accountId: string, project: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

function checkTexts(fields: { displayName?: unknown; description?: unknown }): void {
  if (fields.displayName !== undefined && Buffer.byteLength(String(fields.displayName)) > MAX_DISPLAY_NAME)
    throw invalidArgument(`ServiceAccount.display_name must be at most ${MAX_DISPLAY_NAME} bytes.`);
  if (fields.description !== undefined && Buffer.byteLength(String(fields.description)) > MAX_DESCRIPTION)
    throw invalidArgument(`ServiceAccount.description must be at most ${MAX_DESCRIPTION} bytes.`);
}

export class ServiceAccounts {
  /** By email. */
  readonly byEmail = new Map<string, ServiceAccount>();
  /** Called with the account's email and unique id when one is deleted (its bindings change to `deleted:`). */
  onDelete: (email: string, uniqueId: string) => void = () => {};

  create(
    project: string,
    accountId: unknown,
    fields: { displayName?: string; description?: string },
  ): ServiceAccount {
    const id = typeof accountId === 'string' ? accountId : '';
    if (id.length < 6 || id.length > 30 || !ACCOUNT_ID.test(id)) {
      throw invalidArgument(
        `Invalid value for field 'accountId': '${id}'. Account ID must be between 6 and 30 characters and match the regular expression [a-z]([-a-z0-9]*[a-z0-9]).`,
      );
    }
    checkTexts(fields);
    const email = accountEmail(id, project);
    if (this.byEmail.has(email))
      throw alreadyExists(`Service account ${id} already exists within project projects/${project}.`);
    // 21 decimal digits, as the service's unique ids.
    const uniqueId = `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;
    const account: ServiceAccount = {
      name: `projects/${project}/serviceAccounts/${email}`,
      projectId: project,
      uniqueId,
      email,
      ...(fields.displayName ? { displayName: fields.displayName } : {}),
      ...(fields.description ? { description: fields.description } : {}),
      etag: etagOf(`${email}:0`),
      oauth2ClientId: uniqueId,
    };
    this.byEmail.set(email, account);
    return account;
  }

  /** By email or unique id; `project` may be `-` (any project). */
  get(project: string, key: string): ServiceAccount {
    const account =
      this.byEmail.get(key) ?? [...this.byEmail.values()].find((candidate) => candidate.uniqueId === key);
    if (!account || (project !== '-' && account.projectId !== project))
      throw notFound(`Unknown service account`);
    return account;
  }

  list(project: string): ServiceAccount[] {
    return [...this.byEmail.values()]
      .filter((account) => account.projectId === project)
      .sort((a, b) => a.email.localeCompare(b.email));
  }

  /** `projects.serviceAccounts.patch`: displayName and description, as the update mask names them. */
  patch(project: string, key: string, fields: Record<string, unknown>, updateMask: string): ServiceAccount {
    const account = this.get(project, key);
    const paths = updateMask
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean);
    if (paths.length === 0) throw invalidArgument('update_mask must be set.');
    for (const path of paths) {
      if (path !== 'display_name' && path !== 'displayName' && path !== 'description')
        throw invalidArgument(`Invalid update_mask path: ${path}.`);
    }
    checkTexts(fields);
    for (const path of paths) {
      const field = path === 'description' ? 'description' : 'displayName';
      const value = fields[field];
      if (value === undefined || value === '') delete account[field];
      else account[field] = String(value);
    }
    account.etag = etagOf(`${account.email}:${Date.now()}`);
    return account;
  }

  delete(project: string, key: string): void {
    const account = this.get(project, key);
    this.byEmail.delete(account.email);
    this.onDelete(account.email, account.uniqueId);
  }
}

/** An opaque etag, base64 as the service writes them. */
export function etagOf(seed: string): string {
  return createHash('sha256').update(seed).digest().subarray(0, 8).toString('base64');
}
