/**
 * The Logging query language, the part clients of a training job's logs use:
 * comparisons `=`, `!=`, `<`, `<=`, `>`, `>=` and `:` (has: substring) on
 * field paths (`resource.labels.job_id`, `labels."ml.googleapis.com/x"`,
 * `jsonPayload.message`), joined with AND, OR, NOT, parentheses, and
 * juxtaposition as AND. Timestamps compare as times (any RFC 3339 offset,
 * up to nanoseconds), `severity` by its rank (DEBUG < INFO < … < EMERGENCY),
 * everything else as strings. A bare word with no field (a global search)
 * is refused rather than guessed at.
 * (https://cloud.google.com/logging/docs/view/logging-query-language)
 */

import { type LogEntryRecord, SEVERITIES, timeNanos } from './entries.ts';

export class LogFilterError extends Error {}

export type EntryPredicate = (entry: LogEntryRecord) => boolean;

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';
type Token = { kind: 'word' | 'string' | 'op' | 'paren' | 'dot'; text: string };

const TIME_FIELDS = new Set(['timestamp', 'receiveTimestamp']);

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
    } else if (c === '.') {
      tokens.push({ kind: 'dot', text: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new LogFilterError(`unterminated string at position ${i}`);
      tokens.push({ kind: 'string', text: value });
      i = j + 1;
    } else {
      const op = /^(!=|<=|>=|=|<|>|:)/.exec(text.slice(i));
      if (op) {
        tokens.push({ kind: 'op', text: op[1]! });
        i += op[1]!.length;
        continue;
      }
      // A bare value may hold dots (an IP, a version); a path splits on them in the parser.
      const word = /^[^\s()"=!<>:]+/.exec(text.slice(i));
      if (!word) throw new LogFilterError(`unexpected "${c}" at position ${i}`);
      const parts = word[0].split('.');
      parts.forEach((part, k) => {
        if (k > 0) tokens.push({ kind: 'dot', text: '.' });
        if (part) tokens.push({ kind: 'word', text: part });
      });
      i += word[0].length;
    }
  }
  return tokens;
}

/** The value at a path of an entry, as a string (undefined when absent). */
function valueAt(entry: LogEntryRecord, path: readonly string[]): string | undefined {
  let current: unknown = entry;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return undefined;
  return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

function compare(path: readonly string[], actual: string, expected: string): number {
  const field = path.join('.');
  if (TIME_FIELDS.has(field)) {
    const a = timeNanos(actual);
    const b = timeNanos(expected);
    if (b === undefined) throw new LogFilterError(`"${expected}" is not a timestamp (RFC 3339)`);
    if (a === undefined) return Number.NaN;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (field === 'severity') {
    const a = SEVERITIES.indexOf(actual.toUpperCase() as (typeof SEVERITIES)[number]);
    const b = SEVERITIES.indexOf(expected.toUpperCase() as (typeof SEVERITIES)[number]);
    if (b < 0) throw new LogFilterError(`"${expected}" is not a severity (${SEVERITIES.join(', ')})`);
    return a - b;
  }
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

function comparison(path: string[], op: Op, expected: string): EntryPredicate {
  // Validates the literal once, at parse time, so a bad timestamp is an error even with no entries.
  compare(path, path.join('.') === 'severity' ? 'DEFAULT' : expected, expected);
  return (entry) => {
    const actual = valueAt(entry, path);
    if (op === '!=') return actual === undefined || compare(path, actual, expected) !== 0;
    if (actual === undefined) return false;
    if (op === ':') return actual.toLowerCase().includes(expected.toLowerCase());
    const order = compare(path, actual, expected);
    if (Number.isNaN(order)) return false;
    switch (op) {
      case '=':
        return order === 0;
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
      case '>':
        return order > 0;
      default:
        return order >= 0;
    }
  };
}

class Parser {
  private position = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): EntryPredicate {
    const predicate = this.or();
    const extra = this.tokens[this.position];
    if (extra) throw new LogFilterError(`unexpected "${extra.text}"`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text === word;
  }

  private or(): EntryPredicate {
    const terms = [this.and()];
    while (this.isKeyword('OR')) {
      this.position++;
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : (entry) => terms.some((t) => t(entry));
  }

  private and(): EntryPredicate {
    const terms = [this.unary()];
    for (;;) {
      const token = this.peek();
      if (!token || (token.kind === 'paren' && token.text === ')') || this.isKeyword('OR')) break;
      if (this.isKeyword('AND')) this.position++;
      terms.push(this.unary());
    }
    return terms.length === 1 ? terms[0]! : (entry) => terms.every((t) => t(entry));
  }

  private unary(): EntryPredicate {
    const token = this.peek();
    if (this.isKeyword('NOT')) {
      this.position++;
      const inner = this.unary();
      return (entry) => !inner(entry);
    }
    if (token?.kind === 'paren' && token.text === '(') {
      this.position++;
      const inner = this.or();
      const close = this.tokens[this.position++];
      if (close?.kind !== 'paren' || close.text !== ')') throw new LogFilterError('missing ")"');
      return inner;
    }
    return this.restriction();
  }

  private restriction(): EntryPredicate {
    const path = this.path();
    const op = this.tokens[this.position];
    if (op?.kind !== 'op') {
      throw new LogFilterError(
        `"${path.join('.')}" has no comparison: the fake supports FIELD OP VALUE only, not global search`,
      );
    }
    this.position++;
    const value = this.tokens[this.position];
    if (value?.kind !== 'string' && value?.kind !== 'word') {
      throw new LogFilterError(`missing value after "${path.join('.')}${op.text}"`);
    }
    this.position++;
    // A bare value with dots (1.2.3.4) was split by the tokenizer: join it back.
    let text = value.text;
    while (value.kind === 'word' && this.peek()?.kind === 'dot') {
      const next = this.tokens[this.position + 1];
      if (next?.kind !== 'word') break;
      text += `.${next.text}`;
      this.position += 2;
    }
    return comparison(path, op.text as Op, text);
  }

  private path(): string[] {
    const segments: string[] = [];
    for (;;) {
      const token = this.tokens[this.position];
      if (token?.kind !== 'word' && token?.kind !== 'string') {
        throw new LogFilterError(`expected a field name, got "${token?.text ?? 'end of filter'}"`);
      }
      segments.push(token.text);
      this.position++;
      if (this.peek()?.kind !== 'dot') return segments;
      this.position++;
    }
  }
}

/** The predicate of a filter; an empty filter matches every entry. Throws LogFilterError. */
export function parseLogFilter(filter: string | undefined): EntryPredicate {
  const tokens = tokenize(filter ?? '');
  if (tokens.length === 0) return () => true;
  return new Parser(tokens).parse();
}
