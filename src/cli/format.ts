/** Plain-text rendering helpers shared by commands. */

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/**
 * How a metric's step reads in every human view (run's live lines, status,
 * metrics' table, charts): Keras writes `epoch_*` values at step 0 for its
 * "Epoch 1/N", so those read `epoch 1`; batch steps stay as written. JSON
 * and CSV keep the event files' step, as TensorBoard shows it.
 */
export function stepLabel(tag: string, step: number): string {
  return tag.startsWith('epoch_') ? `epoch ${step + 1}` : String(step);
}
