/**
 * The hostile scenario's pieces (bench/hostile.ts): the attacker's values and requests, how a turn's
 * percentiles treat requests still unanswered, the median and spread, the /metrics figure it reads,
 * and that prom-client does reset that figure on each scrape, which is what makes it one turn's.
 */
import { ServiceMetrics } from '../../service/http/metrics';
import {
  ATTACKER_SHARE,
  attackRate,
  attackRequest,
  benignValue,
  eventLoopLagMaxSeconds,
  HOSTILE_PATTERNS,
  HOSTILE_TRAIT,
  hostileValue,
  latencyPercentiles,
  REARM_MS,
  spread,
  summarize,
  type HostileTurn,
} from '../../bench/hostile';

describe("the attacker's values", () => {
  test.each([10_000, 2_000, 25])('are %d characters of either shape, ending in something no pattern accepts there', (length) => {
    for (const n of [0, 1]) {
      const value = hostileValue(length, n);
      expect(value).toHaveLength(length);
      expect(value.endsWith('!')).toBe(true);
    }
    expect(hostileValue(length, 0)).toBe('a'.repeat(length - 1) + '!');
    // Eleven a's, one short of (.*a){12}, spread out so its backtracking has room.
    const spreadValue = hostileValue(length, 1);
    expect(spreadValue.match(/a/g)).toHaveLength(11);
    expect(spreadValue.indexOf('a')).toBeGreaterThan(0);
  });

  test('are not matched from the start, so a backtracking matcher has to rule out every way there', () => {
    const [run, spreadOut] = [hostileValue(20, 0), hostileValue(40, 1)];
    // (.*a){12} finds twelve a's at once in a run of a's: the spread shape is its attack.
    const attackOf = (pattern: string) => (pattern === '(.*a){12}' ? spreadOut : run);
    for (const pattern of HOSTILE_PATTERNS) {
      expect(new RegExp(pattern).test(attackOf(pattern))).toBe(pattern === '(a|a?)+$');
      // Anchored at the start, none matches. (a|a?)+$ does match unanchored, but only at the very
      // end, with nothing, once every way from each earlier position has been tried.
      expect(new RegExp(`^(?:${pattern})`).test(attackOf(pattern))).toBe(false);
    }
  });

  test("the warm-up's benign value is settled at once by every pattern, and matches ^(\\w+\\s?)*$ but not ^(a+)+$", () => {
    const value = benignValue(10_000);
    expect(value).toHaveLength(10_000);
    // Settled at once: a catastrophic case would hang this test rather than fail it slowly.
    for (const pattern of HOSTILE_PATTERNS) new RegExp(pattern).test(value);
    expect(/^(\w+\s?)*$/.test(value)).toBe(true);
    expect(/^(a+)+$/.test(value)).toBe(false);
  });
});

test("the attacker's requests alternate OFREP and the SDK route, each with its own length and both shapes, under the client key", () => {
  const lengths = { ofrep: 10_000, sdk: 2_000 };
  const requests = [0, 1, 2, 3].map((n) => attackRequest('client_key', n, hostileValue, lengths));
  expect(requests.map((r) => r.path)).toEqual([
    '/ofrep/v1/evaluate/flags',
    '/api/v1/identities/',
    '/ofrep/v1/evaluate/flags',
    '/api/v1/identities/',
  ]);
  expect(requests[0].headers).toEqual({ 'x-api-key': 'client_key' });
  expect(requests[1].headers).toEqual({ 'x-environment-key': 'client_key' });
  const ofrep = JSON.parse(requests[0].body);
  expect(ofrep.context.targetingKey).toBe('attacker-0');
  expect(ofrep.context[HOSTILE_TRAIT]).toBe(hostileValue(10_000, 0));
  expect(JSON.parse(requests[2].body).context[HOSTILE_TRAIT]).toBe(hostileValue(10_000, 1));
  const sdk = JSON.parse(requests[1].body);
  expect(sdk).toEqual({ identifier: 'attacker-1', traits: [{ trait_key: HOSTILE_TRAIT, trait_value: hostileValue(2_000, 0) }] });
  expect(JSON.parse(requests[3].body).traits[0].trait_value).toBe(hostileValue(2_000, 1));
});

test("the attacker's pace makes it 1% of all requests", () => {
  expect(ATTACKER_SHARE).toBe(0.01);
  const honest = 9_900;
  const attacker = attackRate(honest);
  expect(attacker).toBeCloseTo(100, 9);
  expect(attacker / (attacker + honest)).toBeCloseTo(ATTACKER_SHARE, 9);
});

describe('percentiles of a turn', () => {
  const answered = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms

  test('without unanswered requests: nearest rank, exact', () => {
    expect(latencyPercentiles(answered, [])).toEqual({ p50: 500, p50AtLeast: false, p99: 990, p99AtLeast: false });
  });

  test('a few unanswered requests count with their wait, and are too few to make the p99 a bound', () => {
    // 5 of 1005: were they never answered, the 995th (p99's rank) would still be answered.
    const result = latencyPercentiles(answered, [2000, 2000, 2000, 2000, 2000]);
    expect(result.p99).toBe(995);
    expect(result.p99AtLeast).toBe(false);
  });

  test('more than 1% unanswered (a stalled service) make the p99 their wait, a lower bound', () => {
    const result = latencyPercentiles(answered.slice(0, 10), Array(50).fill(4000));
    expect(result).toEqual({ p50: 4000, p50AtLeast: true, p99: 4000, p99AtLeast: true });
    const someAnswered = latencyPercentiles(answered, Array(11).fill(3000));
    expect(someAnswered.p99AtLeast).toBe(true);
    expect(someAnswered.p50AtLeast).toBe(false);
  });

  test('no requests at all', () => {
    expect(latencyPercentiles([], [])).toEqual({ p50: 0, p50AtLeast: false, p99: 0, p99AtLeast: false });
  });
});

test('median and range of the turns, a lower bound if any turn is one', () => {
  expect(spread([3, 1, 2].map((value) => ({ value, atLeast: false })))).toEqual({ median: 2, min: 1, max: 3, atLeast: false });
  expect(spread([4, 1, 3, 2].map((value) => ({ value, atLeast: value === 4 })))).toEqual({ median: 2.5, min: 1, max: 4, atLeast: true });
});

describe('the summary', () => {
  const turn = (attacker: boolean, p99: number, stall: number, lowerBound = false): HostileTurn => ({
    attacker,
    seconds: 5,
    honest: { rps: 1000, p50: 1, p99, p50AtLeast: lowerBound, p99AtLeast: lowerBound, errors: 0, inFlightAtEnd: 50, longestInFlightMs: 1 },
    longestStallMs: stall,
    stallAtLeast: lowerBound,
    restarted: lowerBound,
  });
  const lengths = { ofrep: 10_000, sdk: 2_000 };

  test('ratio of the medians, longest stall each way', () => {
    const result = summarize(
      [turn(false, 10, 20), turn(true, 13, 30), turn(false, 8, 25), turn(true, 11, 15), turn(false, 12, 18), turn(true, 30, 22)],
      5,
      lengths,
    );
    expect(result.withoutAttacker.p99Ms).toEqual({ median: 10, min: 8, max: 12, atLeast: false });
    expect(result.withAttacker.p99Ms).toEqual({ median: 13, min: 11, max: 30, atLeast: false });
    expect(result.p99Ratio).toBeCloseTo(1.3, 9);
    expect(result.p99RatioAtLeast).toBe(false);
    expect(result.withAttacker.longestStallMs).toBe(30);
    expect(result.withoutAttacker.longestStallMs).toBe(25);
    expect(result.restarts).toBe(0);
  });

  test('a stalled service: lower bounds, and the restarts counted', () => {
    const result = summarize(
      [turn(false, 10, 20), turn(true, 2000, 6000, true), turn(false, 10, 20), turn(true, 2000, 6000, true)],
      5,
      lengths,
    );
    expect(result.p99RatioAtLeast).toBe(true);
    expect(result.withAttacker.stallAtLeast).toBe(true);
    expect(result.restarts).toBe(2);
  });

  test('a ratio over a lower bound is no bound', () => {
    const result = summarize([turn(false, 40, 20, true), turn(true, 2000, 6000, true)], 5, lengths);
    expect(result.p99RatioAtLeast).toBe(false);
  });
});

describe("the service's longest event-loop delay, from /metrics", () => {
  test('is read with the service prefix or without, and absent when prom-client does not report it', () => {
    const text = [
      '# HELP flagstack_nodejs_eventloop_lag_max_seconds The maximum recorded event loop delay.',
      '# TYPE flagstack_nodejs_eventloop_lag_max_seconds gauge',
      'flagstack_nodejs_eventloop_lag_min_seconds 0.010',
      'flagstack_nodejs_eventloop_lag_max_seconds 0.0123',
    ].join('\n');
    expect(eventLoopLagMaxSeconds(text)).toBe(0.0123);
    expect(eventLoopLagMaxSeconds('nodejs_eventloop_lag_max_seconds{pid="1"} 4.5\n')).toBe(4.5);
    expect(eventLoopLagMaxSeconds('flagstack_nodejs_eventloop_lag_min_seconds 0.01\n')).toBeUndefined();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const stall = (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // the event loop stalls
    }
  };
  const serviceMetrics = () => {
    const metrics = new ServiceMetrics({ poolStats: () => ({ total: 0, idle: 0, waiting: 0 }), pendingTraitWrites: () => 0 });
    return async () => eventLoopLagMaxSeconds(await metrics.registry.metrics());
  };

  test("is the service's own, and each scrape resets it: the scrape before a turn starts the turn's", async () => {
    const scrape = serviceMetrics();
    await sleep(50);
    await scrape();
    await sleep(REARM_MS);
    stall(150);
    await sleep(40);
    expect(await scrape()).toBeGreaterThanOrEqual(0.14);
    await sleep(50);
    // Reset: the 150 ms stall is gone from the next turn's figure (a loaded machine adds its own lag, well below it).
    expect(await scrape()).toBeLessThan(0.14);
  });

  test('misses a stall that begins right after a scrape, before the monitor has ticked again: why a turn starts REARM_MS later', async () => {
    const scrape = serviceMetrics();
    await sleep(50);
    await scrape();
    stall(150);
    await sleep(40);
    expect(await scrape()).toBeLessThan(0.14);
  });
});
