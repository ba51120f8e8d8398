/**
 * The service's performance targets (docs/performance.md), checked against a bench run. A target
 * whose scenario the run did not measure (`--only`, or no `--peers`) is left out rather than failed.
 * A ratio to the baseline is the median over the scenario's turns where the run has one.
 * Zero errors is not among them: the bench stops on the first scenario with an error.
 */

/** What a target needs of a bench run. */
export interface MeasuredRun {
  scenarios: ReadonlyArray<{
    name: string;
    service: { p99: number };
    ratioToBaseline: number;
    overTurns?: { ratioToBaseline: { median: number } };
    ratioToPeer?: number;
  }>;
  /** Left out when the run did not start the service (`--only edge`). */
  peakRssMb?: number;
  /** The hostile scenario (bench/hostile.ts), when the run measured it. */
  hostile?: {
    withAttacker: HostileSideFigures;
    withoutAttacker: HostileSideFigures;
    /** Median honest p99 with the attacker over the median without it; `p99RatioAtLeast`: a lower bound. */
    p99Ratio: number;
    p99RatioAtLeast: boolean;
  };
}

/** One side of the hostile scenario: honest p99 (median over its turns) and its longest event-loop delay, ms. */
export interface HostileSideFigures {
  p99Ms: { median: number; atLeast: boolean };
  longestStallMs: number;
  stallAtLeast: boolean;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

const FLAGS = 'GET /api/v1/flags/';
const IDENTITIES = 'POST /api/v1/identities/';
const OFREP_BULK = 'POST /ofrep/v1/evaluate/flags';

export function checkTargets(run: MeasuredRun): TargetCheck[] {
  const scenario = (prefix: string) => run.scenarios.find((s) => s.name.startsWith(prefix));
  const checks: TargetCheck[] = [];
  const atLeast = (target: string, value: number | undefined, minimum: number, unit: string) => {
    if (value !== undefined) checks.push({ target, measured: `${value.toFixed(2)}${unit}`, met: value >= minimum });
  };
  const ratioToBaseline = (prefix: string) => {
    const found = scenario(prefix);
    return found?.overTurns?.ratioToBaseline.median ?? found?.ratioToBaseline;
  };
  atLeast('GET /api/v1/flags/ ≥ 0.7× the baseline', ratioToBaseline(FLAGS), 0.7, '×');
  atLeast('OFREP bulk ≥ 0.5× the baseline', ratioToBaseline(OFREP_BULK), 0.5, '×');
  atLeast('identity POST ≥ 0.3× the baseline', ratioToBaseline(IDENTITIES), 0.3, '×');
  atLeast("GET /api/v1/flags/ ≥ 10× Unleash's /api/client/features", scenario(FLAGS)?.ratioToPeer, 10, '×');
  const flags = scenario(FLAGS);
  if (flags) checks.push({ target: 'flag reads p99 ≤ 5 ms', measured: `${flags.service.p99} ms`, met: flags.service.p99 <= 5 });
  if (run.hostile) checks.push(...hostileChecks(run.hostile));
  if (run.peakRssMb !== undefined)
    checks.push({ target: 'service peak RSS ≤ 150 MB', measured: `${run.peakRssMb.toFixed(0)} MB`, met: run.peakRssMb <= 150 });
  return checks;
}

const bound = (lowerBound: boolean) => (lowerBound ? '≥ ' : '');
const ms = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1));

/**
 * Under a 1% REGEX attacker, honest identity requests' p99 within 20% of what it is without, and no
 * event-loop stall over 50 ms in a turn with the attacker (the turns without it are shown alongside:
 * a stall there, a collection say, is not the attacker's doing). A lower bound (a service that stopped
 * answering) meets neither: what it bounds is unknown, and in practice it is seconds.
 */
function hostileChecks(hostile: NonNullable<MeasuredRun['hostile']>): TargetCheck[] {
  const { withAttacker, withoutAttacker } = hostile;
  return [
    {
      target: 'honest identity p99 with a 1% REGEX attacker ≤ 1.2× without',
      measured:
        `${bound(hostile.p99RatioAtLeast)}${hostile.p99Ratio.toFixed(2)}× ` +
        `(${bound(withAttacker.p99Ms.atLeast)}${ms(withAttacker.p99Ms.median)} ms against ${bound(withoutAttacker.p99Ms.atLeast)}${ms(withoutAttacker.p99Ms.median)} ms)`,
      met: !withAttacker.p99Ms.atLeast && !withoutAttacker.p99Ms.atLeast && hostile.p99Ratio <= 1.2,
    },
    {
      target: 'no event-loop stall over 50 ms under a 1% REGEX attacker',
      measured:
        `longest ${bound(withAttacker.stallAtLeast)}${ms(withAttacker.longestStallMs)} ms ` +
        `(without the attacker: ${bound(withoutAttacker.stallAtLeast)}${ms(withoutAttacker.longestStallMs)} ms)`,
      met: !withAttacker.stallAtLeast && withAttacker.longestStallMs <= 50,
    },
  ];
}
