/** What `npm run cost -- --bench FILE` takes from the edge handler a bench file measured. */
import { ASSUMPTIONS, edgeHandlerFromBench, lambdaDurationFromEdge, trafficProfile } from '../../lib/cost/profile';

describe('edgeHandlerFromBench', () => {
  test('the medians of flag-list and identity invocations, and over how many turns', () => {
    const bench = {
      edge: { flagsMs: { median: 0.007, min: 0.006, max: 0.01 }, identityMs: { median: 0.09, min: 0.08, max: 0.1 }, turns: 5 },
    };
    expect(edgeHandlerFromBench(bench)).toEqual({ flags: 0.007, identity: 0.09, turns: 5 });
  });

  test.each([
    ['no edge scenario', {}],
    ['no identity figure', { edge: { flagsMs: { median: 0.007 } } }],
    ['a zero figure', { edge: { flagsMs: { median: 0 }, identityMs: { median: 0.09 } } }],
    ['a figure that is not a number', { edge: { flagsMs: { median: '0.007' }, identityMs: { median: 0.09 } } }],
  ])('nothing from a file with %s', (_, bench) => {
    expect(edgeHandlerFromBench(bench)).toBeUndefined();
  });
});

describe('lambdaDurationFromEdge', () => {
  const roundTrip = ASSUMPTIONS.dynamoDbRoundTripMs;

  test('each invocation billed in whole milliseconds, an identity request waiting for its trait read and, when a trait changed, its write', () => {
    const profile = trafficProfile({ identityShare: 1, identityWriteShare: 0.25 });
    // 2.5 ms of handler: 2.5 + 4 billed 7 ms, 2.5 + 8 billed 11.
    expect(lambdaDurationFromEdge({ flags: 0.5, identity: 2.5 }, profile)).toBe(
      0.75 * Math.ceil(2.5 + roundTrip) + 0.25 * Math.ceil(2.5 + 2 * roundTrip),
    );
  });

  test('flag lists only where CloudFront does not answer them: with every one cached, identity requests alone', () => {
    const profile = trafficProfile({ identityShare: 0.3, identityWriteShare: 0, cacheHitRatio: 1 });
    expect(lambdaDurationFromEdge({ flags: 0.01, identity: 0.1 }, profile)).toBe(Math.ceil(0.1 + roundTrip));
  });

  test('at least a millisecond, however fast the handler', () => {
    expect(lambdaDurationFromEdge({ flags: 0.001, identity: 0.1 }, trafficProfile({ identityShare: 0 }))).toBe(1);
  });

  test('with no invocations at all, a flag list', () => {
    expect(lambdaDurationFromEdge({ flags: 1.2, identity: 0.1 }, trafficProfile({ identityShare: 0, cacheHitRatio: 1 }))).toBe(2);
  });
});
