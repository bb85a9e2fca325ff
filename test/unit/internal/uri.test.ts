import { describe, expect, it } from 'vitest';
import { isUri, joinUri } from '../../../src/internal/uri.ts';

describe('isUri', () => {
  it('is true for scheme://… and false for paths', () => {
    for (const uri of ['gs://b/k', 's3://b', 'file:///tmp/x', 'file://./runs', 'HTTPS://h', 'svn+ssh://h/r'])
      expect(isUri(uri), uri).toBe(true);
    for (const path of ['/tmp/x', './runs', 'runs/gs://x', 'C:\\data', '1gs://b', 'gs:/b', ''])
      expect(isUri(path), path).toBe(false);
  });
});

describe('joinUri', () => {
  it('joins segments with one slash between them, skipping empty ones', () => {
    expect(joinUri('gs://b/runs/', '/job-1', '', 'logs')).toBe('gs://b/runs/job-1/logs');
  });
});
