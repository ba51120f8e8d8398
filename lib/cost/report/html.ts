/**
 * A self-contained HTML page: the chart of cost per million requests against monthly volume (both
 * axes logarithmic, one line per stage) drawn by Chart.js inlined from node_modules, then the same
 * tables as the markdown report. No network access is needed to open it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatVolume } from '../format';
import { type CostReport, sideBySide } from './model';
import { comparisonGrid, findings, missingLines, provenance, unpricedLines } from './text';

/** Chart.js's UMD build (not in its package exports, so found next to its main file). */
function chartJsSource(): string {
  let file: string;
  try {
    file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  } catch {
    throw new Error('chart.js is not installed: run `npm ci` (it is a dev dependency the HTML report inlines)');
  }
  // Inline, a "</script" inside it would end the element early.
  return fs.readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
}

const STAGE_COLOURS = ['#1b6ca8', '#d1495b', '#2e933c', '#edae49', '#6f4e9c', '#00798c'];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function list(items: string[]): string {
  return `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

export function renderHtml(report: CostReport): string {
  const chartData = {
    datasets: report.curves.map((curve, i) => ({
      label: curve.stage,
      data: curve.points.map((p) => ({ x: p.requestsPerMonth, y: p.usdPerMillion })),
      borderColor: STAGE_COLOURS[i % STAGE_COLOURS.length],
      backgroundColor: STAGE_COLOURS[i % STAGE_COLOURS.length],
      pointRadius: 0,
      borderWidth: 2,
      spanGaps: false, // a gap where the stage cannot carry the volume
    })),
  };
  const tables = sideBySide(report)
    .map((group) => {
      const grid = comparisonGrid(group.estimates, report.mode === 'live');
      const head = `<tr>${grid.header.map((h, i) => `<th${i > 0 ? ' class="num"' : ''}>${escapeHtml(h || 'service')}</th>`).join('')}</tr>`;
      const rows = grid.rows
        .map(
          (row) =>
            `<tr${row.emphasis ? ' class="total"' : ''}><td>${escapeHtml(row.label.trim())}</td>${row.cells.map((c) => `<td class="num">${escapeHtml(c)}</td>`).join('')}</tr>`,
        )
        .join('');
      return `<h2>Monthly cost ${escapeHtml(group.title)}</h2><table>${head}${rows}</table>`;
    })
    .join('\n');
  const volumes = report.volumes.map(formatVolume).join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flagstack: cost per request by stage</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #1d1d1f; }
  table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
  th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #ddd; text-align: left; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.total td { font-weight: 600; }
  #chart-box { width: 960px; height: 480px; }
  .muted { color: #666; font-size: 13px; }
</style>
</head>
<body data-chart="pending">
<h1>flagstack: cost per request by stage</h1>
<p class="muted">Generated ${escapeHtml(report.generatedAt)} (${report.mode}). ${escapeHtml(provenance(report))}</p>
<h2>Cost per million requests against monthly volume</h2>
<div id="chart-box"><canvas id="chart" width="960" height="480" role="img" aria-label="Cost per million requests by stage, ${escapeHtml(volumes)} requests a month"></canvas></div>
${list(findings(report))}
${tables}
${report.overCapacity.length > 0 ? `<h2>Over capacity</h2><p>Not counted as the cheapest at these volumes:</p>${list(report.overCapacity)}` : ''}
${report.warnings.length > 0 ? `<h2>Warnings</h2>${list(report.warnings)}` : ''}
${report.notes.length > 0 ? `<h2>Notes</h2>${list(report.notes)}` : ''}
<h2>Unpriced</h2>
${report.unpriced.length > 0 ? list(unpricedLines(report)) : '<p>Every billable resource the stacks create is priced.</p>'}
${report.missing.length > 0 ? `<h2>Not estimated</h2>${list(missingLines(report))}` : ''}
<script>${chartJsSource()}</script>
<script>
(function () {
  var body = document.body;
  try {
    var canvas = document.getElementById('chart');
    var usd = function (v) { return '$' + (v >= 10 || Number.isInteger(v) ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2)); };
    var volume = function (v) {
      var units = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
      for (var i = 0; i < units.length; i++) if (v >= units[i][0]) return +(v / units[i][0]).toPrecision(3) + units[i][1];
      return String(v);
    };
    var chart = new Chart(canvas, {
      type: 'line',
      data: ${scriptJson(chartData)},
      options: {
        animation: false,
        responsive: false,
        parsing: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'requests per month' }, ticks: { callback: function (v) { return volume(v); } } },
          y: { type: 'logarithmic', title: { display: true, text: 'USD per million requests' }, ticks: { callback: function (v) { return usd(v); } } }
        },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + usd(c.parsed.y) + ' per million at ' + volume(c.parsed.x); } } } }
      }
    });
    var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    var painted = 0;
    for (var i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    body.setAttribute('data-chart', painted > 0 ? 'drawn' : 'empty');
    body.setAttribute('data-chart-lines', String(chart.data.datasets.length));
    body.setAttribute('data-chart-painted-pixels', String(painted));
  } catch (error) {
    body.setAttribute('data-chart', 'error: ' + error.message);
  }
})();
</script>
</body>
</html>
`;
}
