/** The bench checks its run against the targets of docs/performance.md, and leaves out what it did not measure. */
import { checkTargets, type MeasuredRun } from '../../bench/targets';

const scenario = (name: string, ratioToBaseline: number, extra: { p99?: number; ratioToPeer?: number } = {}) => ({
  name,
  service: { p99: extra.p99 ?? 2 },
  ratioToBaseline,
  ratioToPeer: extra.ratioToPeer,
});

test('every target, met and not met, with what was measured', () => {
  const run: MeasuredRun = {
    scenarios: [
      scenario('GET /api/v1/flags/', 0.71, { p99: 6, ratioToPeer: 9.5 }),
      scenario('POST /api/v1/identities/ (3 traits)', 0.3),
      scenario('POST /ofrep/v1/evaluate/flags', 0.49),
      scenario('GET /api/v1/environment-document/', 1.1),
    ],
    peakRssMb: 150.4,
  };
  expect(checkTargets(run)).toEqual([
    { target: 'GET /api/v1/flags/ ≥ 0.7× the baseline', measured: '0.71×', met: true },
    { target: 'OFREP bulk ≥ 0.5× the baseline', measured: '0.49×', met: false },
    { target: 'identity POST ≥ 0.3× the baseline', measured: '0.30×', met: true },
    { target: "GET /api/v1/flags/ ≥ 10× Unleash's /api/client/features", measured: '9.50×', met: false },
    { target: 'flag reads p99 ≤ 5 ms', measured: '6 ms', met: false },
    { target: 'service peak RSS ≤ 150 MB', measured: '150 MB', met: false },
  ]);
});

test('a run of one scenario, without peers, is checked on what it measured only', () => {
  const checks = checkTargets({ scenarios: [scenario('POST /ofrep/v1/evaluate/flags', 0.52)], peakRssMb: 114 });
  expect(checks.map((c) => c.target)).toEqual(['OFREP bulk ≥ 0.5× the baseline', 'service peak RSS ≤ 150 MB']);
  expect(checks.every((c) => c.met)).toBe(true);
});

test("a scenario's ratio is its median over the turns where the run has one", () => {
  const flags = { ...scenario('GET /api/v1/flags/', 0.65), overTurns: { ratioToBaseline: { median: 0.72 } } };
  expect(checkTargets({ scenarios: [flags], peakRssMb: 100 })[0]).toEqual({
    target: 'GET /api/v1/flags/ ≥ 0.7× the baseline',
    measured: '0.72×',
    met: true,
  });
});

test('a run that did not start the service (--only edge) is checked on nothing', () => {
  expect(checkTargets({ scenarios: [] })).toEqual([]);
});

describe('the hostile scenario', () => {
  const side = (p99: number, stall: number, lowerBound = false) => ({
    p99Ms: { median: p99, atLeast: lowerBound },
    longestStallMs: stall,
    stallAtLeast: lowerBound,
  });
  const run = (hostile: MeasuredRun['hostile']): MeasuredRun => ({ scenarios: [], peakRssMb: 100, hostile });
  const hostileChecks = (hostile: MeasuredRun['hostile']) =>
    checkTargets(run(hostile)).filter((c) => !c.target.startsWith('service peak RSS'));

  test('p99 within 20% of the p99 without the attacker, and no stall over 50 ms with it, met at the limits', () => {
    expect(hostileChecks({ withAttacker: side(12, 50), withoutAttacker: side(10, 12), p99Ratio: 1.2, p99RatioAtLeast: false })).toEqual([
      { target: 'honest identity p99 with a 1% REGEX attacker ≤ 1.2× without', measured: '1.20× (12.0 ms against 10.0 ms)', met: true },
      {
        target: 'no event-loop stall over 50 ms under a 1% REGEX attacker',
        measured: 'longest 50.0 ms (without the attacker: 12.0 ms)',
        met: true,
      },
    ]);
  });

  test('and not met just past them', () => {
    const checks = hostileChecks({ withAttacker: side(12.1, 50.1), withoutAttacker: side(10, 12), p99Ratio: 1.21, p99RatioAtLeast: false });
    expect(checks.map((c) => c.met)).toEqual([false, false]);
    expect(checks[1].measured).toBe('longest 50.1 ms (without the attacker: 12.0 ms)');
  });

  test('a stall without the attacker is shown, not counted against it', () => {
    const [, stall] = hostileChecks({ withAttacker: side(10, 20), withoutAttacker: side(10, 80), p99Ratio: 1, p99RatioAtLeast: false });
    expect(stall).toEqual({
      target: 'no event-loop stall over 50 ms under a 1% REGEX attacker',
      measured: 'longest 20.0 ms (without the attacker: 80.0 ms)',
      met: true,
    });
  });

  test('a service that stopped answering: lower bounds, neither met', () => {
    expect(
      hostileChecks({ withAttacker: side(2012, 6053, true), withoutAttacker: side(15.8, 39.2), p99Ratio: 127.34, p99RatioAtLeast: true }),
    ).toEqual([
      {
        target: 'honest identity p99 with a 1% REGEX attacker ≤ 1.2× without',
        measured: '≥ 127.34× (≥ 2,012 ms against 15.8 ms)',
        met: false,
      },
      {
        target: 'no event-loop stall over 50 ms under a 1% REGEX attacker',
        measured: 'longest ≥ 6,053 ms (without the attacker: 39.2 ms)',
        met: false,
      },
    ]);
  });

  test('a p99 without the attacker that is only a lower bound makes the ratio unknown: not met', () => {
    const [ratio] = hostileChecks({
      withAttacker: side(11, 20),
      withoutAttacker: side(10, 20, true),
      p99Ratio: 1.1,
      p99RatioAtLeast: false,
    });
    expect(ratio).toEqual({
      target: 'honest identity p99 with a 1% REGEX attacker ≤ 1.2× without',
      measured: '1.10× (11.0 ms against ≥ 10.0 ms)',
      met: false,
    });
  });

  test('left out when the run did not measure it', () => {
    expect(checkTargets({ scenarios: [], peakRssMb: 100 }).map((c) => c.target)).toEqual(['service peak RSS ≤ 150 MB']);
  });
});
