/**
 * The overlap of a move, against figures computed by hand: an old stage with one 20 GiB gp3 volume
 * ($1.60 a month) and a new one with a hosted zone ($0.50 a month), each with a standard record whose
 * queries grow with the requests (1 lookup per 100 requests, $0.40 per million).
 */
import { DAYS_PER_MONTH, overlapCost, shiftSchedule } from '../../lib/cost/overlap';
import { uniformCapacity } from '../../lib/cost/profile';
import { cdn, input, resource, stageOf } from './support';

const volume = 300e6;
/** A stage's queries at 300M requests a month: 3M lookups, $1.20. */
const queriesUsd = ((volume * 0.01) / 1e6) * 0.4;
const from = stageOf(
  [resource('ebs-volume', { volume: { volumeType: 'gp3', sizeGiB: 20 } }), resource('dns-record', { routing: 'standard' })],
  'single-box',
);
const to = (extra: ReturnType<typeof resource>[] = []) =>
  stageOf([resource('hosted-zone', {}), resource('dns-record', { routing: 'standard' }), ...extra], 'autoscaled');
const move = { from: 'single-box', to: 'autoscaled', days: 14 } as const;
const months = (days: number) => days / DAYS_PER_MONTH;
/** The new stage's shares over the four steps, summed, and the old stage's. */
const newShares = 0.01 + 0.1 + 0.5 + 1;
const oldShares = 0.99 + 0.9 + 0.5 + 0;

test('the schedule: 1%, 10%, 50%, 100% of the traffic on the new stage, each for a quarter of the days', () => {
  expect(shiftSchedule(14)).toEqual([
    { share: 0.01, days: 3.5 },
    { share: 0.1, days: 3.5 },
    { share: 0.5, days: 3.5 },
    { share: 1, days: 3.5 },
  ]);
  expect(DAYS_PER_MONTH).toBeCloseTo(30.4167, 4);
});

test('both stages prorated to the days, the request-driven part split by the schedule, plus the weighted records', () => {
  const cost = overlapCost(from, to(), move, [volume], input());
  const [at] = cost.volumes;
  expect(at.requestsPerMonth).toBe(volume);
  // The volume all along; the queries at each step's share, 3.5 days each.
  expect(at.fromUsd).toBeCloseTo(1.6 * months(14) + queriesUsd * oldShares * months(3.5), 10);
  // The zone all along; the queries at each step's share, 3.5 days each.
  expect(at.toUsd).toBeCloseTo(0.5 * months(14) + queriesUsd * newShares * months(3.5), 10);
  // One health check ($0.50 a month) and its alarm ($0.10), and every lookup of the two records: neither is an alias.
  expect(at.shiftUsd).toBeCloseTo((0.5 + 0.1) * months(14) + queriesUsd * months(14), 10);
  expect(at.usd).toBeCloseTo(at.fromUsd + at.toUsd + at.shiftUsd, 10);
  expect(at.stayingOnFromUsd).toBeCloseTo((1.6 + queriesUsd) * months(14), 10);
  expect(at.newAloneUsd).toBeCloseTo((0.5 + queriesUsd) * months(14), 10);
  expect(cost.notes).toEqual([]);
});

test('an alias record to CloudFront answers free: only the other record’s lookups are priced', () => {
  const [at] = overlapCost(from, to([cdn('PriceClass_100', [])]), move, [volume], input()).volumes;
  expect(at.shiftUsd).toBeCloseTo((0.5 + 0.1) * months(14) + queriesUsd * oldShares * months(3.5), 10);
});

test('two stages behind CloudFront: no query is priced, and the note says DNS weights cannot split them', () => {
  const behindCloudFront = stageOf([cdn('PriceClass_100', [])], 'autoscaled');
  const cost = overlapCost(
    behindCloudFront,
    to([cdn('PriceClass_100', [])]),
    { ...move, from: 'autoscaled', to: 'fargate' },
    [volume],
    input(),
  );
  expect(cost.volumes[0].shiftUsd).toBeCloseTo((0.5 + 0.1) * months(14), 10);
  expect(cost.notes).toEqual([expect.stringMatching(/both behind CloudFront: DNS weights cannot split traffic between them/)]);
});

test('the days scale the fixed costs; each volume is priced on its own', () => {
  const cost = overlapCost(from, to(), { ...move, days: 28 }, [volume, 2 * volume], input());
  expect(cost.schedule.map((step) => step.days)).toEqual([7, 7, 7, 7]);
  const [once, twice] = cost.volumes;
  expect(twice.fromUsd - once.fromUsd).toBeCloseTo(queriesUsd * oldShares * months(7), 10);
  expect(twice.toUsd - once.toUsd).toBeCloseTo(queriesUsd * newShares * months(7), 10);
});

test('a stage that cannot carry its share at a step is named in the notes', () => {
  // 3B requests a month at 100 requests a second per vCPU: about 11 vCPUs, 23 at 50% CPU, on one 2-vCPU instance.
  const box = stageOf(
    [
      resource('ec2-instance', {
        instanceType: 't4g.small',
        detailedMonitoring: false,
        volumes: [],
        autoAssignedPublicIp: false,
        compressesResponses: false,
      }),
    ],
    'single-box',
  );
  const cost = overlapCost(box, to(), move, [3e9], input({ capacity: uniformCapacity(100) }));
  // Its 99%, 90% and 50% shares are too much for it; at 0% it carries nothing.
  expect(cost.notes).toHaveLength(3);
  for (const note of cost.notes)
    expect(note).toMatch(/^during the move, single-box: at .* requests\/month ec2-instance .* it cannot carry this volume$/);
  expect(cost.notes[2]).toMatch(/at 1\.5B requests\/month .* needs 11\.4 vCPUs/);
  expect(overlapCost(box, to(), move, [1e6], input({ capacity: uniformCapacity(100) })).notes).toEqual([]);
});
