/** The verification table the mover prints on stdout. */
import type { TableComparison } from './verify';

const short = (sha256: string | undefined): string => (sha256 ? sha256.slice(0, 12) : '-');

/** One line per table: both row counts and checksums (shortened), and whether they match. */
export function formatComparison(comparison: readonly TableComparison[], sourceLabel: string, targetLabel: string): string {
  const rows = [
    ['table', `${sourceLabel} rows`, `${targetLabel} rows`, `${sourceLabel} sha256`, `${targetLabel} sha256`, ''],
    ...comparison.map(({ table, source, target, same }) => [
      table,
      String(source?.count ?? '-'),
      String(target?.count ?? '-'),
      short(source?.sha256),
      short(target?.sha256),
      same ? 'same' : 'DIFFERENT',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  // Names left-aligned, counts right-aligned.
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 1 || column === 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}
