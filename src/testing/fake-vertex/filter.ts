/**
 * The `filter` of ListCustomJobs: the subset of AIP-160 Vertex documents for
 * it — `display_name` (=, !=, `:` wildcard), `state` (=, !=), `create_time` /
 * `update_time` / `start_time` / `end_time` (comparisons on RFC 3339 values),
 * `labels.KEY=VALUE`, `labels.KEY:*` and `labels:KEY`; joined with AND, OR,
 * NOT (or `-`) and parentheses; juxtaposition means AND.
 * (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs/list,
 * https://google.aip.dev/160)
 */

export type JobPredicate = (job: FilterableJob) => boolean;

/** The fields of a stored CustomJob a filter reads. */
export interface FilterableJob {
  displayName?: string;
  state?: string;
  labels?: Record<string, string>;
  createTime?: string;
  updateTime?: string;
  startTime?: string;
  endTime?: string;
}

export class FilterError extends Error {}

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';
type Token = { kind: 'word' | 'string' | 'op' | 'paren'; text: string };

const TIME_FIELDS: Record<string, keyof FilterableJob> = {
  create_time: 'createTime',
  update_time: 'updateTime',
  start_time: 'startTime',
  end_time: 'endTime',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: 'paren', text: c });
      i++;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new FilterError(`unterminated string at position ${i}`);
      tokens.push({ kind: 'string', text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const op = /^(!=|<=|>=|=|<|>|:)/.exec(text.slice(i));
      if (op) {
        tokens.push({ kind: 'op', text: op[1]! });
        i += op[1]!.length;
        continue;
      }
      const word = /^[^\s()"'=!<>:]+/.exec(text.slice(i));
      if (!word) throw new FilterError(`unexpected "${c}" at position ${i}`);
      tokens.push({ kind: 'word', text: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

/** Compares times; the operator and the right side were checked when the filter was parsed. */
function compareOrdered(left: string | undefined, op: Exclude<Op, ':'>, right: string): boolean {
  if (left === undefined) return false;
  const a = Date.parse(left);
  const b = Date.parse(right);
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** `:` on a string: `*` means "is set"; otherwise a `*` wildcard pattern or a substring. */
function hasMatch(value: string | undefined, pattern: string): boolean {
  if (value === undefined || value === '') return false;
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return value.includes(pattern);
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function comparison(field: string, op: Op, value: string): JobPredicate {
  if (field === 'display_name') {
    if (op === '=') return (job) => job.displayName === value;
    if (op === '!=') return (job) => job.displayName !== value;
    if (op === ':') return (job) => hasMatch(job.displayName, value);
  } else if (field === 'state') {
    if (op === '=') return (job) => job.state === value;
    if (op === '!=') return (job) => job.state !== value;
  } else if (TIME_FIELDS[field]) {
    const key = TIME_FIELDS[field]!;
    if (op === ':') throw new FilterError(`operator ":" does not apply to ${field}`);
    if (Number.isNaN(Date.parse(value))) throw new FilterError(`"${value}" is not an RFC 3339 time`);
    return (job) => compareOrdered(job[key] as string | undefined, op, value);
  } else if (field === 'labels') {
    if (op === ':') return (job) => job.labels?.[value] !== undefined;
  } else if (field.startsWith('labels.')) {
    const key = field.slice('labels.'.length);
    if (op === '=') return (job) => job.labels?.[key] === value;
    if (op === '!=') return (job) => job.labels?.[key] !== value;
    if (op === ':') return (job) => hasMatch(job.labels?.[key], value);
  } else {
    throw new FilterError(
      `unsupported field "${field}"; filter on display_name, state, create_time, update_time, start_time, end_time or labels`,
    );
  }
  throw new FilterError(`operator "${op}" is not supported on field "${field}"`);
}

class Parser {
  private position = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): JobPredicate {
    const predicate = this.or();
    if (this.position < this.tokens.length) {
      throw new FilterError(`unexpected "${this.tokens[this.position]!.text}"`);
    }
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new FilterError('unexpected end of filter');
    return token;
  }

  private or(): JobPredicate {
    const terms = [this.and()];
    while (this.peek()?.kind === 'word' && this.peek()!.text === 'OR') {
      this.position++;
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : (job) => terms.some((t) => t(job));
  }

  private and(): JobPredicate {
    const terms = [this.unary()];
    for (;;) {
      const token = this.peek();
      if (!token || (token.kind === 'paren' && token.text === ')')) break;
      if (token.kind === 'word' && token.text === 'OR') break;
      if (token.kind === 'word' && token.text === 'AND') this.position++;
      terms.push(this.unary());
    }
    return terms.length === 1 ? terms[0]! : (job) => terms.every((t) => t(job));
  }

  private unary(): JobPredicate {
    const token = this.peek();
    if (token?.kind === 'word' && (token.text === 'NOT' || token.text === '-')) {
      this.position++;
      const inner = this.unary();
      return (job) => !inner(job);
    }
    if (token?.kind === 'word' && token.text.startsWith('-') && token.text.length > 1) {
      // `-field=value`: the minus sticks to the field name.
      this.tokens[this.position] = { kind: 'word', text: token.text.slice(1) };
      const inner = this.unary();
      return (job) => !inner(job);
    }
    return this.primary();
  }

  private primary(): JobPredicate {
    const token = this.next();
    if (token.kind === 'paren' && token.text === '(') {
      const inner = this.or();
      const close = this.next();
      if (close.text !== ')') throw new FilterError('missing ")"');
      return inner;
    }
    if (token.kind !== 'word') throw new FilterError(`expected a field name, found "${token.text}"`);
    const op = this.next();
    if (op.kind !== 'op') throw new FilterError(`expected an operator after "${token.text}"`);
    const value = this.next();
    if (value.kind !== 'word' && value.kind !== 'string') {
      throw new FilterError(`expected a value after "${token.text}${op.text}"`);
    }
    return comparison(token.text, op.text as Op, value.text);
  }
}

/** Parses a filter; an empty one matches every job. Throws FilterError (→ INVALID_ARGUMENT). */
export function parseJobFilter(filter: string | undefined): JobPredicate {
  if (!filter || filter.trim() === '') return () => true;
  return new Parser(tokenize(filter)).parse();
}
