// The HTML report opens in headless Chromium (Debian's `chromium`, driven by playwright-core), draws its
// chart and the markers over it, and shows the recommendations and assumptions. Locally the tests are
// skipped, with a message, when Chromium is missing; in CI (CI=true) a missing Chromium fails.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { AVAILABILITY_ASSUMPTIONS } from '../../lib/cost/availability';
import { CAPACITY_ASSUMPTIONS, DEFAULT_LOAD, type LoadOptions } from '../../lib/cost/capacity';
import { formatVolume } from '../../lib/cost/format';
import { priceTable } from '../../lib/cost/prices';
import { DEFAULT_CAPACITY } from '../../lib/capacity-figures';
import { renderHtml } from '../../lib/cost/report/html';
import { overlapCost, type OverlapCost } from '../../lib/cost/overlap';
import { buildReport, type CostReport } from '../../lib/cost/report/model';
import { overlapGrid } from '../../lib/cost/report/text';
import { cdn, input, resource, stageOf } from './support';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!available && !inCi)
  console.warn(`Skipping the HTML report test: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM=/path/to/chromium).`);
const withChromium = available || inCi ? it : it.skip;

/** Okabe and Ito's eight colours. */
const OKABE_ITO = ['#000000', '#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cost-html-'));
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** What the page shows once its scripts ran: read in the page, returned as plain data. */
interface PageState {
  body: Record<string, string>;
  datasets: { label: string; borderColor: string; borderDash: number[]; pointStyle: string }[];
  /** Canvas pixels of exactly each dataset's colour, by label. */
  pixelsOfColour: Record<string, number>;
  area: { left: number; right: number; top: number; bottom: number };
  xScale: { min: number; max: number };
  canvasBox: number[];
  overlayBox: number[] | undefined;
  markers: {
    kind: string;
    stage: string;
    requestsPerMonth: number;
    label: string;
    text: string;
    stroke: string;
    x1: number;
    x2: number;
    y1: number;
    y2: number;
  }[];
  key: { stage: string; stroke: string; dash: string }[];
  tables: Record<string, { attributes: Record<string, string>; cells: string[] }[]>;
  text: Record<string, string>;
}

const READ_PAGE = `(() => {
  const attributes = (element) => Object.fromEntries([...element.attributes].map((a) => [a.name, a.value]));
  const box = (element) => { const r = element?.getBoundingClientRect(); return r && [r.left, r.top, r.width, r.height]; };
  const canvas = document.getElementById('chart');
  const chart = window.Chart && Chart.getChart(canvas);
  const state = { body: attributes(document.body), tables: {}, text: {} };
  for (const id of ['recommendations', 'move-on', 'stage-limits', 'capacity-assumptions', 'availability-assumptions', 'model-assumptions', 'profile', 'prices', 'overlap'])
    state.tables[id] = [...document.querySelectorAll('#' + id + ' tbody tr')].map((row) => ({
      attributes: attributes(row),
      cells: [...row.cells].map((cell) => cell.textContent.trim()),
    }));
  for (const id of ['load', 'prices-verified', 'beyond-chart', 'overlap-title']) state.text[id] = document.getElementById(id)?.textContent ?? '';
  if (!chart) return state;
  const hex = (rgb) => '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('').toUpperCase();
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = {};
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3] === 255) { const c = hex([pixels[i], pixels[i + 1], pixels[i + 2]]); counts[c] = (counts[c] ?? 0) + 1; }
  state.datasets = chart.data.datasets.map((d) => ({ label: d.label, borderColor: d.borderColor, borderDash: d.borderDash, pointStyle: d.pointStyle }));
  state.pixelsOfColour = Object.fromEntries(state.datasets.map((d) => [d.label, counts[d.borderColor.toUpperCase()] ?? 0]));
  state.area = { left: chart.chartArea.left, right: chart.chartArea.right, top: chart.chartArea.top, bottom: chart.chartArea.bottom };
  state.xScale = { min: chart.scales.x.min, max: chart.scales.x.max };
  state.canvasBox = box(canvas);
  state.overlayBox = box(document.getElementById('markers'));
  state.markers = [...document.querySelectorAll('#markers g')].map((g) => {
    const line = g.querySelector('line');
    return {
      kind: g.dataset.kind, stage: g.dataset.stage, requestsPerMonth: Number(g.dataset.requestsPerMonth), label: g.dataset.label,
      text: g.querySelector('text').textContent, stroke: line.getAttribute('stroke'),
      x1: Number(line.getAttribute('x1')), x2: Number(line.getAttribute('x2')), y1: Number(line.getAttribute('y1')), y2: Number(line.getAttribute('y2')),
    };
  });
  state.key = [...document.querySelectorAll('#stage-key li')].map((li) => ({
    stage: li.dataset.stage, stroke: li.querySelector('line').getAttribute('stroke'), dash: li.querySelector('line').getAttribute('stroke-dasharray') ?? '',
  }));
  return state;
})()`;

/** Opens the page from a file and reads it once its scripts ran. */
async function open(html: string): Promise<PageState> {
  if (!available) throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium package (.ci/run installs it)`);
  browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const file = path.join(work, `report-${Math.random().toString(36).slice(2)}.html`);
  fs.writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  try {
    await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForFunction("document.body.getAttribute('data-chart') !== 'pending'", undefined, { timeout: 30_000 });
    return (await page.evaluate(READ_PAGE)) as PageState;
  } finally {
    await page.close();
  }
}

const VOLUMES = [20e6, 600e6, 3e9];

const singleBox = (instanceType = 't4g.small') =>
  stageOf(
    [
      resource('ec2-instance', {
        instanceType,
        detailedMonitoring: false,
        volumes: [],
        autoAssignedPublicIp: true,
        compressesResponses: false,
      }),
    ],
    'single-box',
  );
const fargate = stageOf(
  [
    cdn('PriceClass_100', []),
    resource('fargate-service', { clusterId: 'C', cpu: 512, memoryMiB: 1024, architecture: 'arm64', desired: 2, min: 2, max: 10 }),
  ],
  'fargate',
);

function reportWith({
  load,
  instanceType = 't4g.small',
  overlap,
}: { load?: LoadOptions; instanceType?: string; overlap?: OverlapCost } = {}): CostReport {
  return buildReport(
    [
      { resources: singleBox(instanceType), volumes: VOLUMES, input: input() },
      { resources: fargate, volumes: VOLUMES, input: input() },
    ],
    {
      mode: 'offline',
      templates: 'test',
      priceRegion: 'us-east-1',
      freeTier: true,
      capacity: DEFAULT_CAPACITY,
      missing: [],
      live: [],
      ...(load ? { load } : {}),
      ...(overlap ? { overlap } : {}),
    },
  );
}
const report = reportWith();

/** Each stage's estimate at the lowest volume (its ceiling is the same at every volume). */
const ceilingOf = (r: CostReport, stage: string) => r.estimates.find((e) => e.stage === stage)!.capacity.maxRequestsPerMonth;

describe('the HTML report', () => {
  withChromium(
    'opens in headless Chromium and draws one line per stage',
    async () => {
      const state = await open(renderHtml(report));
      expect(state.body['data-chart']).toBe('drawn');
      expect(state.body['data-chart-lines']).toBe('2');
      expect(Number(state.body['data-chart-painted-pixels'])).toBeGreaterThan(5000);
    },
    120_000,
  );

  withChromium(
    'says so when the chart cannot be drawn (the check can fail)',
    async () => {
      const withoutChartJs = renderHtml(report).replace(/<script>[^]*?<\/script>/, '<script></script>');
      expect((await open(withoutChartJs)).body['data-chart']).toMatch(/^error: Chart is not defined/);
    },
    120_000,
  );

  withChromium(
    "marks each stage's ceilings, where the cheapest stage changes and the volumes asked for, where the chart's x axis puts them",
    async () => {
      const state = await open(renderHtml(report));
      const { spike } = report.load;
      expect(report.crossovers).toHaveLength(1); // the test needs one on the chart
      const [crossover] = report.crossovers;
      const expected = [
        ...VOLUMES.map((v) => ({ kind: 'volume', stage: '', requestsPerMonth: v, label: `${formatVolume(v)} a month` })),
        ...['single-box', 'fargate'].flatMap((stage) => {
          const ceiling = ceilingOf(report, stage);
          return [
            { kind: 'ceiling', stage, requestsPerMonth: ceiling, label: `${stage}: ceiling at peak, ${formatVolume(ceiling)}` },
            {
              kind: 'spike-ceiling',
              stage,
              requestsPerMonth: ceiling / spike,
              label: `${stage}: ceiling at ${spike}× peak, ${formatVolume(ceiling / spike)}`,
            },
          ];
        }),
        {
          kind: 'crossover',
          stage: '',
          requestsPerMonth: crossover.requestsPerMonth,
          label: `cheapest: single-box → fargate, ${formatVolume(crossover.requestsPerMonth)}`,
        },
        { kind: 'requirement', stage: '', requestsPerMonth: 100e6, label: 'AZ loss to survive from 100M' },
      ];
      const byVolume = (a: { requestsPerMonth: number }, b: { requestsPerMonth: number }) => a.requestsPerMonth - b.requestsPerMonth;
      const drawn = [...state.markers].sort(byVolume);
      expect(drawn.map(({ kind, stage, requestsPerMonth, label }) => ({ kind, stage, requestsPerMonth, label }))).toEqual(
        expected.sort(byVolume),
      );
      expect(state.body['data-chart-markers']).toBe(String(expected.length));

      // The x axis spans the curves; on a log axis a volume's pixel is linear in its logarithm.
      const { area, xScale } = state;
      expect(xScale.min).toBe(report.curves[0].points[0].requestsPerMonth);
      expect(xScale.max).toBe(report.curves[0].points.at(-1)!.requestsPerMonth);
      const pixelOf = (v: number) =>
        area.left + ((Math.log(v) - Math.log(xScale.min)) / (Math.log(xScale.max) - Math.log(xScale.min))) * (area.right - area.left);
      for (const marker of drawn) {
        expect(marker.text).toBe(marker.label);
        expect(marker.x1).toBeCloseTo(pixelOf(marker.requestsPerMonth), 1);
        expect(marker.x2).toBe(marker.x1);
        expect([marker.y1, marker.y2]).toEqual([area.top, area.bottom]);
      }
      // Left to right: 20M, the AZ requirement, single-box's spike ceiling, 600M, fargate's, 3B, single-box's ceiling, the crossover, fargate's.
      expect(drawn.map((m) => `${m.kind} ${m.stage}`.trim())).toEqual([
        'volume',
        'requirement',
        'spike-ceiling single-box',
        'volume',
        'spike-ceiling fargate',
        'volume',
        'ceiling single-box',
        'crossover',
        'ceiling fargate',
      ]);
      // The overlay lies exactly over the canvas, so its pixels are the chart's.
      expect(state.overlayBox).toEqual(state.canvasBox);
      // A stage's ceilings are drawn in its colour.
      const colourOf = Object.fromEntries(state.datasets.map((d) => [d.label, d.borderColor]));
      for (const marker of drawn.filter((m) => m.stage !== '')) expect(marker.stroke).toBe(colourOf[marker.stage]);
    },
    120_000,
  );

  withChromium(
    'lists the markers beyond the x axis under the chart instead of drawing them',
    async () => {
      // A flatter peak lifts fargate's ceiling past the curves' last volume.
      const flatter = reportWith({ load: { peak: 1.2, spike: DEFAULT_LOAD.spike } });
      const ceiling = ceilingOf(flatter, 'fargate');
      expect(ceiling).toBeGreaterThan(flatter.curves[0].points.at(-1)!.requestsPerMonth);
      const state = await open(renderHtml(flatter));
      expect(state.markers.filter((m) => m.kind === 'ceiling').map((m) => m.stage)).toEqual(['single-box']);
      expect(state.text['beyond-chart']).toBe(`Beyond the chart: fargate: ceiling at peak, ${formatVolume(ceiling)}.`);
      expect(state.text.load).toContain("Peak: the busiest minute runs at 1.20× the month's average request rate (--peak).");
    },
    120_000,
  );

  withChromium(
    'draws the stages in Okabe–Ito colours, each with its own dash pattern and point shape, and keys them',
    async () => {
      const state = await open(renderHtml(report));
      const colours = state.datasets.map((d) => d.borderColor.toUpperCase());
      for (const colour of colours) expect(OKABE_ITO).toContain(colour);
      expect(new Set(colours).size).toBe(colours.length);
      expect(new Set(state.datasets.map((d) => JSON.stringify(d.borderDash))).size).toBe(colours.length);
      expect(new Set(state.datasets.map((d) => d.pointStyle)).size).toBe(colours.length);
      // The colours are what the canvas shows: each line's own pixels.
      for (const d of state.datasets) expect(state.pixelsOfColour[d.label]).toBeGreaterThan(100);
      expect(state.key).toEqual(state.datasets.map((d) => ({ stage: d.label, stroke: d.borderColor, dash: d.borderDash.join(' ') })));
    },
    120_000,
  );

  withChromium(
    'shows which stage to run at each volume and why, when to move on, and what each stage carries and survives',
    async () => {
      const state = await open(renderHtml(report));
      const mustSurvive = { none: 'nothing', az: 'an AZ loss', region: 'a region loss' };
      expect(state.tables.recommendations).toEqual(
        report.recommendations.map((r) => ({
          attributes: { 'data-volume': String(r.requestsPerMonth), 'data-stage': r.stage },
          cells: [formatVolume(r.requestsPerMonth), r.stage, mustSurvive[r.requires], r.reason],
        })),
      );
      expect(report.recommendations.map((r) => r.stage)).toEqual(['single-box', 'none', 'none']);
      expect(state.tables['move-on'].map((row) => row.cells)).toEqual(
        report.moveOn.map((m) => [m.from, formatVolume(m.requestsPerMonth), 'no stage estimated qualifies', m.reason]),
      );
      expect(state.tables['move-on']).toHaveLength(2);
      const limits = Object.fromEntries(state.tables['stage-limits'].map((row) => [row.attributes['data-stage'], row.cells]));
      const singleBox = ceilingOf(report, 'single-box');
      expect(limits['single-box']).toEqual([
        'single-box',
        '2,562 req/s',
        'network: t4g.small at 0.128 Gbps baseline each',
        formatVolume(singleBox),
        formatVolume(singleBox / report.load.spike),
        'cannot',
        'no loss',
        '~180 s',
        expect.stringMatching(/^nightly pg_dump/),
      ]);
      expect(limits.fargate.slice(2, 8)).toEqual([
        'CPU of 0.5-vCPU task shared by the service and PostgreSQL',
        formatVolume(ceilingOf(report, 'fargate')),
        formatVolume(ceilingOf(report, 'fargate') / report.load.spike),
        'in ~4 min',
        'no loss', // two tasks, but no database standby
        'none',
      ]);
    },
    120_000,
  );

  withChromium(
    'states what the figures assume: the load, the capacity figure, the constants, the traffic profile and which prices are verified',
    async () => {
      // t4g.micro's price is recorded, not verified.
      const micro = reportWith({ instanceType: 't4g.micro' });
      const state = await open(renderHtml(micro));
      expect(state.text.load).toContain(
        `Peak: the busiest minute runs at ${DEFAULT_LOAD.peak.toFixed(2)}× the month's average request rate (the default`,
      );
      expect(state.text.load).toContain('Spike: a stage must absorb 10× its peak from one minute to the next (the default).');
      expect(state.text.load).toContain(`Capacity figure: ${DEFAULT_CAPACITY.source};`);
      expect(state.text.load).toContain("CPU ceiling: a stage's CPU at peak may reach 80%");
      expect(state.text.load).toContain('must survive an AZ loss from 100M requests a month');
      const rows = (id: string) => state.tables[id].map((row) => row.cells);
      const constants = (values: Record<string, number>) => Object.entries(values).map(([k, v]) => [k, v.toLocaleString('en')]);
      expect(rows('capacity-assumptions')).toEqual(constants(CAPACITY_ASSUMPTIONS));
      expect(rows('capacity-assumptions')).toContainEqual(['peakCpuCeiling', '0.8']);
      expect(rows('availability-assumptions')).toEqual(constants(AVAILABILITY_ASSUMPTIONS));
      expect(rows('model-assumptions').length).toBeGreaterThan(10);
      expect(rows('profile')).toContainEqual(['cacheHitRatio', '0.5']);
      expect(rows('profile').map(([field]) => field)).toEqual(Object.keys(micro.profiles['single-box']));

      // Every price used, each marked verified or not as its table records.
      const used = [...new Set(micro.estimates.flatMap((e) => e.lines.map((line) => line.priceKey)))].sort();
      const prices = state.tables.prices;
      expect(prices.map((row) => row.attributes['data-key'])).toEqual(used);
      expect(prices.find((row) => row.attributes['data-key'] === 'ec2.instance:t4g.micro')?.attributes['data-verified']).toBe('false');
      const table = priceTable('us-east-1');
      for (const row of prices) {
        const price = table.get(row.attributes['data-key']);
        expect(row.attributes['data-verified']).toBe(String(price.verified));
        expect(row.cells[5]).toBe(price.verified ? 'yes' : 'no');
        expect(row.cells[7]).toBe(price.source);
      }
      const verified = prices.filter((row) => row.attributes['data-verified'] === 'true').length;
      expect(verified).toBeGreaterThan(0);
      expect(verified).toBeLessThan(prices.length);
      expect(state.text['prices-verified']).toMatch(new RegExp(`^${verified} of ${prices.length} prices used are verified`));
    },
    120_000,
  );

  withChromium(
    'shows what a move costs while both stages run (--overlap), as the other reports do',
    async () => {
      const overlap = overlapCost(singleBox(), fargate, { from: 'single-box', to: 'fargate', days: 14 }, VOLUMES, input());
      const grid = overlapGrid(overlap);
      const state = await open(renderHtml(reportWith({ overlap })));
      expect(state.text['overlap-title']).toBe(grid.title);
      expect(state.text['overlap-title']).toMatch(/^Moving from single-box to fargate: 14 days side by side/);
      expect(state.tables.overlap.map((row) => row.cells)).toEqual(grid.rows.map((row) => [row.label.trim(), ...row.cells]));
      expect(state.tables.overlap[0].cells[1]).toMatch(/^\$[\d,.]+$/);
      // Without --overlap there is no such section.
      expect((await open(renderHtml(report))).tables.overlap).toEqual([]);
    },
    120_000,
  );

  it('is self-contained: Chart.js inline, no external script, stylesheet or image', () => {
    const html = renderHtml(report);
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<(script|img|link)[^>]+(src|href)=/);
    expect(html).toContain('<table>');
  });
});
