// The command line: output formats, the JSON shape, report files, bad arguments, and --live through
// mocked AWS clients. Templates come from one synthesised cloud assembly (--cdk-out), for speed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../lib/cost/cli';
import { sdkClients } from '../../lib/cost/live/measure';
import { DEFAULT_CAPACITY } from '../../lib/capacity-figures';
import { renderMarkdown } from '../../lib/cost/report/markdown';
import { buildReport } from '../../lib/cost/report/model';
import { STAGE_IDS } from '../../lib/stages';
import { input, resource, stageOf, synthesise } from './support';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cost-cli-'));
const assembly = path.join(work, 'cdk.out');
const { stacks } = synthesise({}, assembly);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function cost(args: string[], extra: Partial<Parameters<typeof runCli>[1]> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr: stderr as unknown as NodeJS.WriteStream, cwd: work, ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const offline = ['--cdk-out', assembly, '--quiet'];

describe('npm run cost (offline)', () => {
  it('--format json prints exactly one document with the documented shape', async () => {
    const run = await cost([...offline, '--format', 'json', '--no-report']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc)).toEqual(['region', 'pricesAsOf', 'rows', 'recommendations', 'moveOn', 'unpriced']);
    expect(doc.region).toBe('us-east-1');
    expect(doc.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(doc.unpriced).toEqual([]);
    // Every stage, in the registry's order, at the three default volumes.
    expect(doc.rows.map((r: { stage: string; requestsPerMonth: number }) => `${r.stage}@${r.requestsPerMonth}`)).toEqual(
      STAGE_IDS.flatMap((stage) => [20e6, 600e6, 3e9].map((v) => `${stage}@${v}`)),
    );
    for (const row of doc.rows) {
      expect(Object.keys(row)).toEqual([
        'stage',
        'requestsPerMonth',
        'monthlyUsd',
        'usdPerMillion',
        'fixedUsd',
        'variableUsd',
        'byService',
        'capacity',
        'availability',
      ]);
      expect(Object.keys(row.capacity)).toEqual(['peakRps', 'maxRequestsPerMonth', 'limitedBy', 'headroom', 'absorbsSpike']);
      expect(Object.keys(row.availability)).toEqual([
        'survivesInstanceLoss',
        'survivesAzLoss',
        'survivesRegionLoss',
        'deployDowntimeSeconds',
      ]);
      const services = Object.values(row.byService as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(services).toBeCloseTo(row.monthlyUsd, 0);
      expect(row.fixedUsd + row.variableUsd).toBeCloseTo(row.monthlyUsd, 1);
      expect(row.usdPerMillion).toBeCloseTo(row.monthlyUsd / (row.requestsPerMonth / 1e6), 2);
      expect(row.fixedUsd).toBeGreaterThan(0);
    }
    // Which stage to run at each volume, and why; where each stage stops being enough.
    expect(doc.recommendations.map((r: { requestsPerMonth: number; stage: string }) => `${r.stage}@${r.requestsPerMonth}`)).toEqual([
      'single-box@20000000',
      'fargate@600000000',
      'edge@3000000000',
    ]);
    for (const r of doc.recommendations) expect(r.reason).toMatch(/the cheapest .* that carries 10× its peak/);
    expect(doc.moveOn[0]).toMatchObject({ from: 'single-box', requestsPerMonth: 100e6 });
    // --quiet and --no-report: nothing on stderr, and stdout held only the document.
    expect(run.stderr).toBe('');
  });

  it('prints the stages side by side per volume, with the findings, and writes the three report files', async () => {
    const out = path.join(work, 'reports');
    const run = await cost([...offline, '--requests', '5M,1b', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Monthly cost at 5M requests a month[\s\S]*single-box\s*│\s*autoscaled\s*│\s*fargate\s*│\s*edge/);
    expect(run.stdout).toContain('Monthly cost at 1B requests a month');
    expect(run.stdout).toMatch(/Per million requests/);
    expect(run.stdout).toMatch(/Cheapest at 5M requests a month: /);
    expect(run.stdout).toContain('edge: includes its control plane, the fargate stage');
    expect(fs.readdirSync(out).sort()).toEqual(['cost-report.html', 'cost-report.json', 'cost-report.md']);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    expect(report.volumes).toEqual([5e6, 1e9]);
    expect(report.curves.map((c: { stage: string }) => c.stage)).toEqual(STAGE_IDS);
    expect(report.lineItems[0].lines.length).toBeGreaterThan(5);
    const markdown = fs.readFileSync(path.join(out, 'cost-report.md'), 'utf8');
    expect(markdown).toContain('## Cost per million requests');
    expect(markdown).toContain('## Prices used');
    expect(run.stderr).toContain('Reports written: reports/cost-report.md, reports/cost-report.json, reports/cost-report.html');
  });

  it('follows the capacity figure: a slower service needs more tasks', async () => {
    const monthly = async (extra: string[]) => {
      const run = await cost([...offline, '--format', 'json', '--no-report', '--stage', 'fargate', '--requests', '3B', ...extra]);
      return JSON.parse(run.stdout).rows[0].byService['AWS Fargate'] as number;
    };
    // 3B requests at 200 req/s per vCPU: CPU, not the 10-task maximum, decides.
    expect(await monthly(['--capacity-rps-per-vcpu', '200'])).toBeGreaterThan(await monthly([]));
  });

  it('reads the capacity figures from a bench file', async () => {
    const bench = path.join(work, 'bench.json');
    fs.writeFileSync(
      bench,
      JSON.stringify({
        measuredAt: '2026-11-01T00:00:00Z',
        cpus: 4,
        scenarios: [
          { name: 'GET /api/v1/flags/', service: { rps: 40000 } },
          { name: 'POST /api/v1/identities/ (3 traits)', service: { rps: 4000 } },
        ],
      }),
    );
    const out = path.join(work, 'bench-report');
    expect((await cost([...offline, '--bench', 'bench.json', '--out', out, '--stage', 'single-box'])).code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    expect(report.capacity).toEqual({
      flagRpsPerVcpu: 10000,
      identityRpsPerVcpu: 1000,
      databaseShareOfIdentityCpu: 0.5,
      source: 'bench.json (2026-11-01T00:00:00Z): 40000 flag and 4000 identity req/s on 4 vCPUs',
    });
  });

  it('prefers the CPU time per request a bench file measured, service and database', async () => {
    const bench = path.join(work, 'bench-cpu.json');
    const load = (rps: number, cpu: number, db: number) => ({ rps, cpuMicrosPerRequest: cpu, databaseCpuMicrosPerRequest: db });
    fs.writeFileSync(
      bench,
      JSON.stringify({
        measuredAt: '2026-11-02T00:00:00Z',
        cpus: 2,
        scenarios: [
          { name: 'GET /api/v1/flags/', service: load(20000, 40, 0) },
          { name: 'POST /api/v1/identities/ (3 traits)', service: load(3000, 150, 100) },
        ],
      }),
    );
    const out = path.join(work, 'bench-cpu-report');
    expect((await cost([...offline, '--bench', 'bench-cpu.json', '--out', out, '--stage', 'single-box'])).code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    expect(report.capacity).toEqual({
      flagRpsPerVcpu: 25000,
      identityRpsPerVcpu: 4000,
      databaseShareOfIdentityCpu: 0.4,
      source:
        'bench-cpu.json (2026-11-02T00:00:00Z): 40 µs of CPU per flag request, 150 + 100 µs (service + database) per identity request',
    });
  });

  it('prefers the medians over the turns where a bench file has them', async () => {
    const spread = (median: number) => ({ median, min: median * 0.9, max: median * 1.6 });
    // Over all five turns the means are higher: one turn ran on a busier machine.
    const scenario = (name: string, cpu: number, db: number) => ({
      name,
      service: { rps: 10000, cpuMicrosPerRequest: cpu * 1.2, databaseCpuMicrosPerRequest: db * 1.2 },
      overTurns: { cpuMicrosPerRequest: spread(cpu), databaseCpuMicrosPerRequest: spread(db) },
      turns: [{}, {}, {}, {}, {}],
    });
    fs.writeFileSync(
      path.join(work, 'bench-turns.json'),
      JSON.stringify({
        measuredAt: '2026-12-01T00:00:00Z',
        cpus: 2,
        turns: 5,
        scenarios: [scenario('GET /api/v1/flags/', 40, 0), scenario('POST /api/v1/identities/ (3 traits)', 150, 100)],
      }),
    );
    const out = path.join(work, 'bench-turns-report');
    expect((await cost([...offline, '--bench', 'bench-turns.json', '--out', out, '--stage', 'single-box'])).code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    expect(report.capacity).toEqual({
      flagRpsPerVcpu: 25000,
      identityRpsPerVcpu: 4000,
      databaseShareOfIdentityCpu: 0.4,
      source:
        'bench-turns.json (2026-12-01T00:00:00Z): 40 µs of CPU per flag request, 150 + 100 µs (service + database) per identity request (medians of 5 turns)',
    });
    // No edge figures: the edge function's duration stays the profile's.
    expect(report.profiles['single-box'].lambdaDurationMs).toBe(20);
  });

  describe('the edge handler a bench file measured', () => {
    const file = 'bench-edge.json';
    beforeAll(() =>
      fs.writeFileSync(
        path.join(work, file),
        JSON.stringify({
          measuredAt: '2026-12-02T00:00:00Z',
          cpus: 2,
          scenarios: [
            { name: 'GET /api/v1/flags/', service: { rps: 20000, cpuMicrosPerRequest: 40, databaseCpuMicrosPerRequest: 0 } },
            {
              name: 'POST /api/v1/identities/ (3 traits)',
              service: { rps: 3000, cpuMicrosPerRequest: 150, databaseCpuMicrosPerRequest: 100 },
            },
          ],
          edge: {
            flagsMs: { median: 0.0068, min: 0.0061, max: 0.0093 },
            identityMs: { median: 0.089, min: 0.087, max: 0.12 },
            turns: 5,
          },
        }),
      ),
    );
    const run = async (name: string, ...extra: string[]) => {
      const out = path.join(work, name);
      const result = await cost([...offline, '--bench', file, '--out', out, '--stage', 'edge', ...extra]);
      expect(result.code).toBe(0);
      return JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    };

    it('sets the duration the edge function is billed for, and says what it read', async () => {
      const report = await run('bench-edge-report');
      // Flag lists reaching the function (0.7 × 0.5 of requests) are billed 1 ms; identity requests
      // (0.3) 0.089 ms and a 4 ms trait read, 5 ms, and a 4 ms write more for the 10% that change a trait, 9 ms.
      expect(report.profiles.edge.lambdaDurationMs).toBe(3.03); // (0.35 × 1 + 0.3 × (0.9 × 5 + 0.1 × 9)) / 0.65
      expect(report.capacity.source).toBe(
        'bench-edge.json (2026-12-02T00:00:00Z): 40 µs of CPU per flag request, 150 + 100 µs (service + database) per identity request; ' +
          'the edge handler 0.0068 ms per flag list and 0.089 ms per identity request in process, DynamoDB mocked (medians of 5 turns)',
      );
      const durations = report.lineItems
        .flatMap((item: { lines: { priceKey: string; what: string }[] }) => item.lines)
        // The invocations' duration (the INIT of cold starts is billed on the same price, at its own duration).
        .filter(
          (line: { priceKey: string; what: string }) => line.priceKey.startsWith('lambda.duration:') && !line.what.startsWith('INIT'),
        );
      expect(durations.length).toBeGreaterThan(0);
      for (const line of durations) expect(line.what).toMatch(/, 3\.03 ms$/);
    });

    it('follows the profile: no identity requests, every invocation a flag list billed 1 ms', async () => {
      expect((await run('bench-edge-flags', '--identity-share', '0')).profiles.edge.lambdaDurationMs).toBe(1);
    });

    it('gives way to a duration set on the command line', async () => {
      expect((await run('bench-edge-given', '--lambda-duration-ms', '12')).profiles.edge.lambdaDurationMs).toBe(12);
    });
  });

  it('fails, non-zero, when a stage named on the command line is not in the templates', async () => {
    // A cloud assembly with the single-box stage only.
    const app = new App({ outdir: path.join(work, 'one-stack.out') });
    const roundOne = new Stack(app, 'Flagstack-SingleBox', { env: { account: '123456789012', region: 'us-east-1' } });
    new CfnResource(roundOne, 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
    app.synth();
    const run = await cost(['--quiet', '--cdk-out', path.join(work, 'one-stack.out'), '--stage', 'single-box,edge', '--no-report']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`edge: no Flagstack-Edge stack in ${path.join(work, 'one-stack.out')}`);
    expect(run.stdout).toContain('Monthly cost at 20M requests a month'); // the single box is still estimated
  });

  it('prints its help', async () => {
    const run = await cost(['--help']);
    expect(run.code).toBe(0);
    for (const option of ['--stage', '--requests', '--region', '--live', '--window', '--format', '--out'])
      expect(run.stdout).toContain(option);
    for (const option of ['--flags-per-request', '--server-sdks', '--poll-seconds', '--prices']) expect(run.stdout).toContain(option);
  });

  it.each([
    [['--stage', 'serverless'], new RegExp(`--stage: unknown stage "serverless" \\(stages: ${STAGE_IDS.join(', ')}\\)`)],
    [['--requests', '20M,lots'], /--requests: "lots" is not a number of requests a month/],
    [['--requests', '0'], /--requests: "0" is not a number/],
    [['--format', 'pdf'], /argument 'pdf' is invalid. Allowed choices are table, json, markdown, html/],
    [['--region', 'sa-east-1'], /--region: no complete price table for "sa-east-1" \(have: us-east-1, eu-west-2; lib\/cost\/prices\/\)/],
    [['--region', 'eu-west-1'], /--region: no complete price table for "eu-west-1"/],
    [['--window', '7d'], /--window applies only with --live/],
    [['--live', '--window', 'a week'], /--window: "a week" is not a duration/],
    [['--live', '--window', '30m'], /--window: 30m is under an hour/],
    [['--live', '--requests', '1M'], /--requests and --live do not combine/],
    [['--identity-share', '1.5'], /--identity-share: "1.5" must be a number from 0 to 1/],
    [['--bench', 'missing.json'], /--bench: cannot read missing.json/],
    [['--bench', 'x.json', '--capacity-rps-per-vcpu', '100'], /give one/],
    [['--context', 'fargateCpu=1024'], /--context applies to synthesis; with --cdk-out the templates are already synthesised/],
    [['--peak', '0.5'], /--peak: "0.5" must be a number from 1 to 100/],
    [['--peak', 'high'], /--peak: "high" must be a number from 1 to 100/],
    [['--spike', '0'], /--spike: "0" must be a number from 1 to 1000/],
    [['--require', 'planet'], /argument 'planet' is invalid. Allowed choices are none, az, region/],
    [['--flags-per-request', '0'], /--flags-per-request: "0" must be an integer from 1 to 100000/],
    [['--flags-per-request', '2.5'], /--flags-per-request: "2.5" must be an integer from 1 to 100000/],
    [['--server-sdks', '-1'], /--server-sdks: "-1" must be an integer from 0 to 10000000/],
    [['--server-sdks', 'many'], /--server-sdks: "many" must be an integer/],
    [['--poll-seconds', '30'], /--poll-seconds: no server SDKs poll \(give --server-sdks N, or serverSdks in --profile\)/],
    [['--server-sdks', '10', '--poll-seconds', '0'], /--poll-seconds: "0" must be a number from 1 to 86400/],
    [['--live', '--server-sdks', '5'], /--server-sdks and --live do not combine/],
    [['--prices', 'missing.json'], /--prices: cannot read missing.json/],
    [
      ['--overlap', 'edge:single-box'],
      /--overlap: single-box is not a later stage than edge \(stages, in order: single-box, autoscaled, fargate, edge\)/,
    ],
    [['--overlap', 'fargate:fargate'], /--overlap: fargate is not a later stage than fargate/],
    [['--overlap', 'single-box:cloud'], /--overlap: unknown stage "cloud"/],
    [['--overlap', 'single-box'], /--overlap: "single-box" is not FROM:TO or FROM:TO:DAYS/],
    [['--overlap', 'single-box:edge:14:2'], /--overlap: "single-box:edge:14:2" is not FROM:TO or FROM:TO:DAYS/],
    [['--overlap', 'single-box:edge:0'], /--overlap DAYS: "0" must be a number from 1 to 365/],
    [['--overlap', 'single-box:edge:two'], /--overlap DAYS: "two" must be a number from 1 to 365/],
    [['--live', '--overlap', 'single-box:edge'], /--overlap and --live do not combine/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['fargate'], /too many arguments/],
  ])('rejects %j with a message naming the problem', async (args, message) => {
    const run = await cost([...offline, ...args, '--no-report']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('--overlap prices a move at each volume, in JSON and markdown, whichever stages are estimated', async () => {
    const run = await cost([...offline, '--format', 'json', '--no-report', '--requests', '20M', '--overlap', 'single-box:autoscaled:10']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc.overlap)).toEqual(['from', 'to', 'days', 'schedule', 'notes', 'volumes']);
    expect(doc.overlap).toMatchObject({ from: 'single-box', to: 'autoscaled', days: 10, notes: [] });
    expect(doc.overlap.schedule).toEqual([0.01, 0.1, 0.5, 1].map((share) => ({ share, days: 2.5 })));
    const [at] = doc.overlap.volumes;
    expect(Object.keys(at)).toEqual(['requestsPerMonth', 'cost', 'versusStayingOnFrom', 'versusNewAlone']);
    const { cost: parts } = at;
    expect(parts.totalUsd).toBeCloseTo(parts.fromUsd + parts.toUsd + parts.shiftUsd, 1);
    // Staying or moving at once: each stage's monthly cost over 10 of the month's 730 / 24 days.
    const monthly = (stage: string) => doc.rows.find((row: { stage: string }) => row.stage === stage).monthlyUsd as number;
    expect(at.versusStayingOnFrom.usd).toBeCloseTo((monthly('single-box') * 10 * 24) / 730, 1);
    expect(at.versusNewAlone.usd).toBeCloseTo((monthly('autoscaled') * 10 * 24) / 730, 1);
    expect(at.versusStayingOnFrom.extraUsd).toBeCloseTo(parts.totalUsd - at.versusStayingOnFrom.usd, 1);
    // The new stage runs from the start: the overlap costs more than staying put.
    expect(at.versusStayingOnFrom.extraUsd).toBeGreaterThan(0);

    const markdown = await cost([...offline, '--format', 'markdown', '--no-report', '--stage', 'edge', '--overlap', 'autoscaled:fargate']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(
      /## Moving from autoscaled to fargate: 14 days side by side, 1% → 10% → 50% → 100% of the traffic on fargate/,
    );
    expect(markdown.stdout).toMatch(/both behind CloudFront: DNS weights cannot split traffic between them/);
  });

  it('--prices: rejects a file naming each bad path, and the report says which overrides applied', async () => {
    fs.writeFileSync(
      path.join(work, 'bad-prices.json'),
      JSON.stringify({ discounts: { services: { 'Amazon CloudFrnt': 10 }, prices: { 'fargate.vcpu:arm64': 120 } } }),
    );
    const bad = await cost([...offline, '--no-report', '--prices', 'bad-prices.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--prices: bad-prices.json is invalid:\n {2}\/discounts\/prices\/fargate\.vcpu:arm64: Expected number to be less or equal to 100/,
    );
    fs.writeFileSync(path.join(work, 'bad-service.json'), JSON.stringify({ discounts: { services: { 'Amazon CloudFrnt': 10 } } }));
    expect((await cost([...offline, '--no-report', '--prices', 'bad-service.json'])).stderr).toMatch(
      /\/discounts\/services\/Amazon CloudFrnt: not a service the report groups by/,
    );

    fs.writeFileSync(
      path.join(work, 'prices.json'),
      JSON.stringify({
        discounts: { services: { 'Amazon CloudFront': 20 } },
        privatePrices: { 'rds.aurora.io': 0.1 },
        savingsPlan: { computePercent: 30 },
      }),
    );
    const args = ['--stage', 'fargate', '--requests', '600M', '--format', 'json', '--no-report'];
    const plain = JSON.parse((await cost([...offline, ...args])).stdout).rows[0].byService;
    const run = await cost([...offline, ...args, '--prices', 'prices.json']);
    expect(run.code).toBe(0);
    const discounted = JSON.parse(run.stdout).rows[0].byService;
    expect(discounted['Amazon CloudFront']).toBeCloseTo(plain['Amazon CloudFront'] * 0.8, 1);
    expect(discounted['AWS Fargate']).toBeCloseTo(plain['AWS Fargate'] * 0.7, 1);
    const table = await cost([...offline, '--stage', 'fargate', '--requests', '600M', '--no-report', '--prices', 'prices.json']);
    expect(table.stdout).toContain(
      'Price overrides from prices.json: discount on Amazon CloudFront: 20% (5 prices); Compute Savings Plan: 30% (2 prices); ' +
        'not used by any line: private price rds.aurora.io: $0.1.',
    );
  });

  it('--server-sdks, --poll-seconds and --flags-per-request change the traffic priced', async () => {
    const monthly = async (extra: string[]) => {
      const run = await cost([
        ...offline,
        '--format',
        'json',
        '--no-report',
        '--no-free-tier',
        '--stage',
        'autoscaled',
        '--requests',
        '100M',
        ...extra,
      ]);
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout).rows[0].byService['Amazon CloudFront'] as number;
    };
    const base = await monthly([]);
    expect(await monthly(['--server-sdks', '200', '--poll-seconds', '10'])).toBeGreaterThan(base);
    expect(await monthly(['--flags-per-request', '100'])).toBeGreaterThan(base);
    expect(await monthly(['--flags-per-request', '5'])).toBeLessThan(base);
  });

  it('rejects a --context entry that is not key=value', async () => {
    const run = await cost(['--quiet', '--no-report', '--context', 'fargateCpu']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--context: "fargateCpu" is not key=value/);
  });

  it('stops on a bad stage setting passed as context, naming the key', async () => {
    const run = await cost(['--quiet', '--no-report', '--context', 'fargateCpu=300', '--stage', 'fargate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('cost: Invalid stage configuration: context key fargateCpu=300: must be one of: 256, 512, 1024, 2048, 4096\n');
    expect(run.stderr).not.toMatch(/\bat \w+ \(/); // a message, not a stack trace
  });
});

describe('npm run cost --live (mocked AWS)', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  const cloudFormation = mockClient(CloudFormationClient);
  const ecs = mockClient(ECSClient);
  beforeEach(() => {
    cloudWatch.reset();
    cloudFormation.reset();
    ecs.reset();
  });
  const now = new Date('2026-11-20T12:00:00Z');
  const live = (args: string[]) => cost([...offline, '--live', '--no-report', ...args], { clients: sdkClients, now: () => now });

  it('prices each deployed stage at its measured volume and reports the ones that are not deployed', async () => {
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
      if (input.StackName === 'Flagstack-SingleBox')
        return { Stacks: [{ StackName: 'Flagstack-SingleBox', CreationTime: new Date('2026-09-01'), StackStatus: 'UPDATE_COMPLETE' }] };
      throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    });
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    // 14 days of 1,000,000 requests a day.
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((q) => ({
        Id: q.Id,
        Values: Array(14).fill(1_000_000),
        Timestamps: Array(14).fill(now),
      })),
    }));
    const run = await live(['--format', 'json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.rows).toHaveLength(1);
    expect(doc.rows[0].stage).toBe('single-box');
    expect(doc.rows[0].requestsPerMonth).toBeCloseTo((14e6 / (14 * 86400)) * 2_628_000, 0);
    // Asked for every stage, it estimated the one deployed; the others are reported, not an error.
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual(
      expect.arrayContaining([
        'Flagstack-SingleBox',
        'Flagstack-Autoscaled',
        'Flagstack-Fargate',
        expect.stringMatching(/^Flagstack-Edge/),
      ]),
    );
  });

  it('markdown lists what was measured and which stages are not deployed', async () => {
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
      if (input.StackName === 'Flagstack-SingleBox')
        return { Stacks: [{ StackName: 'Flagstack-SingleBox', CreationTime: new Date('2026-09-01'), StackStatus: 'UPDATE_COMPLETE' }] };
      throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    });
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((q) => ({ Id: q.Id, Values: [5000], Timestamps: [now] })),
    }));
    const run = await live(['--format', 'markdown']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/## Live measurements[\s\S]*\*\*single-box\*\*: 5,000 requests in 14\.0 days/);
    expect(run.stdout).toMatch(/## Not estimated[\s\S]*autoscaled: stack Flagstack-Autoscaled is not deployed in us-east-1/);
    expect(run.stdout).toMatch(/This run read 1 metrics with GetMetricData/);
  });

  it('warns in every format of the report of each metric that had no data and the value used instead', async () => {
    // The synthesised stacks deployed, every resource with a made-up physical id.
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [{ StackName: input.StackName, CreationTime: new Date('2026-09-01'), StackStatus: 'UPDATE_COMPLETE' }],
    }));
    cloudFormation.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => ({
      StackResourceSummaries: Object.keys(stacks.find((s) => s.stackName === input.StackName)!.template.Resources ?? {}).map((id) => ({
        LogicalResourceId: id,
        PhysicalResourceId: `${id}-1`,
        ResourceType: 'T',
        LastUpdatedTimestamp: now,
        ResourceStatus: 'UPDATE_COMPLETE',
      })),
    }));
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 2, taskDefinition: 'td:1' }] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { cpu: '512', memory: '1024' } });
    // Request counts only: no bytes, and no Container Insights task count.
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((q) => {
        const counted = ['Requests', 'RequestCount'].includes(q.MetricStat!.Metric!.MetricName!);
        return { Id: q.Id, Values: counted ? [1_000_000] : [], Timestamps: counted ? [now] : [] };
      }),
    }));
    const out = path.join(work, 'live-warnings');
    const run = await cost([...offline, '--live', '--stage', 'fargate', '--out', out], { clients: sdkClients, now: () => now });
    expect(run.code).toBe(0);
    const warning =
      /Warning: fargate: no data for AWS\/CloudFront BytesDownloaded \(DistributionId=\S+, Region=Global\) in us-east-1 over the last \d+\.\d days: the profile's meanResponseBytes, 5800, used instead/;
    expect(run.stdout).toMatch(warning);
    expect(run.stdout).toMatch(
      /Warning: fargate: no data for AWS\/ApplicationELB ProcessedBytes .*: the load balancer's bytes modelled instead/,
    );
    expect(run.stdout).toMatch(
      /Warning: fargate: no data for ECS\/ContainerInsights RunningTaskCount .*: ECS's running count at this moment, 2, used instead/,
    );
    expect(fs.readFileSync(path.join(out, 'cost-report.md'), 'utf8')).toMatch(
      /## Notes[\s\S]*- Warning: fargate: no data for AWS\/CloudFront BytesDownloaded/,
    );
    const json = JSON.parse(fs.readFileSync(path.join(out, 'cost-report.json'), 'utf8'));
    expect(json.notes).toEqual(expect.arrayContaining([expect.stringMatching(warning)]));
    expect(json.live[0].warnings).toHaveLength(3);
    expect(fs.readFileSync(path.join(out, 'cost-report.html'), 'utf8')).toMatch(
      /<li>Warning: fargate: no data for AWS\/CloudFront BytesDownloaded [^<]*meanResponseBytes, 5800, used instead\.<\/li>/,
    );
  });

  it("shows a profile field measured for one stage only in the markdown's traffic profile", () => {
    const instance = resource('ec2-instance', {
      instanceType: 't4g.small',
      detailedMonitoring: false,
      volumes: [],
      autoAssignedPublicIp: true,
      compressesResponses: false,
    });
    const balancer = resource('load-balancer', { loadBalancerType: 'application', internetFacing: true, subnets: 2, rules: 1 });
    const report = buildReport(
      [
        { resources: stageOf([instance], 'single-box'), volumes: [20e6], input: input() },
        { resources: stageOf([balancer], 'fargate'), volumes: [20e6], input: input({ profile: { loadBalancerBytesPerRequest: 9000 } }) },
      ],
      { mode: 'live', templates: 'test', priceRegion: 'us-east-1', freeTier: true, capacity: DEFAULT_CAPACITY, missing: [], live: [] },
    );
    expect(renderMarkdown(report)).toContain('| loadBalancerBytesPerRequest |  | 9000 |');
  });

  it('exits 1 naming a stage that is named but not deployed', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Flagstack-Fargate does not exist'), { name: 'ValidationError' }));
    const run = await live(['--stage', 'fargate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('fargate: stack Flagstack-Fargate is not deployed in us-east-1');
  });

  it('exits 1 with what to do when there are no credentials', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const run = await live([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cost: no AWS credentials while describing stack Flagstack-SingleBox in us-east-1: set AWS_PROFILE .* or run without --live/,
    );
  });
});

describe('npm run cost with a traffic shift deployed', () => {
  const shift = ['shiftTo=autoscaled', 'shiftHostedZoneId=Z0123456789ABCDEFGHIJ', 'shiftFromEndpoint=203.0.113.10', 'shiftShare=10'];
  const domain = ['domainName=flags.example.com', 'certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc', 'region=us-east-1'];
  const route53 = async (context: string[]) => {
    const run = await cost([
      '--stage',
      'autoscaled',
      '--requests',
      '20M',
      '--format',
      'json',
      '--no-report',
      '--quiet',
      ...context.flatMap((c) => ['--context', c]),
    ]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.unpriced).toEqual([]);
    return (doc.rows[0].byService as Record<string, number>)['Amazon Route 53'] ?? 0;
  };

  it("prices a split's KeyValueStore: nothing a split between two CloudFront stages creates is unpriced", async () => {
    const split = [
      'shiftTo=fargate',
      'shiftToOrigin=d111111abcdef8.cloudfront.net',
      'shiftToDistributionId=E1A2B3C4D5E6F7',
      'shiftShare=10',
    ];
    const run = await cost([
      '--stage',
      'autoscaled',
      '--format',
      'markdown',
      '--no-report',
      '--quiet',
      ...split.flatMap((c) => ['--context', c]),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/## Unpriced\s+Every billable resource the stacks create is priced/);
    expect(run.stdout).toMatch(/\| cloudfront\.kvs\.reads \| 0\.03 \| million reads \|/);
  }, 120_000);

  it("prices the shift's health check (bound to an alarm: an AWS endpoint's price) besides its records' queries", async () => {
    const [without, withShift] = [await route53(domain), await route53([...domain, ...shift])];
    // $0.50 a month for the health check, and the weighted record to the box's address answering queries.
    expect(withShift - without).toBeGreaterThanOrEqual(0.5);
    expect(withShift - without).toBeLessThan(0.6);
  }, 120_000);
});
