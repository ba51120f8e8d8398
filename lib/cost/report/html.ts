/**
 * A self-contained HTML page: which stage to run at each volume and when to move on; the chart of cost
 * per million requests against monthly volume (both axes logarithmic, one line per stage) drawn by
 * Chart.js inlined from node_modules, with vertical markers over it (each stage's ceiling, where the
 * cheapest stage changes, the volumes asked for); what each stage carries and survives; the same tables
 * as the markdown report; and what the figures assume: load, capacity, constants, traffic, prices.
 * No network access is needed to open it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AVAILABILITY_ASSUMPTIONS } from '../availability';
import { CAPACITY_ASSUMPTIONS, DEFAULT_LOAD } from '../capacity';
import { formatVolume } from '../format';
import { type Price, priceTable } from '../prices';
import { ASSUMPTIONS } from '../profile';
import { AZ_REQUIRED_FROM } from '../recommend';
import { type CostReport, type RatedEstimate, sideBySide } from './model';
import {
  comparisonGrid,
  type Grid,
  missingLines,
  overlapGrid,
  priceFindings,
  profileRows,
  provenance,
  survives,
  unpricedLines,
} from './text';

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

type PointShape = 'circle' | 'triangle' | 'rect' | 'rectRot' | 'cross' | 'crossRot';

/**
 * Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white, and its black,
 * the volume markers'); each stage also has its own dash pattern and point shape, so that the lines
 * differ without colour, in print in grey too.
 */
const STAGE_STYLES: readonly { colour: string; dash: number[]; point: PointShape }[] = [
  { colour: '#0072B2', dash: [], point: 'circle' },
  { colour: '#D55E00', dash: [8, 4], point: 'triangle' },
  { colour: '#009E73', dash: [2, 3], point: 'rect' },
  { colour: '#CC79A7', dash: [10, 3, 2, 3], point: 'rectRot' },
  { colour: '#E69F00', dash: [4, 2], point: 'cross' },
  { colour: '#56B4E9', dash: [12, 3, 2, 3, 2, 3], point: 'crossRot' },
];
const MARKER_BLACK = '#000000';
const MARKER_GREY = '#666666';

/** A vertical line over the chart at a monthly volume. */
interface Marker {
  readonly kind: 'volume' | 'ceiling' | 'spike-ceiling' | 'crossover' | 'requirement';
  readonly requestsPerMonth: number;
  readonly label: string;
  readonly stage?: string;
  readonly colour: string;
  readonly dash: string;
}

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

/** A table of text cells; `rowAttributes` adds attributes (data-*) to each body row. */
function table(id: string, header: string[], rows: string[][], rowAttributes: (i: number) => string = () => ''): string {
  const head = `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((row, i) => `<tr${rowAttributes(i)}>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table id="${id}">${head}<tbody>${body}</tbody></table>`;
}

/** A grid of money, its first column labels, its totals in bold. */
function gridTable(grid: Grid, firstHeader: string, id?: string): string {
  const head = `<tr>${grid.header.map((h, i) => `<th${i > 0 ? ' class="num"' : ''}>${escapeHtml(h || firstHeader)}</th>`).join('')}</tr>`;
  const rows = grid.rows
    .map(
      (row) =>
        `<tr${row.emphasis ? ' class="total"' : ''}><td>${escapeHtml(row.label.trim())}</td>${row.cells.map((c) => `<td class="num">${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table${id ? ` id="${id}"` : ''}><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

/** What a move costs while both stages run (`--overlap`). */
function overlapSection(report: CostReport): string {
  if (report.overlap === undefined) return '';
  const grid = overlapGrid(report.overlap);
  return `<h2 id="overlap-title">${escapeHtml(grid.title)}</h2>${gridTable(grid, '', 'overlap')}${grid.notes.length > 0 ? list(grid.notes) : ''}`;
}

const styleOf = (report: CostReport, stage: string) =>
  STAGE_STYLES[report.curves.findIndex((curve) => curve.stage === stage) % STAGE_STYLES.length];

/** A stage's line and point shape, as the chart draws them, for the key and the tables. */
function swatch(style: (typeof STAGE_STYLES)[number]): string {
  const c = style.colour;
  const shapes: Record<PointShape, string> = {
    circle: `<circle cx="21" cy="7" r="4" fill="${c}"/>`,
    triangle: `<polygon points="21,2.5 25.5,10.5 16.5,10.5" fill="${c}"/>`,
    rect: `<rect x="17.5" y="3.5" width="7" height="7" fill="${c}"/>`,
    rectRot: `<polygon points="21,2 26,7 21,12 16,7" fill="${c}"/>`,
    cross: `<path d="M17 7H25M21 3V11" stroke="${c}" stroke-width="2"/>`,
    crossRot: `<path d="M18 4L24 10M18 10L24 4" stroke="${c}" stroke-width="2"/>`,
  };
  return (
    `<svg class="swatch" width="42" height="14" aria-hidden="true"><line x1="1" y1="7" x2="41" y2="7" stroke="${c}" stroke-width="2"` +
    `${style.dash.length > 0 ? ` stroke-dasharray="${style.dash.join(' ')}"` : ''}/>${shapes[style.point]}</svg>`
  );
}

/** Each stage's estimate at its lowest volume: its ceiling and availability are the same at every volume. */
function firstEstimates(report: CostReport): RatedEstimate[] {
  return report.curves.flatMap((curve) => report.estimates.find((estimate) => estimate.stage === curve.stage) ?? []);
}

function chartMarkers(report: CostReport): Marker[] {
  const { spike } = report.load;
  const markers: Marker[] = report.volumes.map((volume) => ({
    kind: 'volume',
    requestsPerMonth: volume,
    label: `${formatVolume(volume)} a month`,
    colour: MARKER_BLACK,
    dash: '',
  }));
  for (const { stage, capacity } of firstEstimates(report)) {
    if (!Number.isFinite(capacity.maxRequestsPerMonth)) continue;
    const { colour } = styleOf(report, stage);
    const ceiling = capacity.maxRequestsPerMonth;
    markers.push(
      {
        kind: 'ceiling',
        stage,
        requestsPerMonth: ceiling,
        label: `${stage}: ceiling at peak, ${formatVolume(ceiling)}`,
        colour,
        dash: '6 3',
      },
      // Where spike × peak passes the ceiling: the stage's move-on volume for capacity.
      {
        kind: 'spike-ceiling',
        stage,
        requestsPerMonth: ceiling / spike,
        label: `${stage}: ceiling at ${spike}× peak, ${formatVolume(ceiling / spike)}`,
        colour,
        dash: '2 3',
      },
    );
  }
  for (const crossover of report.crossovers) {
    markers.push({
      kind: 'crossover',
      requestsPerMonth: crossover.requestsPerMonth,
      label:
        crossover.to === 'none'
          ? `no stage carries it from ${formatVolume(crossover.requestsPerMonth)}`
          : `cheapest: ${crossover.from} → ${crossover.to}, ${formatVolume(crossover.requestsPerMonth)}`,
      colour: MARKER_GREY,
      dash: '1 3',
    });
  }
  // Recommendations ask for an AZ loss to be survived from this volume on, unless --require says otherwise.
  if (report.recommendations.length > 0 && report.required === undefined) {
    markers.push({
      kind: 'requirement',
      requestsPerMonth: AZ_REQUIRED_FROM,
      label: `AZ loss to survive from ${formatVolume(AZ_REQUIRED_FROM)}`,
      colour: MARKER_GREY,
      dash: '8 3 2 3',
    });
  }
  return markers;
}

function recommendationsSection(report: CostReport): string {
  if (report.recommendations.length === 0) return '';
  const mustSurvive = { none: 'nothing', az: 'an AZ loss', region: 'a region loss' } as const;
  const recommendations = table(
    'recommendations',
    ['volume a month', 'run', 'must survive', 'why'],
    report.recommendations.map((r) => [formatVolume(r.requestsPerMonth), r.stage, mustSurvive[r.requires], r.reason]),
    (i) => ` data-volume="${report.recommendations[i].requestsPerMonth}" data-stage="${escapeHtml(report.recommendations[i].stage)}"`,
  );
  const moveOn =
    report.moveOn.length === 0
      ? ''
      : `<h3>When to move on</h3>${table(
          'move-on',
          ['from', 'at (a month)', 'to', 'why'],
          report.moveOn.map((m) => [
            m.from,
            formatVolume(m.requestsPerMonth),
            m.to === 'none' ? 'no stage estimated qualifies' : m.to,
            m.reason,
          ]),
          (i) => ` data-from="${escapeHtml(report.moveOn[i].from)}" data-volume="${report.moveOn[i].requestsPerMonth}"`,
        )}`;
  return `<h2>Which stage to run</h2>${recommendations}${moveOn}`;
}

function stageLimitsSection(report: CostReport): string {
  const { peak, spike } = report.load;
  const header = [
    'stage',
    'carries at most',
    'limited by',
    'ceiling at peak from (a month)',
    `ceiling at ${spike}× peak from`,
    'adds capacity',
    'survives',
    'deploy downtime',
    'recovery point',
  ];
  // A stage with no limit measured has no ceiling to show.
  const finite = (value: number, format: (value: number) => string) => (Number.isFinite(value) ? format(value) : '–');
  const rows = firstEstimates(report).map(({ stage, capacity, availability }) => {
    const cells = [
      finite(capacity.maxRps, (rps) => `${Math.round(rps).toLocaleString('en')} req/s`),
      capacity.limitedBy,
      finite(capacity.maxRequestsPerMonth, formatVolume),
      finite(capacity.maxRequestsPerMonth / spike, formatVolume),
      capacity.scaleOutSeconds === null
        ? 'cannot'
        : capacity.scaleOutSeconds < 60
          ? 'in seconds'
          : `in ~${Math.round(capacity.scaleOutSeconds / 60)} min`,
      survives({ availability }),
      availability.deployDowntimeSeconds === 0 ? 'none' : `~${availability.deployDowntimeSeconds} s`,
      availability.recoveryPoint,
    ];
    return `<tr data-stage="${escapeHtml(stage)}"><td>${swatch(styleOf(report, stage))} ${escapeHtml(stage)}</td>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<h2>What each stage carries and survives</h2>
<p>At its largest scale, with CPU at peak up to ${CAPACITY_ASSUMPTIONS.peakCpuCeiling * 100}%; a volume's peak is ${peak.toFixed(2)}× its monthly average rate.</p>
<table id="stage-limits"><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const assumptionRows = (constants: Readonly<Record<string, number>>) =>
  Object.entries(constants).map(([key, value]) => [key, value.toLocaleString('en')]);

function assumptionsSection(report: CostReport): string {
  const { load, capacity } = report;
  const loadLines = [
    `Peak: the busiest minute runs at ${load.peak.toFixed(2)}× the month's average request rate (${load.peak === DEFAULT_LOAD.peak ? "the default, from the documented weekday profile's busiest hour and minute" : '--peak'}).`,
    `Spike: a stage must absorb ${load.spike}× its peak from one minute to the next (${load.spike === DEFAULT_LOAD.spike ? 'the default' : '--spike'}).`,
    `Capacity figure: ${capacity.source}; that is ${Math.round(capacity.flagRpsPerVcpu).toLocaleString('en')} flag and ${Math.round(capacity.identityRpsPerVcpu).toLocaleString('en')} identity requests a second per vCPU, ${Math.round(capacity.databaseShareOfIdentityCpu * 100)}% of an identity request's CPU the database's.`,
    `CPU ceiling: a stage's CPU at peak may reach ${CAPACITY_ASSUMPTIONS.peakCpuCeiling * 100}% (past it queueing makes latency climb faster than throughput).`,
  ];
  // Live reports recommend nothing.
  if (report.recommendations.length > 0) {
    loadLines.push(
      report.required === undefined
        ? `Availability: a recommended stage must survive an AZ loss from ${formatVolume(AZ_REQUIRED_FROM)} requests a month, nothing below (the default).`
        : `Availability: a recommended stage must survive ${report.required === 'none' ? 'nothing' : `the loss of ${report.required === 'az' ? 'an AZ' : 'a region'}`} (--require ${report.required}).`,
    );
  }
  const profile = profileRows(report.profiles);
  const profileHeader = profile[0].length === 2 ? ['field', 'value'] : ['field', ...Object.keys(report.profiles)];
  return `<h2 id="assumptions">What the figures assume</h2>
<div id="load">${list(loadLines)}</div>
<h3>Capacity (lib/cost/capacity.ts)</h3>
${table('capacity-assumptions', ['constant', 'value'], assumptionRows(CAPACITY_ASSUMPTIONS))}
<h3>Availability (lib/cost/availability.ts)</h3>
${table('availability-assumptions', ['constant', 'value'], assumptionRows(AVAILABILITY_ASSUMPTIONS))}
<h3>Usage model (lib/cost/profile.ts)</h3>
${table('model-assumptions', ['constant', 'value'], assumptionRows(ASSUMPTIONS))}
<h3>Traffic profile</h3>
${table('profile', profileHeader, profile)}
${pricesSection(report)}`;
}

/** Every price the estimates used, with what its table records about its source. */
function pricesSection(report: CostReport): string {
  const used = new Map<string, { region: string; key: string; price: Price }>();
  for (const estimate of report.estimates)
    for (const line of estimate.lines)
      used.set(`${line.priceRegion}|${line.priceKey}`, {
        region: line.priceRegion,
        key: line.priceKey,
        price: priceTable(line.priceRegion).get(line.priceKey),
      });
  const prices = [...used.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
  const verified = prices.filter(({ price }) => price.verified).length;
  const rows = prices.map(({ region, key, price }) => [
    region,
    key,
    `${price.usd}${price.tiers?.length ? ` (+${price.tiers.length} tiers)` : ''}`,
    price.unit,
    price.free ? `${price.free.quantity.toLocaleString('en')} free${price.free.verified ? '' : ' (not verified)'}` : '',
    price.verified ? 'yes' : 'no',
    price.date,
    price.source,
  ]);
  return `<h3>Prices used</h3>
<p id="prices-verified">${verified} of ${prices.length} prices used are verified by the source named; ${prices.length - verified} were recorded from the public page and are not confirmed: check them before relying on them.</p>
${table('prices', ['region', 'price', 'USD', 'per', 'free / month', 'verified', 'date', 'source'], rows, (i) => ` data-key="${escapeHtml(prices[i].key)}" data-verified="${prices[i].price.verified}"`)}`;
}

export function renderHtml(report: CostReport): string {
  const points = report.curves[0].points;
  const [low, high] = [points[0].requestsPerMonth, points[points.length - 1].requestsPerMonth];
  const chartData = {
    datasets: report.curves.map((curve, i) => {
      const style = styleOf(report, curve.stage);
      return {
        label: curve.stage,
        data: curve.points.map((p) => ({ x: p.requestsPerMonth, y: p.usdPerMillion })),
        borderColor: style.colour,
        backgroundColor: style.colour,
        borderDash: style.dash,
        borderWidth: 2,
        pointStyle: style.point,
        // A point every eighth volume, staggered by stage so that the shapes of lines that meet do not overlap.
        pointRadius: curve.points.map((_, j) => (j % 8 === (i * 2) % 8 ? 4 : 0)),
        pointHoverRadius: 5,
        spanGaps: false, // a gap where the stage cannot carry the volume
      };
    }),
  };
  const markers = chartMarkers(report);
  const onChart = markers.filter((m) => m.requestsPerMonth >= low && m.requestsPerMonth <= high);
  const beyond = markers.filter((m) => !onChart.includes(m));
  const key = report.curves
    .map((curve) => `<li data-stage="${escapeHtml(curve.stage)}">${swatch(styleOf(report, curve.stage))} ${escapeHtml(curve.stage)}</li>`)
    .join('');
  const tables = sideBySide(report)
    .map(
      (group) =>
        `<h2>Monthly cost ${escapeHtml(group.title)}</h2>${gridTable(comparisonGrid(group.estimates, report.mode === 'live'), 'service')}`,
    )
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
  th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.total td { font-weight: 600; }
  #chart-box { position: relative; width: 960px; height: 540px; }
  #markers { position: absolute; left: 0; top: 0; pointer-events: none; }
  #markers text { font: 11px system-ui, sans-serif; fill: #1d1d1f; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
  #markers g[data-kind="volume"] text { font-weight: 600; }
  #stage-key { list-style: none; padding: 0; display: flex; gap: 1.5rem; }
  .swatch { vertical-align: middle; }
  #stage-limits td:first-child { white-space: nowrap; }
  #prices { font-size: 13px; }
  #prices td, #prices th { padding: 0.2rem 0.4rem; }
  #prices td:first-child { white-space: nowrap; }
  #prices td:last-child { min-width: 12rem; overflow-wrap: anywhere; }
  #prices tr[data-verified="false"] td:nth-child(6) { color: #a04000; font-weight: 600; }
  .muted { color: #666; font-size: 13px; }
</style>
</head>
<body data-chart="pending">
<h1>flagstack: cost per request by stage</h1>
<p class="muted">Generated ${escapeHtml(report.generatedAt)} (${report.mode}). ${escapeHtml(provenance(report))}</p>
${recommendationsSection(report)}
<h2>Cost per million requests against monthly volume</h2>
<ul id="stage-key">${key}</ul>
<div id="chart-box"><canvas id="chart" width="960" height="540" role="img" aria-label="Cost per million requests by stage, ${escapeHtml(volumes)} requests a month"></canvas><svg id="markers" width="960" height="540"></svg></div>
<p class="muted">A line ends where the stage cannot carry the month's average load as built. Vertical lines: black, the volumes asked for;
in a stage's colour, dashed where its ceiling is reached at the volume's peak, dotted where ${report.load.spike}× the peak reaches it (where to move on for capacity);
grey dotted, where the cheapest stage changes${report.recommendations.length > 0 && report.required === undefined ? '; grey dash-dot, from where a recommended stage must survive an AZ loss' : ''}.</p>
${beyond.length > 0 ? `<p id="beyond-chart" class="muted">Beyond the chart: ${escapeHtml(beyond.map((m) => m.label).join('; '))}.</p>` : ''}
${list(priceFindings(report))}
${stageLimitsSection(report)}
${tables}
${overlapSection(report)}
${report.overCapacity.length > 0 ? `<h2>Over capacity</h2><p>Not counted as the cheapest at these volumes:</p>${list(report.overCapacity)}` : ''}
${report.warnings.length > 0 ? `<h2>Warnings</h2>${list(report.warnings)}` : ''}
${report.notes.length > 0 ? `<h2>Notes</h2>${list(report.notes)}` : ''}
<h2>Unpriced</h2>
${report.unpriced.length > 0 ? list(unpricedLines(report)) : '<p>Every billable resource the stacks create is priced.</p>'}
${report.missing.length > 0 ? `<h2>Not estimated</h2>${list(missingLines(report))}` : ''}
${assumptionsSection(report)}
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
        layout: { padding: { top: 22 } }, // room for the volume labels
        scales: {
          x: { type: 'logarithmic', min: ${low}, max: ${high}, title: { display: true, text: 'requests per month' }, ticks: { callback: function (v) { return volume(v); } } },
          y: { type: 'logarithmic', title: { display: true, text: 'USD per million requests' }, ticks: { callback: function (v) { return usd(v); } } }
        },
        plugins: {
          legend: { display: false }, // #stage-key shows each line's dash and point shape
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + usd(c.parsed.y) + ' per million at ' + volume(c.parsed.x); } } }
        }
      }
    });
    // The markers: SVG over the canvas, placed by the chart's own x scale.
    var area = chart.chartArea;
    var overlay = document.getElementById('markers');
    var svg = function (tag, attributes, parent) {
      var element = document.createElementNS('http://www.w3.org/2000/svg', tag);
      for (var name in attributes) element.setAttribute(name, attributes[name]);
      parent.appendChild(element);
      return element;
    };
    ${scriptJson(onChart)}.forEach(function (marker) {
      var x = chart.scales.x.getPixelForValue(marker.requestsPerMonth);
      var group = svg('g', { 'data-kind': marker.kind, 'data-stage': marker.stage || '', 'data-requests-per-month': marker.requestsPerMonth, 'data-label': marker.label }, overlay);
      svg('line', { x1: x, x2: x, y1: area.top, y2: area.bottom, stroke: marker.colour, 'stroke-width': 1.5, 'stroke-dasharray': marker.dash }, group);
      var text;
      if (marker.kind === 'volume') {
        text = svg('text', { x: x, y: area.top - 7, 'text-anchor': 'middle' }, group);
      } else {
        // Along the line, just left of it: stage ceilings from the top down, the others from the bottom up.
        var top = marker.kind === 'ceiling' || marker.kind === 'spike-ceiling';
        var y = top ? area.top + 4 : area.bottom - 4;
        text = svg('text', { x: x, y: y - 4, transform: 'rotate(-90 ' + x + ' ' + y + ')', 'text-anchor': top ? 'end' : 'start' }, group);
      }
      text.textContent = marker.label;
    });
    var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    var painted = 0;
    for (var i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    body.setAttribute('data-chart', painted > 0 ? 'drawn' : 'empty');
    body.setAttribute('data-chart-lines', String(chart.data.datasets.length));
    body.setAttribute('data-chart-painted-pixels', String(painted));
    body.setAttribute('data-chart-markers', String(overlay.childNodes.length));
  } catch (error) {
    body.setAttribute('data-chart', 'error: ' + error.message);
  }
})();
</script>
</body>
</html>
`;
}
