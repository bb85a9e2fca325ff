/**
 * Object versioning (https://cloud.google.com/storage/docs/object-versioning):
 * in a bucket with `versioning.enabled`, an overwritten or deleted live
 * object becomes a noncurrent generation (with `timeDeleted`) instead of
 * going away; `generation=` reads or deletes one generation; a listing with
 * `versions=true` shows every generation of each name, oldest first.
 * Noncurrent generations live in memory (a `--data-dir` journal keeps live
 * objects only).
 */

import { notFound } from './errors.ts';
import type { StoredBucket, StoredObject } from './state.ts';

export function versioningEnabled(bucket: StoredBucket): boolean {
  return bucket.versioning?.enabled === true;
}

/** Keeps `object` as a noncurrent generation of its name. */
export function keepNoncurrent(bucket: StoredBucket, object: StoredObject): void {
  bucket.noncurrent ??= new Map();
  const kept = bucket.noncurrent.get(object.name) ?? [];
  kept.push({ ...object, timeDeleted: new Date().toISOString() });
  bucket.noncurrent.set(object.name, kept);
  bucket.sortedNames = undefined;
}

/** Every generation of a name, oldest first: the noncurrent ones, then the live one. */
export function generationsOf(bucket: StoredBucket, name: string): StoredObject[] {
  const live = bucket.objects.get(name);
  return [...(bucket.noncurrent?.get(name) ?? []), ...(live ? [live] : [])];
}

/** Names with any generation, live or noncurrent. */
export function namesWithVersions(bucket: StoredBucket): string[] {
  return [...new Set([...bucket.objects.keys(), ...(bucket.noncurrent?.keys() ?? [])])].sort();
}

/** One generation of an object, live or noncurrent; 404 when there is no such generation. */
export function findGeneration(bucket: StoredBucket, name: string, generation: string): StoredObject {
  const found = generationsOf(bucket, name).find((o) => o.generation === generation);
  if (!found) throw notFound(`No such object: ${bucket.name}/${name}#${generation}`);
  return found;
}

/** Takes a noncurrent generation out of the bucket (a delete with `generation=`); returns it. */
export function removeNoncurrent(
  bucket: StoredBucket,
  name: string,
  generation: string,
): StoredObject | undefined {
  const kept = bucket.noncurrent?.get(name);
  const index = kept?.findIndex((o) => o.generation === generation) ?? -1;
  if (!kept || index < 0) return undefined;
  const [removed] = kept.splice(index, 1);
  if (kept.length === 0) bucket.noncurrent!.delete(name);
  bucket.sortedNames = undefined;
  return removed;
}
