/** The terminal rendering: one plain table per volume with the stages side by side, then the findings. */
import Table from 'cli-table3';
import { type CostReport, sideBySide } from './model';
import { comparisonGrid, findings, missingLines, overlapGrid, provenance, unpricedLines } from './text';

export function renderTable(report: CostReport): string {
  const out: string[] = [];
  for (const group of sideBySide(report)) {
    const grid = comparisonGrid(group.estimates, report.mode === 'live');
    const table = new Table({
      style: { head: [], border: [] }, // plain text: the output is often piped into notes
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
      head: grid.header,
      colAligns: ['left', ...grid.header.slice(1).map(() => 'right' as const)],
    });
    for (const row of grid.rows) table.push([row.label, ...row.cells]);
    out.push(`Monthly cost ${group.title}`, table.toString(), '');
  }
  if (report.overlap !== undefined) {
    const grid = overlapGrid(report.overlap);
    const table = new Table({
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
      head: grid.header,
      colAligns: ['left', ...grid.header.slice(1).map(() => 'right' as const)],
    });
    for (const row of grid.rows) table.push([row.label, ...row.cells]);
    out.push(grid.title, table.toString(), ...grid.notes.map((note) => `  - ${note}`), '');
  }
  for (const live of report.live) {
    out.push(
      `Live ${live.stage}: ${live.requestsInWindow.toLocaleString('en')} requests in ${live.coveredDays.toFixed(1)} days (${live.window} window) → ${Math.round(live.requestsPerMonth).toLocaleString('en')} a month; from ${live.sources.join(', ')}`,
    );
  }
  out.push(...findings(report));
  if (report.overCapacity.length > 0)
    out.push('', 'Over capacity (not counted as cheapest):', ...report.overCapacity.map((line) => `  - ${line}`));
  if (report.warnings.length > 0) out.push('', 'Warnings:', ...report.warnings.map((warning) => `  - ${warning}`));
  if (report.notes.length > 0) out.push('', 'Notes:', ...report.notes.map((note) => `  - ${note}`));
  if (report.unpriced.length > 0) out.push('', 'Unpriced (not in the totals):', ...unpricedLines(report).map((line) => `  - ${line}`));
  if (report.missing.length > 0) out.push('', 'Not estimated:', ...missingLines(report).map((line) => `  - ${line}`));
  out.push('', provenance(report));
  return `${out.join('\n')}\n`;
}
