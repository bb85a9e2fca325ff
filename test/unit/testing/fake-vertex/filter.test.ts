/** The ListCustomJobs filter subset the fake understands. */

import { describe, expect, it } from 'vitest';
import {
  type FilterableJob,
  FilterError,
  parseJobFilter,
} from '../../../../src/testing/fake-vertex/filter.ts';

const jobs: Record<string, FilterableJob> = {
  a: {
    displayName: 'train-a',
    state: 'JOB_STATE_RUNNING',
    labels: { 'strato-job-id': 'a', team: 'ml' },
    createTime: '2024-05-01T10:00:00.000Z',
  },
  b: {
    displayName: 'train-b',
    state: 'JOB_STATE_SUCCEEDED',
    labels: { 'strato-job-id': 'b' },
    createTime: '2024-05-02T10:00:00.000Z',
  },
  c: { displayName: 'other', state: 'JOB_STATE_QUEUED', labels: {}, createTime: '2024-05-03T10:00:00.000Z' },
};

function matching(filter: string): string[] {
  const predicate = parseJobFilter(filter);
  return Object.entries(jobs)
    .filter(([, job]) => predicate(job))
    .map(([id]) => id);
}

describe('ListCustomJobs filter', () => {
  it.each([
    ['', ['a', 'b', 'c']],
    ['state="JOB_STATE_RUNNING"', ['a']],
    ['state!=JOB_STATE_RUNNING', ['b', 'c']],
    ['labels.strato-job-id="b"', ['b']],
    ['labels.strato-job-id:*', ['a', 'b']],
    ['labels:team', ['a']],
    ['display_name:"train-*"', ['a', 'b']],
    ['NOT display_name="other"', ['a', 'b']],
    ['-display_name="other"', ['a', 'b']],
    ['labels.strato-job-id="a" OR labels.strato-job-id="b"', ['a', 'b']],
    ['labels.strato-job-id:* AND state="JOB_STATE_SUCCEEDED"', ['b']],
    ['labels.strato-job-id:* state="JOB_STATE_SUCCEEDED"', ['b']],
    ['(state="JOB_STATE_QUEUED" OR state="JOB_STATE_RUNNING") AND NOT labels:team', ['c']],
    ['create_time>="2024-05-02T00:00:00Z"', ['b', 'c']],
    ['create_time<"2024-05-02T00:00:00Z"', ['a']],
  ])('%j matches %j', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });

  it.each([
    ['machine_type="n1"', /unsupported field/],
    ['state:RUNNING', /not supported on field "state"/],
    ['create_time>"yesterday"', /RFC 3339/],
    ['state="JOB_STATE_RUNNING" AND (', /end of filter/],
    ['display_name="x', /unterminated string/],
    ['state JOB_STATE_RUNNING', /expected an operator/],
    ['state=', /end of filter/],
  ])('refuses %j', (filter, message) => {
    expect(() => parseJobFilter(filter)).toThrow(FilterError);
    expect(() => parseJobFilter(filter)).toThrow(message);
  });
});
