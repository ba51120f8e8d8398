/**
 * The service's performance targets (README, "Performance"), checked against a bench run. A target
 * whose scenario the run did not measure (`--only`, or no `--peers`) is left out rather than failed.
 * Zero errors is not among them: the bench stops on the first scenario with an error.
 */

/** What a target needs of a bench run. */
export interface MeasuredRun {
  scenarios: ReadonlyArray<{
    name: string;
    service: { p99: number };
    ratioToBaseline: number;
    ratioToPeer?: number;
  }>;
  peakRssMb: number;
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
  atLeast('GET /api/v1/flags/ ≥ 0.7× the baseline', scenario(FLAGS)?.ratioToBaseline, 0.7, '×');
  atLeast('OFREP bulk ≥ 0.5× the baseline', scenario(OFREP_BULK)?.ratioToBaseline, 0.5, '×');
  atLeast('identity POST ≥ 0.3× the baseline', scenario(IDENTITIES)?.ratioToBaseline, 0.3, '×');
  atLeast("GET /api/v1/flags/ ≥ 10× Unleash's /api/client/features", scenario(FLAGS)?.ratioToPeer, 10, '×');
  const flags = scenario(FLAGS);
  if (flags) checks.push({ target: 'flag reads p99 ≤ 5 ms', measured: `${flags.service.p99} ms`, met: flags.service.p99 <= 5 });
  checks.push({ target: 'service peak RSS ≤ 150 MB', measured: `${run.peakRssMb.toFixed(0)} MB`, met: run.peakRssMb <= 150 });
  return checks;
}
