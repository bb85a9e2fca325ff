/** "Did you mean" support: the candidates nearest to a mistyped value. */

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates close enough to `value` to be what was meant, nearest first.
 * Comparison ignores case and `_`/`-` differences, so `NVIDIA_TESLA_T4`
 * finds `nvidia-tesla-t4`; a candidate that contains the value (or the
 * reverse) also counts, so `t4` finds `nvidia-tesla-t4`.
 */
export function closest(value: string, candidates: readonly string[], limit = 3): string[] {
  // A value far longer than every candidate is no typo of one, and the distance costs length².
  const longest = Math.max(0, ...candidates.map((c) => c.length));
  if (value.length > 2 * longest + 8) return [];
  const norm = (s: string) => s.toLowerCase().replaceAll('_', '-');
  const wanted = norm(value);
  const scored = candidates
    .map((candidate) => {
      const c = norm(candidate);
      const distance = editDistance(wanted, c);
      const contains = wanted.length >= 2 && (c.includes(wanted) || wanted.includes(c));
      const threshold = Math.max(2, Math.floor(Math.max(wanted.length, c.length) / 3));
      const score = contains ? Math.min(distance, 1) : distance;
      return { candidate, score, ok: contains || distance <= threshold };
    })
    .filter((s) => s.ok)
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** " Did you mean `x`?" or the empty string. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const near = closest(value, candidates, 1);
  return near.length > 0 ? `did you mean "${near[0]}"?` : '';
}

/** `series`, size and unit of a sized name: `n1-standard-8` → n1-standard-, 8; `a2-highgpu-4g` → a2-highgpu-, 4, g. */
function sizeOf(name: string): { series: string; size: number; unit: string } | undefined {
  const match = /^(.*?)(\d+)([a-z]*)$/.exec(name.toLowerCase().replaceAll('_', '-'));
  return match ? { series: match[1]!, size: Number(match[2]), unit: match[3]! } : undefined;
}

/**
 * "Did you mean" for sized names (machine types, TPU slices): never a
 * smaller one than asked for — a suggestion someone accepts without reading
 * must not quietly shrink the job. A name of a known series gets the
 * smallest of that series at least as large (`v4-30` → `v4-32`,
 * `n1-standard-46` → `n1-standard-64`); a typo elsewhere in the name gets
 * the nearest candidate that is not smaller. Callers pass only candidates
 * of the same chip or machine family: another chip is never proposed.
 */
export function closestNotSmaller(value: string, candidates: readonly string[]): string | undefined {
  const wanted = sizeOf(value);
  if (!wanted) return closest(value, candidates, 1)[0];
  const sized = candidates.flatMap((candidate) => {
    const size = sizeOf(candidate);
    return size && size.size >= wanted.size && size.unit === wanted.unit ? [{ candidate, ...size }] : [];
  });
  const sameSeries = sized.filter((c) => c.series === wanted.series).sort((a, b) => a.size - b.size);
  if (sameSeries.length > 0) return sameSeries[0]!.candidate;
  return closest(
    value,
    sized.map((c) => c.candidate),
    1,
  )[0];
}
