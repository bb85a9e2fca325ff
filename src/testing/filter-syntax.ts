/**
 * The boolean filter grammar Google's list APIs share (AIP-160, which the
 * Logging query language extends): restrictions `FIELD OP VALUE` with `=`,
 * `!=`, `<`, `<=`, `>`, `>=` and `:` (has), joined with AND, OR, NOT and
 * parentheses, juxtaposition meaning AND. A field is a dotted path whose
 * segments may be quoted (`labels."ml.googleapis.com/x"`); a value is a word
 * (dots kept: `1.2.3.4`) or a quoted string with backslash escapes.
 *
 * This file knows the grammar only. What a field means, which operators it
 * takes and how values compare is each fake's own (`restriction` below): the
 * fake Vertex's ListCustomJobs filter and the fake Cloud Logging's entries
 * filter both parse through it.
 */

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';
export type Predicate<T> = (item: T) => boolean;

/** A filter the grammar refuses, or a restriction a fake refuses; the fakes answer it as INVALID_ARGUMENT. */
export class FilterSyntaxError extends Error {}

export interface FilterGrammar<T> {
  /** The predicate of one restriction; throws FilterSyntaxError for a field or operator the fake refuses. */
  restriction(path: readonly string[], op: FilterOp, value: string): Predicate<T>;
  /** `-restriction` as NOT (AIP-160; the Logging language has no such form). */
  minusNegates?: boolean;
  /** 'single' quotes as well as "double" (AIP-160; the Logging language takes double quotes only). */
  singleQuotes?: boolean;
}

type Token = { kind: 'word' | 'string' | 'op' | 'paren'; text: string };

function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let value = '';
  let j = start + 1;
  while (j < text.length && text[j] !== quote) {
    if (text[j] === '\\' && j + 1 < text.length) j++;
    value += text[j];
    j++;
  }
  if (j >= text.length) throw new FilterSyntaxError(`unterminated string at position ${start}`);
  return { value, end: j + 1 };
}

function tokenize(text: string, singleQuotes: boolean): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: 'paren', text: c });
      i++;
    } else if (c === '"' || (singleQuotes && c === "'")) {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: 'string', text: value });
      i = end;
    } else {
      const op = /^(!=|<=|>=|=|<|>|:)/.exec(text.slice(i));
      if (op) {
        tokens.push({ kind: 'op', text: op[1]! });
        i += op[1]!.length;
        continue;
      }
      const word = /^[^\s()"'=!<>:]+/.exec(text.slice(i));
      if (!word) throw new FilterSyntaxError(`unexpected "${c}" at position ${i}`);
      tokens.push({ kind: 'word', text: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

class Parser<T> {
  private position = 0;
  private readonly tokens: Token[];
  private readonly grammar: FilterGrammar<T>;

  constructor(tokens: Token[], grammar: FilterGrammar<T>) {
    this.tokens = tokens;
    this.grammar = grammar;
  }

  parse(): Predicate<T> {
    const predicate = this.or();
    const extra = this.peek();
    if (extra) throw new FilterSyntaxError(`unexpected "${extra.text}"`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new FilterSyntaxError('unexpected end of filter');
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text === word;
  }

  private or(): Predicate<T> {
    const terms = [this.and()];
    while (this.isKeyword('OR')) {
      this.position++;
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : (item) => terms.some((t) => t(item));
  }

  private and(): Predicate<T> {
    const terms = [this.unary()];
    for (;;) {
      const token = this.peek();
      if (!token || (token.kind === 'paren' && token.text === ')') || this.isKeyword('OR')) break;
      if (this.isKeyword('AND')) this.position++;
      terms.push(this.unary());
    }
    return terms.length === 1 ? terms[0]! : (item) => terms.every((t) => t(item));
  }

  private unary(): Predicate<T> {
    const token = this.peek();
    if (this.isKeyword('NOT') || (this.grammar.minusNegates && this.isKeyword('-'))) {
      this.position++;
      const inner = this.unary();
      return (item) => !inner(item);
    }
    if (this.grammar.minusNegates && token?.kind === 'word' && /^-./.test(token.text)) {
      // `-field=value`: the minus sticks to the field name.
      this.tokens[this.position] = { kind: 'word', text: token.text.slice(1) };
      const inner = this.unary();
      return (item) => !inner(item);
    }
    if (token?.kind === 'paren' && token.text === '(') {
      this.position++;
      const inner = this.or();
      const close = this.next();
      if (close.kind !== 'paren' || close.text !== ')') throw new FilterSyntaxError('missing ")"');
      return inner;
    }
    return this.restriction();
  }

  private restriction(): Predicate<T> {
    const path = this.path();
    const op = this.peek();
    if (op?.kind !== 'op') {
      throw new FilterSyntaxError(
        `expected an operator after "${path.join('.')}": this fake takes FIELD OP VALUE, not a bare word (global search)`,
      );
    }
    this.position++;
    const value = this.next();
    if (value.kind !== 'string' && value.kind !== 'word') {
      throw new FilterSyntaxError(`expected a value after "${path.join('.')}${op.text}"`);
    }
    return this.grammar.restriction(path, op.text as FilterOp, value.text);
  }

  /** `a.b.c`, `labels."ml.googleapis.com/x"`: a word's dots split it; a word ending in a dot continues. */
  private path(): string[] {
    const segments: string[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind === 'string') {
        segments.push(token.text);
      } else if (token.kind === 'word') {
        segments.push(...token.text.split('.').filter((s) => s !== ''));
      } else {
        throw new FilterSyntaxError(`expected a field name, found "${token.text}"`);
      }
      const continues = token.kind === 'word' ? token.text.endsWith('.') : this.peek()?.text.startsWith('.');
      if (!continues) return segments;
      if (token.kind === 'string') {
        // `"a".b`: the dot begins the next word.
        const following = this.tokens[this.position]!;
        this.tokens[this.position] = { ...following, text: following.text.slice(1) };
      }
    }
  }
}

/** The predicate of `filter` under `grammar`; an empty filter matches everything. Throws FilterSyntaxError. */
export function parseFilter<T>(filter: string | undefined, grammar: FilterGrammar<T>): Predicate<T> {
  const tokens = tokenize(filter ?? '', grammar.singleQuotes ?? false);
  if (tokens.length === 0) return () => true;
  return new Parser(tokens, grammar).parse();
}
