/**
 * How Compute Engine resources of a stack are named and marked as the
 * stack's. Names are deterministic (`<stack>-<id path>`, RFC 1035, at most
 * 63 characters, with a short hash when cut), so a deploy that dies after a
 * create finds what it made. VMs carry the `strato-stack` label; networks
 * and firewall rules have no labels in the v1 API, so their description
 * carries the same mark: `[strato-stack=<stack> id=<resource id>]`.
 */

import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/** `<stack>-<id>` as a Compute Engine name: lowercase, `[-a-z0-9]`, starting with a letter, ≤ 63 characters. */
export function computeName(stack: string, id: string): string {
  const slug = `${stack}-${id}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  const name = slug === '' ? 'strato' : slug;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(`${stack}/${id}`).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9).replace(/-+$/, '')}-${hash}`;
}

export interface StackMark {
  stack: string;
  id: string;
  /** `project/family` of a VM's boot image (the instance does not report its image family). */
  image?: string;
}

const MARK = /\[strato-stack=([^ \]]+) id=([^ \]]+)(?: image=([^ \]]+))?\]/;

/** A description that carries the stack's mark after the user's own text. */
export function markedDescription(mark: StackMark, description?: string): string {
  const tag = `[strato-stack=${mark.stack} id=${mark.id}${mark.image ? ` image=${mark.image}` : ''}]`;
  return description ? `${description} ${tag}` : tag;
}

/** The mark in a description, and the user's text before it. */
export function readMark(description: string | null | undefined): { mark?: StackMark; text?: string } {
  const text = description ?? '';
  const match = MARK.exec(text);
  if (!match) return text ? { text } : {};
  const before = text.slice(0, match.index).trim();
  return {
    mark: { stack: match[1]!, id: match[2]!, ...(match[3] ? { image: match[3] } : {}) },
    ...(before ? { text: before } : {}),
  };
}

/** The last path segment of a self link or partial URL (`…/machineTypes/a2-highgpu-1g` → `a2-highgpu-1g`). */
export function lastSegment(link: string | null | undefined): string {
  return (link ?? '').split('/').pop() ?? '';
}
