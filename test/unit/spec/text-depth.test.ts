/** Spec text nested too deep is refused before a parser recurses into it; brackets in quotes or comments do not count. */

import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../src/errors.ts';
import { checkTextDepth, MAX_SPEC_DEPTH } from '../../../src/spec/limits.ts';
import { parseYaml } from '../../../src/spec/load.ts';

describe('checkTextDepth', () => {
  it.each([
    ['flow YAML', `name: ${'['.repeat(MAX_SPEC_DEPTH + 1)}${']'.repeat(MAX_SPEC_DEPTH + 1)}`],
    ['JSON', `{"a": ${'{"a":'.repeat(MAX_SPEC_DEPTH)}1${'}'.repeat(MAX_SPEC_DEPTH)}}`],
    // Deep enough that the parser itself would overflow its stack, whatever stack is left.
    ['JSON 100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ])('refuses %s one level past the limit, before parsing', (_what, text) => {
    expect(() => parseYaml(text, 'deep.yaml')).toThrow(SpecError);
    expect(() => parseYaml(text, 'deep.yaml')).toThrow(`nested more than ${MAX_SPEC_DEPTH} levels deep`);
  });

  it('counts only open brackets outside strings and comments', () => {
    const deep = '['.repeat(MAX_SPEC_DEPTH + 5);
    expect(() => checkTextDepth(`a: "${deep}"\nb: '${deep}'\n# ${deep}\nc: [x, {y: 1}]\n`)).not.toThrow();
    expect(() => checkTextDepth(`a: "\\"${deep}"`)).not.toThrow();
    expect(() =>
      checkTextDepth(`a: ${'['.repeat(MAX_SPEC_DEPTH)}${']'.repeat(MAX_SPEC_DEPTH)}`),
    ).not.toThrow();
  });
});
