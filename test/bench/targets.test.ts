/** The bench checks its run against the README's targets, and leaves out what it did not measure. */
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
