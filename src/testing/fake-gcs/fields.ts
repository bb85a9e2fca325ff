/**
 * Partial responses: the `fields` query parameter
 * (https://cloud.google.com/storage/docs/json_api#partial-response), e.g.
 * `name,size`, `items(name,size),nextPageToken` or gcloud's `items/name`.
 */

export type Selection = Map<string, Selection | true>;

export function parseFields(spec: string): Selection {
  let pos = 0;
  const parseList = (): Selection => {
    const selection: Selection = new Map();
    for (;;) {
      let name = '';
      while (pos < spec.length && !',()/'.includes(spec[pos]!)) name += spec[pos++];
      name = name.trim();
      let sub: Selection | true = true;
      if (spec[pos] === '/') {
        pos++;
        sub = parseList1();
      } else if (spec[pos] === '(') {
        pos++;
        sub = parseList();
        pos++; // ')'
      }
      if (name !== '') selection.set(name, merge(selection.get(name), sub));
      if (spec[pos] !== ',') return selection;
      pos++;
    }
  };
  // After "a/": one field (itself possibly a path or with a sub-list).
  const parseList1 = (): Selection => {
    let name = '';
    while (pos < spec.length && !',()/'.includes(spec[pos]!)) name += spec[pos++];
    let sub: Selection | true = true;
    if (spec[pos] === '/') {
      pos++;
      sub = parseList1();
    } else if (spec[pos] === '(') {
      pos++;
      sub = parseList();
      pos++;
    }
    return new Map([[name.trim(), sub]]);
  };
  return parseList();
}

function merge(a: Selection | true | undefined, b: Selection | true): Selection | true {
  if (a === undefined) return b;
  if (a === true || b === true) return true;
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, merge(out.get(k), v));
  return out;
}

export function applySelection(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((item) => applySelection(item, selection));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, sub] of selection) {
    if (!(name in value)) continue;
    const field = (value as Record<string, unknown>)[name];
    out[name] = sub === true ? field : applySelection(field, sub);
  }
  return out;
}

/** The body with only the selected fields; unchanged without a `fields` spec. */
export function selectFields(body: unknown, spec: string | null): unknown {
  if (!spec) return body;
  return applySelection(body, parseFields(spec));
}
