/** The markdown report: the summary, each volume side by side, findings, the inputs and the prices used. */
import { formatUsd, formatVolume } from '../format';
import { priceTable } from '../prices';
import { ASSUMPTIONS } from '../profile';
import { type CostReport, estimateOf, sideBySide, stagesOf } from './model';
import { comparisonGrid, findings, missingLines, overlapGrid, profileRows, provenance, unpricedLines } from './text';

const cell = (text: string) => text.replace(/\|/g, '\\|');

function markdownTable(header: string[], rows: string[][], align: ('left' | 'right')[]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `| ${align.map((a) => (a === 'right' ? '---:' : '---')).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function renderMarkdown(report: CostReport): string {
  const stages = stagesOf(report);
  const out: string[] = [
    `# flagstack: cost per request by stage`,
    '',
    `Generated ${report.generatedAt} (${report.mode}). ${provenance(report)}`,
    '',
  ];

  if (report.mode === 'offline') {
    out.push('## Cost per million requests', '');
    const rows = report.volumes.map((volume) => {
      const cheapest = report.cheapest.find((c) => c.requestsPerMonth === volume)?.stage;
      return [
        `${formatVolume(volume)}/month`,
        ...stages.map((stage) => {
          const estimate = estimateOf(report, stage, volume);
          const text = estimate ? formatUsd(estimate.usdPerMillion) : '';
          return stage === cheapest ? `**${text}**` : text;
        }),
      ];
    });
    out.push(
      markdownTable(['volume', ...stages], rows, ['left', ...stages.map(() => 'right' as const)]),
      '',
      '(bold: the cheapest at that volume)',
      '',
    );
  }
  const found = findings(report);
  if (found.length > 0) out.push(...found.map((line) => `- ${line}`), '');

  for (const group of sideBySide(report)) {
    const grid = comparisonGrid(group.estimates, report.mode === 'live');
    out.push(`## Monthly cost ${group.title}`, '');
    out.push(
      markdownTable(
        ['service', ...grid.header.slice(1)],
        grid.rows.map((row) =>
          row.emphasis ? [`**${row.label}**`, ...row.cells.map((c) => `**${c}**`)] : [row.label.trim(), ...row.cells],
        ),
        ['left', ...grid.header.slice(1).map(() => 'right' as const)],
      ),
      '',
    );
  }

  if (report.overlap !== undefined) {
    const grid = overlapGrid(report.overlap);
    out.push(
      `## ${grid.title}`,
      '',
      markdownTable(
        ['', ...grid.header.slice(1)],
        grid.rows.map((row) =>
          row.emphasis ? [`**${row.label}**`, ...row.cells.map((c) => `**${c}**`)] : [row.label.trim(), ...row.cells],
        ),
        ['left', ...grid.header.slice(1).map(() => 'right' as const)],
      ),
      '',
      ...grid.notes.map((note) => `- ${note}`),
      ...(grid.notes.length > 0 ? [''] : []),
    );
  }

  if (report.live.length > 0) {
    out.push('## Live measurements', '');
    for (const live of report.live) {
      out.push(
        `- **${live.stage}**: ${live.requestsInWindow.toLocaleString('en')} requests in ${live.coveredDays.toFixed(1)} days (window ${live.window}), ` +
          `${Math.round(live.requestsPerMonth).toLocaleString('en')} a month. Read: ${live.sources.join('; ')}. ` +
          `Measured: ${Object.entries(live.measured)
            .map(([k, v]) => `${k} = ${v}`)
            .join(', ')}.`,
      );
    }
    out.push('');
  }
  if (report.overCapacity.length > 0)
    out.push(
      '## Over capacity',
      '',
      'Not counted as the cheapest at these volumes:',
      '',
      ...report.overCapacity.map((line) => `- ${line}`),
      '',
    );
  if (report.warnings.length > 0) out.push('## Warnings', '', ...report.warnings.map((warning) => `- ${warning}`), '');
  if (report.notes.length > 0) out.push('## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
  out.push(
    '## Unpriced',
    '',
    ...(report.unpriced.length > 0
      ? unpricedLines(report).map((line) => `- ${line}`)
      : ['Every billable resource the stacks create is priced.']),
    '',
  );
  if (report.missing.length > 0) out.push('## Not estimated', '', ...missingLines(report).map((line) => `- ${line}`), '');

  out.push('## Traffic profile', '');
  const profileTable = profileRows(report.profiles);
  const profileHeader = profileTable[0].length === 2 ? ['field', 'value'] : ['field', ...Object.keys(report.profiles)];
  out.push(
    markdownTable(
      profileHeader,
      profileTable,
      profileHeader.map(() => 'left' as const),
    ),
    '',
  );
  out.push('## Modelling assumptions', '');
  out.push(
    markdownTable(
      ['assumption', 'value'],
      Object.entries(ASSUMPTIONS).map(([key, value]) => [key, String(value)]),
      ['left', 'right'],
    ),
    '',
  );

  out.push('## Prices used', '');
  const used = new Map<string, string>();
  const overridden = new Map<string, Set<string>>();
  for (const estimate of report.estimates)
    for (const line of estimate.lines) {
      const key = `${line.priceRegion}|${line.priceKey}`;
      used.set(key, line.priceRegion);
      for (const override of line.overrides ?? []) overridden.set(key, (overridden.get(key) ?? new Set()).add(override));
    }
  const priceRows = [...used.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, region]) => {
      const priceKey = key.slice(key.indexOf('|') + 1);
      const price = priceTable(region).get(priceKey);
      const tiers = price.tiers?.length ? ` (+${price.tiers.length} tiers)` : '';
      const free = price.free ? `${price.free.quantity.toLocaleString('en')} free` : '';
      const overrides = overridden.has(key) ? ` (overridden: ${[...overridden.get(key)!].join('; ')})` : '';
      return [
        region,
        priceKey,
        `${price.usd}${tiers}${overrides}`,
        price.unit,
        free,
        price.verified ? 'yes' : 'no',
        price.date,
        price.source,
      ];
    });
  out.push(
    markdownTable(['region', 'price', 'USD', 'per', 'free / month', 'verified', 'date', 'source'], priceRows, [
      'left',
      'left',
      'right',
      'left',
      'left',
      'left',
      'left',
      'left',
    ]),
    '',
  );
  return `${out.join('\n')}\n`;
}
