/** The filter grammar the fakes share: paths, quoting, precedence, and what each fake decides itself. */

import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter } from '../../../src/testing/filter-syntax.ts';

type Item = Record<string, string>;
const items: Item[] = [
  { 'labels.ml.googleapis.com/id': '1', ip: '10.0.0.1', name: 'a' },
  { 'labels.ml.googleapis.com/id': '2', ip: '10.0.0.2', name: 'b' },
  { name: 'c' },
];
// A restriction that compares the joined path's value for equality: enough to see what the grammar passes it.
const grammar = {
  restriction: (path: readonly string[], op: string, value: string) => {
    if (op !== '=') throw new FilterSyntaxError(`operator "${op}" is not supported`);
    return (item: Item) => item[path.join('.')] === value;
  },
};
const names = (filter: string, options = {}) =>
  items.filter(parseFilter(filter, { ...grammar, ...options })).map((i) => i.name);

describe('the shared filter grammar', () => {
  it.each([
    ['', ['a', 'b', 'c']],
    ['labels."ml.googleapis.com/id"="2"', ['b']],
    ['ip=10.0.0.1', ['a']],
    ['name=a OR name=b AND ip=10.0.0.2', ['a', 'b']],
    ['(name=a OR name=b) ip=10.0.0.2', ['b']],
    ['NOT name=c', ['a', 'b']],
    ['name="a\\"b" OR name=c', ['c']],
  ])('%j matches %j', (filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });

  it('takes -negation and single quotes only where the fake says so', () => {
    expect(names("-name='c'", { minusNegates: true, singleQuotes: true })).toEqual(['a', 'b']);
    expect(() => names("name='c'")).toThrow(FilterSyntaxError);
  });

  it.each([
    ['name', /expected an operator after "name"/],
    ['name=', /end of filter/],
    ['(name=a', /end of filter/],
    ['name="a', /unterminated string/],
    ['name=a )', /unexpected "\)"/],
    ['name>a', /operator ">" is not supported/],
  ])('refuses %j', (filter, message) => {
    expect(() => names(filter)).toThrow(message);
  });
});
