/** A scenario's figures over its turns: medians and ranges, the ratio to the baseline turn by turn, and --turns. */
import { MAX_TURNS, parseTurns, spreadOf, spreadsOverTurns } from '../../bench/turns';

describe('spreadOf', () => {
  test('the median of an odd count is its middle figure, whatever the order', () => {
    expect(spreadOf([64, 35, 41, 38, 40])).toEqual({ median: 40, min: 35, max: 64 });
  });

  test('of an even count, the mean of the middle two', () => {
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  test('of one figure, that figure', () => {
    expect(spreadOf([21.5])).toEqual({ median: 21.5, min: 21.5, max: 21.5 });
  });

  test('leaves its argument in its order', () => {
    const values = [3, 1, 2];
    spreadOf(values);
    expect(values).toEqual([3, 1, 2]);
  });

  test('refuses no figures', () => {
    expect(() => spreadOf([])).toThrow('the spread of no values');
  });
});

test('spreadsOverTurns: each figure over the turns, the ratio taken turn by turn', () => {
  const side = (rps: number, cpuMicrosPerRequest: number, databaseCpuMicrosPerRequest = 0) => ({
    rps,
    cpuMicrosPerRequest,
    databaseCpuMicrosPerRequest,
  });
  // The second turn ran on a busier machine: both of its sides are slower, its ratio is not.
  const spreads = spreadsOverTurns([
    { service: side(20_000, 22, 1), baseline: side(25_000, 14) },
    { service: side(10_000, 40, 3), baseline: side(12_500, 30) },
    { service: side(21_000, 21, 2), baseline: side(28_000, 15) },
  ]);
  expect(spreads).toEqual({
    rps: { median: 20_000, min: 10_000, max: 21_000 },
    ratioToBaseline: { median: 0.8, min: 0.75, max: 0.8 },
    cpuMicrosPerRequest: { median: 22, min: 21, max: 40 },
    databaseCpuMicrosPerRequest: { median: 2, min: 1, max: 3 },
    baselineRps: { median: 25_000, min: 12_500, max: 28_000 },
    baselineCpuMicrosPerRequest: { median: 15, min: 14, max: 30 },
  });
  // The ratio of the medians would be another figure: 20,000 / 25,000 is 0.8 here, but not in general.
  expect(spreadsOverTurns([{ service: side(5, 1), baseline: side(10, 1) }]).ratioToBaseline.median).toBe(0.5);
});

test.each([
  ['1', 1],
  ['5', 5],
  ['07', 7],
  [String(MAX_TURNS), MAX_TURNS],
  ['0', undefined],
  [String(MAX_TURNS + 1), undefined],
  ['2.5', undefined],
  ['-3', undefined],
  ['five', undefined],
  ['', undefined],
])('parseTurns(%j) is %j', (text, turns) => {
  expect(parseTurns(text)).toBe(turns);
});
