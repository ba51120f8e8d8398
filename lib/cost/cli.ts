/**
 * `npm run cost`: parses the command line (commander), runs the estimate, prints it in the format
 * asked for and writes the report files. Bad input (options, a --context value the stage
 * configuration rejects) stops with a message naming the problem (exit 2); a failure at run time (no
 * credentials, a stack not deployed, a metric without data) exits 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ContextSettingsError } from '../context-settings';
import { LiveError } from './live/errors';
import { type LiveClients, sdkClients } from './live/measure';
import { DAILY_PEAK_FACTOR, DEFAULT_LOAD, type LoadOptions } from './capacity';
import { formatVolume } from './format';
import { allPriceKeys, COMPLETE_REGIONS } from './prices';
import { type PriceOverrides, validatePriceOverrides } from './prices/overrides';
import { AZ_REQUIRED_FROM, type Requirement, REQUIREMENTS } from './recommend';
import { type Capacity, DEFAULT_CAPACITY } from '../capacity-figures';
import {
  capacityFromBench,
  edgeHandlerFromBench,
  lambdaDurationFromEdge,
  type TrafficProfile,
  trafficProfile,
  uniformCapacity,
} from './profile';
import { DEFAULT_OVERLAP_DAYS, type OverlapRequest, SHIFT_SHARES } from './overlap';
import { createProgress, silentProgress } from './progress';
import { renderHtml } from './report/html';
import { writeReports } from './report/index';
import { jsonSummary } from './report/json';
import { renderMarkdown } from './report/markdown';
import { renderTable } from './report/table';
import { runCost } from './run';
import { SERVICES } from './usage';
import { isStageId, STAGE_IDS, type StageId } from '../stages';

const DEFAULT_VOLUMES = [20e6, 600e6, 3e9];
const FORMATS = ['table', 'json', 'markdown', 'html'] as const;
type Format = (typeof FORMATS)[number];

/** A command line that cannot run; the message names the problem. */
export class UsageError extends Error {}

/** `20M` → 20,000,000; plain numbers, K, M, B (10⁹) and T, any case. */
function parseVolume(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([kmbt]?)$/i.exec(text.trim().replace(/_/g, ''));
  const multiplier = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 }[(match?.[2] ?? '').toLowerCase()];
  const value = match && multiplier !== undefined ? Number(match[1]) * multiplier : NaN;
  if (!(value >= 1)) throw new UsageError(`--requests: "${text}" is not a number of requests a month (like 20M, 600M, 3B or 5000000)`);
  return value;
}

/** `14d` → seconds; minutes (m), hours (h), days (d) or weeks (w). */
function parseWindow(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|h|d|w)$/.exec(text.trim());
  if (!match) throw new UsageError(`--window: "${text}" is not a duration like 14d, 36h or 2w`);
  const seconds = Number(match[1]) * { m: 60, h: 3600, d: 86400, w: 604800 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  if (seconds < 3600)
    throw new UsageError(`--window: ${text} is under an hour; CloudWatch needs at least an hour to estimate a month from`);
  if (seconds > 455 * 86400) throw new UsageError(`--window: ${text} is longer than the 455 days CloudWatch keeps data`);
  return seconds;
}

/** `single-box:autoscaled:14` → the move it names; FROM and TO registry stages, TO later than FROM. */
function parseOverlap(text: string): OverlapRequest {
  const [from, to, days, ...extra] = text.split(':');
  if (to === undefined || extra.length > 0)
    throw new UsageError(`--overlap: "${text}" is not FROM:TO or FROM:TO:DAYS (like single-box:autoscaled:14)`);
  for (const stage of [from, to])
    if (!isStageId(stage)) throw new UsageError(`--overlap: unknown stage "${stage}" (stages, in order: ${STAGE_IDS.join(', ')})`);
  if (STAGE_IDS.indexOf(to as StageId) <= STAGE_IDS.indexOf(from as StageId))
    throw new UsageError(`--overlap: ${to} is not a later stage than ${from} (stages, in order: ${STAGE_IDS.join(', ')})`);
  return {
    from: from as StageId,
    to: to as StageId,
    days: days === undefined ? DEFAULT_OVERLAP_DAYS : numberOption('--overlap DAYS', days, { min: 1, max: 365 }),
  };
}

function numberOption(name: string, text: string, { min, max, integer }: { min: number; max?: number; integer?: boolean }): number {
  const value = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    value >= min &&
    (max === undefined || value <= max) &&
    (!integer || Number.isInteger(value));
  if (!ok)
    throw new UsageError(
      `${name}: "${text}" must be ${integer ? 'an integer' : 'a number'} ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}`,
    );
  return value;
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  /** AWS clients for --live (tests pass mocked ones). */
  readonly clients?: () => LiveClients;
  readonly now?: () => Date;
  readonly cwd?: string;
}

interface ParsedOptions {
  stage?: string[];
  requests?: string;
  region?: string;
  live?: boolean;
  window: string;
  format: string;
  out: string;
  report: boolean;
  capacityRpsPerVcpu?: string;
  bench?: string;
  benchVcpus?: string;
  profile?: string;
  identityShare?: string;
  cacheHitRatio?: string;
  responseBytes?: string;
  requestsPerConnection?: string;
  lambdaDurationMs?: string;
  logBytes?: string;
  dataGb?: string;
  targetCpu?: string;
  peak?: string;
  spike?: string;
  require?: string;
  freeTier: boolean;
  cdkOut?: string;
  context?: string[];
  quiet?: boolean;
  // Traffic and prices: flags per response, local-evaluation polling, price overrides.
  flagsPerRequest?: string;
  serverSdks?: string;
  pollSeconds?: string;
  prices?: string;
  overlap?: string;
}

function program(io: CliIo): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter((v) => v.trim() !== '')];
  return new Command('cost')
    .description(
      'What each flagstack stage costs per request: its real resources (from the synthesised templates) at given monthly volumes, or live from CloudWatch.',
    )
    .usage('[options]   (npm run cost -- [options])')
    .option('--stage <stages>', `stages to estimate, comma-separated or repeated: ${STAGE_IDS.join(', ')} (default: all)`, collect)
    .option('--requests <volumes>', 'monthly request volumes, comma-separated: 20M,600M,3B (K, M, B, T)')
    .option(
      '--region <region>',
      `price (and, live, find) the home region's stacks in this region (${COMPLETE_REGIONS.join(', ')}; default: the app's region)`,
    )
    .option('--live', 'measure request counts (CloudWatch) and running tasks (ECS) of the deployed stacks; needs AWS credentials')
    .option('--window <duration>', 'live: how far back to read metrics (m, h, d, w)', '14d')
    .addOption(new Option('--format <format>', 'what to print').choices(FORMATS as unknown as string[]).default('table'))
    .option('--out <dir>', 'where the report files go', 'cost-reports')
    .option('--no-report', 'print only; write no report files')
    .option(
      '--capacity-rps-per-vcpu <n>',
      `requests a second one vCPU serves, any request (default: per request kind, ${DEFAULT_CAPACITY.source})`,
    )
    .option('--bench <file>', 'read the capacity figures from `npm run bench -- --json FILE` output')
    .option('--bench-vcpus <n>', 'vCPUs of the machine the bench file was measured on, if it does not say')
    .option('--profile <file>', 'JSON file with traffic-profile fields to override (see the README)')
    .option('--identity-share <0-1>', 'share of requests that are identity requests')
    .option('--cache-hit-ratio <0-1>', 'share of cacheable flag-list requests CloudFront answers from cache')
    .option('--response-bytes <n>', 'mean response size in bytes, headers included')
    .option('--requests-per-connection <n>', 'requests per connection the load balancer sees')
    .option('--lambda-duration-ms <n>', 'mean edge function duration, ms')
    .option('--log-bytes <n>', 'service log bytes per request')
    .option('--data-gb <n>', 'database size, GB')
    .option('--target-cpu <0-1>', 'CPU utilisation capacity is sized for')
    .option(
      '--peak <factor>',
      `busiest minute over the month's average request rate (default ${DAILY_PEAK_FACTOR.toFixed(2)}, from the daily profile in docs/cost-model.md)`,
    )
    .option('--spike <factor>', `how many times its peak a stage must absorb from one minute to the next (default ${DEFAULT_LOAD.spike})`)
    .addOption(
      new Option(
        '--require <loss>',
        `what a recommended stage must survive (default: an AZ loss from ${formatVolume(AZ_REQUIRED_FROM)} requests a month, nothing below)`,
      ).choices(REQUIREMENTS as unknown as string[]),
    )
    .option('--no-free-tier', "ignore AWS's always-free allowances")
    .option(
      '--flags-per-request <n>',
      'flags one flag-list or identity response carries (default 20); response sizes follow. Requests = flags served ÷ this',
    )
    .option('--server-sdks <n>', 'server SDK instances in local-evaluation mode, each polling the environment document (default 0)')
    .option('--poll-seconds <s>', "seconds between one server SDK's polls of the environment document (default 60)")
    .option(
      '--prices <file>',
      'JSON price overrides: discounts per service or price key, private prices, a Compute Savings Plan (see docs/cost-model.md)',
    )
    .option(
      '--overlap <from:to[:days]>',
      `price a move: both stages side by side while the traffic shifts ${SHIFT_SHARES.map((share) => `${share * 100}%`).join(' → ')}, over DAYS (default ${DEFAULT_OVERLAP_DAYS})`,
    )
    .option('--cdk-out <dir>', 'read templates from this cloud assembly instead of synthesising the app')
    .option('--context <key=value>', 'CDK context for the synthesis, repeated (e.g. fargateCpu=1024)', collect)
    .option('--quiet', 'no progress indicator')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(npm run cost -- --help for the options)');
}

/** The traffic profile from --profile and the single-field options. */
function profileFrom(options: ParsedOptions, cwd: string): TrafficProfile {
  let overrides: Partial<TrafficProfile> = {};
  if (options.profile) {
    const file = path.resolve(cwd, options.profile);
    try {
      overrides = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<TrafficProfile>;
    } catch (error) {
      throw new UsageError(`--profile: cannot read ${options.profile}: ${(error as Error).message}`);
    }
  }
  const share = (name: string, text: string) => numberOption(name, text, { min: 0, max: 1 });
  const positive = (name: string, text: string) => numberOption(name, text, { min: 0 });
  const fields: [keyof TrafficProfile, string | undefined, (name: string, text: string) => number, string][] = [
    ['identityShare', options.identityShare, share, '--identity-share'],
    ['cacheHitRatio', options.cacheHitRatio, share, '--cache-hit-ratio'],
    ['meanResponseBytes', options.responseBytes, positive, '--response-bytes'],
    [
      'requestsPerConnection',
      options.requestsPerConnection,
      (name, text) => numberOption(name, text, { min: 1 }),
      '--requests-per-connection',
    ],
    ['lambdaDurationMs', options.lambdaDurationMs, (name, text) => numberOption(name, text, { min: 1 }), '--lambda-duration-ms'],
    ['logBytesPerRequest', options.logBytes, positive, '--log-bytes'],
    ['dataSizeGb', options.dataGb, positive, '--data-gb'],
    ['targetCpuUtilisation', options.targetCpu, (name, text) => numberOption(name, text, { min: 0.05, max: 1 }), '--target-cpu'],
  ];
  for (const [field, text, parse, name] of fields) if (text !== undefined) (overrides as Record<string, number>)[field] = parse(name, text);
  trafficOptions(options, overrides);
  // A bench file that measured the edge handler gives the duration, unless it was set here.
  const edge = options.bench === undefined ? undefined : edgeHandlerFromBench(benchFile(options.bench, cwd));
  try {
    if (edge && overrides.lambdaDurationMs === undefined)
      overrides.lambdaDurationMs = lambdaDurationFromEdge(edge, trafficProfile(overrides));
    return trafficProfile(overrides);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** --flags-per-request, --server-sdks and --poll-seconds into the profile's fields. */
function trafficOptions(options: ParsedOptions, overrides: Partial<TrafficProfile>): void {
  if (options.flagsPerRequest !== undefined)
    overrides.flagsPerRequest = numberOption('--flags-per-request', options.flagsPerRequest, { min: 1, max: 100_000, integer: true });
  if (options.serverSdks !== undefined)
    overrides.serverSdks = numberOption('--server-sdks', options.serverSdks, { min: 0, max: 10_000_000, integer: true });
  if (options.live && (overrides.serverSdks ?? 0) > 0)
    throw new UsageError('--server-sdks and --live do not combine: live mode measures every request, polls included');
  if (options.pollSeconds !== undefined) {
    overrides.pollSeconds = numberOption('--poll-seconds', options.pollSeconds, { min: 1, max: 86_400 });
    if (!((overrides.serverSdks ?? 0) > 0))
      throw new UsageError('--poll-seconds: no server SDKs poll (give --server-sdks N, or serverSdks in --profile)');
  }
}

/** The --prices file, validated: a message naming each bad path. */
function priceOverridesFrom(file: string | undefined, cwd: string): { file: string; overrides: PriceOverrides } | undefined {
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (error) {
    throw new UsageError(`--prices: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return { file, overrides: validatePriceOverrides(parsed, SERVICES, allPriceKeys()) };
  } catch (error) {
    throw new UsageError(`--prices: ${file} is invalid:\n  ${(error as Error).message}`);
  }
}

function capacityFrom(options: ParsedOptions, cwd: string): Capacity {
  if (options.capacityRpsPerVcpu !== undefined && options.bench !== undefined)
    throw new UsageError('--capacity-rps-per-vcpu and --bench both set the capacity: give one');
  if (options.benchVcpus !== undefined && options.bench === undefined) throw new UsageError('--bench-vcpus needs --bench');
  if (options.capacityRpsPerVcpu !== undefined)
    return uniformCapacity(numberOption('--capacity-rps-per-vcpu', options.capacityRpsPerVcpu, { min: 1 }));
  if (options.bench === undefined) return DEFAULT_CAPACITY;
  const vcpus = options.benchVcpus === undefined ? undefined : numberOption('--bench-vcpus', options.benchVcpus, { min: 1, integer: true });
  const bench = benchFile(options.bench, cwd);
  try {
    return capacityFromBench(bench, options.bench, vcpus);
  } catch (error) {
    throw new UsageError(`--bench: ${(error as Error).message}`);
  }
}

/** The parsed `npm run bench -- --json FILE` output --bench names. */
function benchFile(file: string, cwd: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (error) {
    throw new UsageError(`--bench: cannot read ${file}: ${(error as Error).message}`);
  }
}

function contextFrom(entries: string[] = []): Record<string, string> {
  const context: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z][\w:.-]*)=(.*)$/.exec(entry);
    if (!match) throw new UsageError(`--context: "${entry}" is not key=value`);
    context[match[1]] = match[2];
  }
  return context;
}

/** Runs the command; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const command = program(io);
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = command.opts<ParsedOptions>();
  const fail = (message: string, code: number) => {
    io.stderr.write(`cost: ${message}\n`);
    return code;
  };
  try {
    const stages = options.stage ?? [...STAGE_IDS];
    for (const stage of stages)
      if (!isStageId(stage)) throw new UsageError(`--stage: unknown stage "${stage}" (stages: ${STAGE_IDS.join(', ')})`);
    if (options.region !== undefined && !COMPLETE_REGIONS.includes(options.region)) {
      throw new UsageError(
        `--region: no complete price table for "${options.region}" (have: ${COMPLETE_REGIONS.join(', ')}; lib/cost/prices/)`,
      );
    }
    if (options.live && options.requests !== undefined)
      throw new UsageError('--requests and --live do not combine: live mode prices the volume it measures');
    if (!options.live && command.getOptionValueSource('window') === 'cli') throw new UsageError('--window applies only with --live');
    if (options.live && options.overlap !== undefined)
      throw new UsageError('--overlap and --live do not combine: the overlap is priced at the volumes asked for');
    const overlap = options.overlap === undefined ? undefined : parseOverlap(options.overlap);
    if (options.cdkOut !== undefined && options.context !== undefined)
      throw new UsageError('--context applies to synthesis; with --cdk-out the templates are already synthesised');
    const volumes =
      options.requests === undefined ? DEFAULT_VOLUMES : [...new Set(options.requests.split(',').map(parseVolume))].sort((a, b) => a - b);
    // The capacity first: it checks --bench against the other capacity options, and the profile reads the same file.
    const capacity = capacityFrom(options, cwd);
    const profile = profileFrom(options, cwd);
    const load: LoadOptions = {
      peak: options.peak === undefined ? DEFAULT_LOAD.peak : numberOption('--peak', options.peak, { min: 1, max: 100 }),
      spike: options.spike === undefined ? DEFAULT_LOAD.spike : numberOption('--spike', options.spike, { min: 1, max: 1000 }),
    };
    const priceOverrides = priceOverridesFrom(options.prices, cwd);
    const context = contextFrom(options.context);
    const windowSeconds = parseWindow(options.window);
    const format = options.format as Format;

    const progress = options.quiet ? silentProgress : createProgress(io.stderr);
    let run;
    try {
      run = await runCost(
        {
          stages: [...new Set(stages)] as StageId[],
          stagesNamed: options.stage !== undefined,
          volumes,
          priceRegion: options.region,
          freeTier: options.freeTier,
          priceOverrides,
          profile,
          capacity,
          load,
          required: options.require as Requirement | undefined,
          cdkOut: options.cdkOut === undefined ? undefined : path.resolve(cwd, options.cdkOut),
          context,
          overlap,
          live: options.live
            ? {
                window: { seconds: windowSeconds, label: options.window },
                clients: (io.clients ?? sdkClients)(),
                now: (io.now ?? (() => new Date()))(),
              }
            : undefined,
        },
        progress,
      );
    } finally {
      progress.done();
    }
    const { report } = run;
    const printed = {
      table: renderTable,
      json: (r: typeof report) => `${JSON.stringify(jsonSummary(r), null, 2)}\n`,
      markdown: renderMarkdown,
      html: renderHtml,
    }[format](report);
    io.stdout.write(printed);
    if (options.report) {
      const files = writeReports(report, path.resolve(cwd, options.out));
      io.stderr.write(`Reports written: ${files.map((file) => path.relative(cwd, file) || file).join(', ')}\n`);
    }
    if (run.failedNamedStages.length > 0) {
      const reasons = report.missing.filter((m) => run.failedNamedStages.includes(m.stage)).map((m) => `${m.stage}: ${m.reason}`);
      return fail(`could not estimate\n  ${reasons.join('\n  ')}`, 1);
    }
    return 0;
  } catch (error) {
    // A bad --context value stops synthesis with a message naming the key: bad input like any other.
    if (error instanceof UsageError || error instanceof ContextSettingsError) return fail(error.message, 2);
    if (error instanceof LiveError) return fail(error.message, 1);
    return fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
  }
}
