// The HTML report opens in headless Chromium (Debian's `chromium`) and draws its chart. Locally the
// test is skipped, with a message, when Chromium is missing; in CI (CI=true) a missing Chromium fails.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { renderHtml } from '../../lib/cost/report/html';
import { buildReport } from '../../lib/cost/report/model';
import { DEFAULT_CAPACITY } from '../../lib/cost/profile';
import { cdn, input, resource, stageOf } from './support';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!available && !inCi)
  console.warn(`Skipping the HTML report test: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM=/path/to/chromium).`);
const withChromium = available || inCi ? it : it.skip;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cost-html-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The page's <body> attributes once its scripts ran. */
async function bodyAfterLoad(html: string): Promise<Record<string, string>> {
  if (!available) throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium package (.ci/run installs it)`);
  const file = path.join(work, `report-${Math.random().toString(36).slice(2)}.html`);
  fs.writeFileSync(file, html);
  const { stdout } = await promisify(execFile)(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=10000', '--dump-dom', `file://${file}`],
    {
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const body = /<body([^>]*)>/.exec(stdout)?.[1] ?? '';
  return Object.fromEntries([...body.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const report = buildReport(
  [
    {
      resources: stageOf(
        [
          resource('ec2-instance', {
            instanceType: 't4g.small',
            detailedMonitoring: false,
            volumes: [],
            autoAssignedPublicIp: true,
            compressesResponses: false,
          }),
        ],
        'single-box',
      ),
      volumes: [20e6, 3e9],
      input: input(),
    },
    {
      resources: stageOf(
        [
          cdn('PriceClass_100', []),
          resource('fargate-service', { clusterId: 'C', cpu: 512, memoryMiB: 1024, architecture: 'arm64', desired: 2, min: 2, max: 10 }),
        ],
        'fargate',
      ),
      volumes: [20e6, 3e9],
      input: input(),
    },
  ],
  { mode: 'offline', templates: 'test', priceRegion: 'us-east-1', freeTier: true, capacity: DEFAULT_CAPACITY, missing: [], live: [] },
);

describe('the HTML report', () => {
  withChromium(
    'opens in headless Chromium and draws one line per stage',
    async () => {
      const body = await bodyAfterLoad(renderHtml(report));
      expect(body['data-chart']).toBe('drawn');
      expect(body['data-chart-lines']).toBe('2');
      expect(Number(body['data-chart-painted-pixels'])).toBeGreaterThan(5000);
    },
    120_000,
  );

  withChromium(
    'says so when the chart cannot be drawn (the check can fail)',
    async () => {
      const withoutChartJs = renderHtml(report).replace(/<script>[^]*?<\/script>/, '<script></script>');
      expect((await bodyAfterLoad(withoutChartJs))['data-chart']).toMatch(/^error: Chart is not defined/);
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
