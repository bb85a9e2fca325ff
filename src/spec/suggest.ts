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
