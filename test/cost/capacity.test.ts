/**
 * Capacity, availability and the recommendation, against figures computed by hand. Every test uses
 * a uniform capacity of 1,000 requests a second per vCPU (1 ms of CPU per request, of which an
 * identity request's database share is half) and 30% identity requests unless it says otherwise.
 */
import { defaultRequestsPerTarget } from '../../lib/capacity-figures';
import { stageAvailability } from '../../lib/cost/availability';
import {
  CAPACITY_ASSUMPTIONS,
  capacityAt,
  DAILY_PEAK_FACTOR,
  HOURLY_PROFILE,
  MINUTE_BURST,
  scalingWarnings,
  stageLimits,
} from '../../lib/cost/capacity';
import { SECONDS_PER_MONTH, trafficProfile, uniformCapacity } from '../../lib/cost/profile';
import { AZ_REQUIRED_FROM, moveOnPoints, recommend, type Candidate } from '../../lib/cost/recommend';
import { cdn, resource, stageOf, synthesise } from './support';
import { discoverResources } from '../../lib/cost/discovery';
import { stacksOfStage } from '../../lib/cost/templates';

const capacity = uniformCapacity(1000); // 1 ms of CPU a request, half an identity request's on the database
const profile = trafficProfile({ identityShare: 0.3, cacheHitRatio: 0.5, meanResponseBytes: 1600, requestBodyBytes: 150 });
const load = { peak: 2, spike: 10 };
const ceiling = CAPACITY_ASSUMPTIONS.peakCpuCeiling; // 0.8
const limitOf = (limits: { resource: string; maxRps: number }[], prefix: string) =>
  limits.find((l) => l.resource.startsWith(prefix))?.maxRps;

describe('limits, one per resource', () => {
  test('the single box: one Node worker, the CPU it shares with PostgreSQL, its network baseline', () => {
    const box = stageOf([
      resource('ec2-instance', {
        instanceType: 't4g.small',
        detailedMonitoring: false,
        volumes: [],
        autoAssignedPublicIp: true,
        workers: 1,
        compressesResponses: false,
      }),
    ]);
    const { limits, scaleOutSeconds } = stageLimits(box, profile, capacity);
    // The worker runs the service's part: 0.7 × 1 ms + 0.3 × 0.5 ms = 0.85 ms a request, on one vCPU at 80%.
    expect(limitOf(limits, 'service CPU')).toBeCloseTo((1 * ceiling) / 0.00085, 6);
    // The box's two vCPUs run that and PostgreSQL's 0.3 × 0.5 ms: 1 ms a request.
    expect(limitOf(limits, 'CPU of t4g.small')).toBeCloseTo((2 * ceiling) / 0.001, 6);
    // 0.128 Gbps over (1,600 + 400 header bytes) × every request + 150 body bytes × 0.3.
    expect(limitOf(limits, 'network')).toBeCloseTo(0.128e9 / 8 / (2000 + 45), 6);
    expect(limits[0].resource).toMatch(/^service CPU: 1 Node worker on each t4g.small \(2 vCPUs\)/);
    expect(scaleOutSeconds).toBeNull();
  });

  test('behind a compressing proxy (the single box with a domain: Caddy gzips) the network carries compressed bodies', () => {
    const box = (compressesResponses: boolean) =>
      stageLimits(
        stageOf([
          resource('ec2-instance', {
            instanceType: 't4g.small',
            detailedMonitoring: false,
            volumes: [],
            autoAssignedPublicIp: true,
            compressesResponses,
          }),
        ]),
        trafficProfile({ identityShare: 0.3, meanResponseBytes: 1600, compressedResponseBytes: 500, requestBodyBytes: 150 }),
        capacity,
      ).limits;
    expect(limitOf(box(true), 'network')).toBeCloseTo(0.128e9 / 8 / (500 + 400 + 45), 6);
    expect(limitOf(box(false), 'network')).toBeCloseTo(0.128e9 / 8 / (1600 + 400 + 45), 6);
  });

  test('more workers lift the worker limit up to the vCPUs; a larger instance lifts the others', () => {
    const box = (instanceType: string, workers: number) =>
      stageLimits(
        stageOf([
          resource('ec2-instance', {
            instanceType,
            detailedMonitoring: false,
            volumes: [],
            autoAssignedPublicIp: true,
            workers,
            compressesResponses: false,
          }),
        ]),
        profile,
        capacity,
      ).limits;
    expect(limitOf(box('t4g.small', 2), 'service CPU')).toBeCloseTo((2 * ceiling) / 0.00085, 6);
    expect(limitOf(box('t4g.small', 4), 'service CPU')).toBeCloseTo((2 * ceiling) / 0.00085, 6);
    // A larger instance lifts the shared CPU and the network, not what one worker can do.
    expect(limitOf(box('t4g.xlarge', 1), 'CPU of t4g.xlarge')).toBeCloseTo(2 * limitOf(box('t4g.small', 1), 'CPU of t4g.small')!, 6);
    expect(limitOf(box('t4g.xlarge', 1), 'network')).toBeCloseTo(8 * limitOf(box('t4g.small', 1), 'network')!, 6);
    expect(limitOf(box('t4g.xlarge', 1), 'service CPU')).toBeCloseTo(limitOf(box('t4g.small', 1), 'service CPU')!, 6);
    expect(box('t4g.xlarge', 4)[0].maxRps).toBeGreaterThan(2 * box('t4g.small', 1)[0].maxRps);
  });

  test('an Auto Scaling group behind CloudFront: its maximum, and only cache misses reach it; Aurora at its most ACUs', () => {
    const stage = stageOf([
      cdn('PriceClass_100', ['/api/v1/flags/']),
      resource('auto-scaling-group', { instanceType: 't4g.micro', detailedMonitoring: false, volumes: [], min: 2, max: 6 }),
      resource('aurora-cluster', {
        storageType: 'aurora',
        serverless: { min: 0.5, max: 4 },
        instances: [{ id: 'Writer', instanceClass: 'db.serverless', followsWriter: false }],
      }),
      resource('rds-proxy', { targets: ['aurora-cluster'] }),
    ]);
    const { limits, scaleOutSeconds } = stageLimits(stage, profile, capacity);
    // Half the flag lists reach the origin: 0.35 × 1 ms + 0.3 × 0.5 ms = 0.5 ms of service CPU a viewer request.
    expect(limitOf(limits, 'service CPU')).toBeCloseTo((6 * 1 * ceiling) / 0.0005, 6);
    // 4 ACUs are one vCPU; the database's 0.3 × 0.5 ms a request.
    expect(limitOf(limits, 'database CPU')).toBeCloseTo((1 * ceiling) / 0.00015, 6);
    // Through RDS Proxy connections do not limit the hosts.
    expect(limitOf(limits, 'database connections')).toBeUndefined();
    expect(scaleOutSeconds).toBe(CAPACITY_ASSUMPTIONS.instanceScaleOutSeconds);
  });

  test('Fargate on RDS without a proxy: the connections the database admits cap the tasks', () => {
    const stage = stageOf([
      resource('fargate-service', { clusterId: 'C', cpu: 512, memoryMiB: 1024, architecture: 'arm64', desired: 2, min: 2, max: 100 }),
      resource('rds-instance', { engine: 'postgres', instanceClass: 'db.t4g.micro', multiAz: true, storageGiB: 20, storageType: 'gp3' }),
    ]);
    const { limits } = stageLimits(stage, profile, capacity);
    // 1 GiB / 9,531,392 B = 112 connections, 10 a task: 11 tasks of 0.5 vCPU at 0.85 ms a request.
    expect(limitOf(limits, 'database connections')).toBeCloseTo((11 * 0.5 * ceiling) / 0.00085, 6);
    expect(limitOf(limits, 'service CPU')).toBeCloseTo((100 * 0.5 * ceiling) / 0.00085, 6);
  });

  test('the edge: Lambda concurrency per region by its share of viewers, reserved concurrency when set, DynamoDB reads', () => {
    const fn = (region: string, reservedConcurrency?: number) =>
      resource(
        'lambda-function',
        { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, reservedConcurrency },
        { id: `Fn${region}`, region },
      );
    const table = resource('dynamodb-table', {
      billingMode: 'PAY_PER_REQUEST',
      replicaRegions: ['us-east-1', 'eu-west-1'],
      pitrRegions: [],
    });
    const edgeProfile = trafficProfile({ identityShare: 0.3, lambdaDurationMs: 20, viewerShares: { 'north-america': 0.6, europe: 0.4 } });
    const { limits } = stageLimits(stageOf([fn('us-east-1'), fn('eu-west-1', 200), table]), edgeProfile, capacity);
    // No CloudFront here: every request invokes. us-east-1: 1,000 / 0.02 s over 60% of requests.
    expect(limitOf(limits, 'Lambda concurrency in us-east-1')).toBeCloseTo(1000 / 0.02 / 0.6, 6);
    expect(limitOf(limits, 'Lambda concurrency in eu-west-1')).toBeCloseTo(200 / 0.02 / 0.4, 6);
    // 40,000 read units a second in the busiest region (60%), one per identity request (30%).
    expect(limitOf(limits, 'DynamoDB reads')).toBeCloseTo(40_000 / 0.3 / 0.6, 6);
    expect(limits[0].resource).toMatch(/^Lambda concurrency in eu-west-1: 200 \(reserved\)/);
  });
});

test('the stacks’ default scaling target: origin requests a minute one host serves at 50% CPU by the default capacity figure', () => {
  // Default figure: 25,279 / 2 flag and 3,399 / 2 identity requests a second per vCPU, half of an identity request's CPU the
  // database's; 30% identity requests, half the flag lists from CloudFront's cache: 0.35 flag and 0.3 identity origin requests.
  const serviceCpu = 0.35 / (25_279 / 2) + (0.3 * 0.5) / (3_399 / 2);
  expect(defaultRequestsPerTarget(2)).toBe(Math.round(((0.5 * 2) / (serviceCpu / 0.65)) * 60));
  expect(defaultRequestsPerTarget(0.5)).toBe(Math.round(((0.5 * 0.5) / (serviceCpu / 0.65)) * 60));
});

test('a request-count policy a volume pins at its maximum or minimum is warned about', () => {
  const group = (requestsPerTargetPerMinute: number) =>
    stageOf([
      resource('auto-scaling-group', {
        instanceType: 't4g.micro',
        detailedMonitoring: false,
        volumes: [],
        min: 2,
        max: 6,
        scaling: { requestsPerTargetPerMinute },
      }),
    ]);
  // 600M a month: 228.3 req/s on average, 456.6 at a 2× peak, all at the origin (no CloudFront): 27,397 a minute.
  const [pinned] = scalingWarnings(group(1000), 600e6, load, profile, capacity);
  expect(pinned).toMatch(/wants 28 targets at peak and is pinned at its maximum of 6/);
  expect(scalingWarnings(group(100_000), 600e6, load, profile, capacity)).toEqual([
    expect.stringMatching(/wants 1 at peak and stays at its minimum of 2/),
  ]);
  expect(scalingWarnings(group(5000), 600e6, load, profile, capacity)).toEqual([]);
});

describe('capacity at a volume', () => {
  const limits = { limits: [{ resource: 'service CPU', maxRps: 1000 }], scaleOutSeconds: null, scalesByConcurrency: false };
  test('peak, headroom, the largest volume, and the spike', () => {
    const volume = (100 / 2) * SECONDS_PER_MONTH; // an average of 50 req/s: 100 at peak
    const at = capacityAt(limits, volume, load, profile);
    expect(at.peakRps).toBeCloseTo(100, 9);
    expect(at.headroom).toBeCloseTo(10, 9);
    expect(at.absorbsSpike).toBe(true);
    expect(at.maxRequestsPerMonth).toBeCloseTo((1000 / 2) * SECONDS_PER_MONTH, 3);
    expect(capacityAt(limits, volume * 1.01, load, profile).absorbsSpike).toBe(false);
  });

  test('the default peak comes from the documented daily profile', () => {
    const mean = HOURLY_PROFILE.reduce((sum, hour) => sum + hour, 0) / 24;
    expect(DAILY_PEAK_FACTOR).toBeCloseTo((1.5 / mean) * MINUTE_BURST, 12);
    expect(HOURLY_PROFILE).toHaveLength(24);
  });
});

describe('availability, from the synthesised stacks', () => {
  const { stacks } = synthesise();
  const availabilityOf = (stage: 'single-box' | 'autoscaled' | 'fargate' | 'edge') =>
    stageAvailability(discoverResources(stage, stacksOfStage(stage, stacks)));

  test.each([
    ['single-box', false, false, false, 180],
    ['autoscaled', true, true, false, 0],
    ['fargate', true, true, false, 0],
    ['edge', true, true, true, 0],
  ] as const)('%s: instance loss %s, AZ loss %s, region loss %s, %s s of deploy downtime', (stage, instance, az, region, downtime) => {
    const availability = availabilityOf(stage);
    expect(availability).toMatchObject({
      survivesInstanceLoss: instance,
      survivesAzLoss: az,
      survivesRegionLoss: region,
      deployDowntimeSeconds: downtime,
    });
  });

  test('the deployment strategies are the stacks’ own', () => {
    expect(availabilityOf('fargate').deployment).toMatch(/blue\/green/);
    expect(availabilityOf('autoscaled').deployment).toMatch(/rolling instance refresh keeping 2 in service/);
    expect(availabilityOf('single-box').recoveryPointSeconds).toBe(86_400);
  });

  test('a larger instance in the stack carries more', () => {
    const largest = (context: Record<string, unknown>) => {
      const box = discoverResources('single-box', stacksOfStage('single-box', synthesise(context).stacks));
      return capacityAt(stageLimits(box, profile, capacity), 20e6, load, profile).maxRps;
    };
    expect(largest({ singleBoxInstanceType: 't4g.xlarge' })).toBeGreaterThan(largest({}));
  });

  test('a single-AZ database does not survive an AZ loss', () => {
    const { stacks: singleAz } = synthesise({ multiAz: false });
    const availability = stageAvailability(discoverResources('fargate', stacksOfStage('fargate', singleAz)));
    expect(availability.survivesAzLoss).toBe(false);
  });
});

describe('the recommendation', () => {
  const candidate = (stage: string, monthlyUsd: number, maxRps: number, az: boolean, peakRps = 100): Candidate => ({
    stage,
    monthlyUsd,
    capacity: {
      peakRps,
      maxRps,
      maxRequestsPerMonth: (maxRps / load.peak) * SECONDS_PER_MONTH,
      limitedBy: `${stage} limit`,
      headroom: maxRps / peakRps,
      absorbsSpike: maxRps >= peakRps * load.spike,
      scaleOutSeconds: null,
      limits: [],
    },
    availability: {
      survivesInstanceLoss: az,
      survivesAzLoss: az,
      survivesRegionLoss: false,
      deployment: '',
      deployDowntimeSeconds: 0,
      recoveryPoint: '',
      recoveryPointSeconds: 0,
      reasons: [],
    },
  });

  test('the cheapest that carries the spike; the single box never past its capacity nor where an AZ loss must be survived', () => {
    const cheapBox = candidate('single-box', 20, 5000, false);
    const tier = candidate('autoscaled', 300, 20_000, true);
    expect(recommend(50e6, [cheapBox, tier], load).stage).toBe('single-box');
    // Past AZ_REQUIRED_FROM an AZ loss must be survived.
    const above = recommend(AZ_REQUIRED_FROM, [cheapBox, tier], load);
    expect(above).toMatchObject({ stage: 'autoscaled', requires: 'az' });
    expect(above.reason).toMatch(/single-box \(\$20\.00\) does not survive an AZ loss/);
    // Its capacity: 10 × 600 req/s passes 5,000.
    const tooBusy = recommend(
      50e6,
      [cheapBox, tier].map((c) => ({ ...c, capacity: { ...c.capacity, absorbsSpike: c.capacity.maxRps >= 6000 } })),
      load,
    );
    expect(tooBusy.stage).toBe('autoscaled');
    expect(recommend(50e6, [cheapBox, tier], load, 'none').stage).toBe('single-box');
    expect(recommend(50e6, [cheapBox, tier], load, 'region')).toMatchObject({ stage: 'none' });
  });

  test('move-on points: where the spike passes each stage’s capacity, or an AZ loss must be survived', () => {
    const stages = [
      { stage: 'single-box', maxRps: 5000, limitedBy: 'network', availability: candidate('single-box', 0, 0, false).availability },
      { stage: 'autoscaled', maxRps: 20_000, limitedBy: 'database CPU', availability: candidate('autoscaled', 0, 0, true).availability },
    ];
    const points = moveOnPoints(stages, load, (volume) => ({ requestsPerMonth: volume, stage: 'next', requires: 'az', reason: '' }));
    // The single box reaches AZ_REQUIRED_FROM (100M) before 5,000 / 2 / 10 req/s × a month (657M).
    expect(points[0]).toMatchObject({ from: 'single-box', requestsPerMonth: AZ_REQUIRED_FROM });
    expect(points[1].from).toBe('autoscaled');
    expect(points[1].requestsPerMonth).toBeCloseTo((20_000 / 2 / 10) * SECONDS_PER_MONTH, 3);
    expect(points[1].reason).toMatch(/10× the peak passes 20,000 req\/s \(database CPU\)/);
    // With --require none the single box moves on at its capacity.
    const relaxed = moveOnPoints(
      stages,
      load,
      (volume) => ({ requestsPerMonth: volume, stage: 'next', requires: 'none', reason: '' }),
      'none',
    );
    expect(relaxed[0].requestsPerMonth).toBeCloseTo((5000 / 2 / 10) * SECONDS_PER_MONTH, 3);
  });
});
