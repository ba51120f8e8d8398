/** Writes the report files: markdown, JSON and the self-contained HTML page. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderHtml } from './html';
import { renderJsonReport } from './json';
import { renderMarkdown } from './markdown';
import type { CostReport } from './model';

const REPORT_FILES = { markdown: 'cost-report.md', json: 'cost-report.json', html: 'cost-report.html' } as const;

/** Writes the three files into `directory` (created if needed); returns their paths. */
export function writeReports(report: CostReport, directory: string): string[] {
  fs.mkdirSync(directory, { recursive: true });
  const files: [string, string][] = [
    [REPORT_FILES.markdown, renderMarkdown(report)],
    [REPORT_FILES.json, renderJsonReport(report)],
    [REPORT_FILES.html, renderHtml(report)],
  ];
  return files.map(([name, content]) => {
    const file = path.join(directory, name);
    fs.writeFileSync(file, content);
    return file;
  });
}
