// Price arithmetic per resource kind, against figures computed by hand from the us-east-1 and
// eu-west-2 tables (a month is 730 hours, 2,628,000 seconds).
import { COMPLETE_REGIONS, PRICED_REGIONS, priceTable, tieredCost, validatePriceFile } from '../../lib/cost/prices';
import usEast1 from '../../lib/cost/prices/us-east-1.json';
import { type TrafficProfile, uniformCapacity } from '../../lib/cost/profile';
import { cdn, costOf, resource } from './support';

const SECONDS_PER_MONTH = 2_628_000;
/** Requests a month that make `rps` requests a second on average. */
const monthly = (rps: number) => rps * SECONDS_PER_MONTH;

describe('price tables', () => {
  it.each(PRICED_REGIONS)('%s: every price has a unit, a source and a date, and the file validates', (region) => {
    const table = priceTable(region);
    expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const key of table.keys()) {
      const price = table.get(key);
      expect(price.unit).not.toBe('');
      expect(price.source).toMatch(/https:\/\/aws\.amazon\.com\//);
      expect(price.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('the complete tables price the same things', () => {
    expect(COMPLETE_REGIONS).toEqual(['us-east-1', 'eu-west-2']);
    const keys = (region: string) =>
      priceTable(region)
        .keys()
        .filter((key) => !key.startsWith('ec2.instance:') && !key.startsWith('rds.aurora.instance:'));
    expect(keys('eu-west-2').sort()).toEqual(keys('us-east-1').sort());
  });

  it.each(['eu-west-1', 'ap-southeast-1'])('%s (an edge region) prices everything serverless that us-east-1 does', (region) => {
    const serverless = /^(lambda|dynamodb|logs|cloudwatch|data-transfer|secretsmanager|s3|kms)\./;
    const wanted = priceTable('us-east-1')
      .keys()
      .filter((key) => serverless.test(key));
    expect(wanted.filter((key) => !priceTable(region).has(key))).toEqual([]);
    for (const key of wanted) expect(priceTable(region).get(key).unit).toBe(priceTable('us-east-1').get(key).unit);
  });

  it('rejects a malformed file, naming the problem', () => {
    const broken = structuredClone(usEast1) as any;
    delete broken.prices['vpc.public-ipv4'].source;
    broken.prices['elb.alb.hour'].usd = -1;
    expect(() => validatePriceFile(broken, 'broken.json')).toThrow(/vpc.public-ipv4\/source[\s\S]*elb.alb.hour\/usd/);
    const unordered = structuredClone(usEast1) as any;
    unordered.prices['data-transfer.internet-out'].tiers = [
      { from: 500, usd: 0.08 },
      { from: 100, usd: 0.07 },
    ];
    expect(() => validatePriceFile(unordered, 'unordered.json')).toThrow(/tiers must rise/);
  });

  it('names the regions that have a table when asked for another', () => {
    expect(() => priceTable('sa-east-1')).toThrow(
      /no price table for region "sa-east-1" \(have: us-east-1, eu-west-2, eu-west-1, ap-southeast-1\)/,
    );
  });

  it('charges each volume tier at its own rate', () => {
    const price = priceTable('us-east-1').get('data-transfer.internet-out');
    // 10,240 GB at 0.09, 40,960 at 0.085, 8,800 at 0.07.
    expect(tieredCost(price, 60_000)).toBeCloseTo(921.6 + 3481.6 + 616, 6);
    expect(tieredCost(price, 100)).toBeCloseTo(9, 9);
    expect(tieredCost(price, 0)).toBe(0);
  });
});

describe('EC2, EBS and public IPv4', () => {
  const box = resource('ec2-instance', {
    instanceType: 't4g.small',
    detailedMonitoring: true,
    volumes: [
      { volumeType: 'gp3', sizeGiB: 8 },
      { volumeType: 'gp3', sizeGiB: 20 },
    ],
    autoAssignedPublicIp: true,
    compressesResponses: false,
  });

  it('prices instance hours, volumes, detailed monitoring and the address', () => {
    const { byKey } = costOf([box], 0);
    expect(byKey('ec2.instance:t4g.small')).toBeCloseTo(730 * 0.0168, 6);
    expect(byKey('ebs.gp3.storage')).toBeCloseTo(28 * 0.08, 6);
    expect(byKey('cloudwatch.metric')).toBeCloseTo(7 * 0.3, 6);
    expect(byKey('vpc.public-ipv4')).toBeCloseTo(730 * 0.005, 6);
  });

  it('charges surplus CPU credits above a burstable baseline, and flags a volume the instance cannot carry', () => {
    const capacity = uniformCapacity(1000);
    // 600 req/s at 1,000 per vCPU: 0.6 vCPU against t4g.small's 2 × 20% baseline, 0.2 vCPU over for 730 hours.
    const busy = costOf([box], monthly(600), { capacity, profile: { identityShare: 0 } });
    expect(busy.byKey('ec2.cpu-credits.surplus')).toBeCloseTo(0.2 * 730 * 0.04, 6);
    expect(busy.estimate.overCapacity).toEqual([]);
    // 1,200 req/s need 2.4 vCPUs at 50% utilisation: more than the instance has.
    const over = costOf([box], monthly(1200), { capacity, profile: { identityShare: 0 } });
    expect(over.estimate.overCapacity).toEqual([expect.stringMatching(/t4g\.small, 2 vCPUs\) needs 2\.4 vCPUs.*cannot carry/)]);
  });

  it('sends responses straight to the internet without CloudFront, after the free 100 GB', () => {
    // 100M × 5,800 bytes = 580 GB.
    expect(costOf([box], 100e6, { freeTier: true }).byKey('data-transfer.internet-out')).toBeCloseTo(480 * 0.09, 6);
    expect(costOf([box], 100e6).byKey('data-transfer.internet-out')).toBeCloseTo(580 * 0.09, 6);
  });

  it('splits the fixed part (no requests) from the per-request part', () => {
    const { estimate } = costOf([box], 100e6);
    expect(estimate.fixedUsd).toBeCloseTo(730 * 0.0168 + 28 * 0.08 + 7 * 0.3 + 730 * 0.005, 6);
    expect(estimate.variableUsd).toBeCloseTo(580 * 0.09, 6);
    expect(estimate.usdPerMillion).toBeCloseTo(estimate.monthlyUsd / 100, 9);
  });

  it('prices the same instance in eu-west-2 with --region', () => {
    expect(costOf([box], 0, { priceRegion: 'eu-west-2' }).byKey('ec2.instance:t4g.small')).toBeCloseTo(730 * 0.0188, 6);
  });

  it('lists an instance type the table has no price for as unpriced, never $0', () => {
    const unknown = resource(
      'ec2-instance',
      { instanceType: 'm5.large', detailedMonitoring: false, volumes: [], autoAssignedPublicIp: false, compressesResponses: false },
      { id: 'Big' },
    );
    const { estimate } = costOf([unknown], 0);
    expect(estimate.lines.some((line) => line.priceKey.startsWith('ec2.instance'))).toBe(false);
    expect(estimate.unpriced).toEqual([
      expect.objectContaining({ id: 'Big', reason: 'no price "ec2.instance:m5.large" in the us-east-1 price table' }),
    ]);
  });
});

describe('Auto Scaling groups and Fargate services scale with traffic', () => {
  const group = resource('auto-scaling-group', {
    instanceType: 't4g.micro',
    detailedMonitoring: false,
    volumes: [{ volumeType: 'gp3', sizeGiB: 8 }],
    min: 2,
    max: 6,
    scaling: { requestsPerTargetPerMinute: 1000 },
  });
  const capacity = uniformCapacity(1000);

  it('runs the template minimum with no traffic', () => {
    expect(costOf([group], 0).byKey('ec2.instance:t4g.micro')).toBeCloseTo(2 * 730 * 0.0084, 6);
  });

  it('runs what request-count target tracking would run, up to its maximum', () => {
    // 50 req/s = 3,000 a minute at 1,000 per target: 3 instances (CPU alone would need 1).
    expect(costOf([group], monthly(50), { capacity }).byKey('ec2.instance:t4g.micro')).toBeCloseTo(3 * 730 * 0.0084, 6);
    // 500 req/s would track to 30 instances, capped at 6.
    expect(costOf([group], monthly(500), { capacity }).byKey('ec2.instance:t4g.micro')).toBeCloseTo(6 * 730 * 0.0084, 6);
  });

  it('prices past the maximum when CPU needs it, and says so', () => {
    // 10,000 req/s at 1,000 per vCPU and 50% utilisation: 20 vCPUs, 10 t4g.micro.
    const { byKey, estimate } = costOf([group], monthly(10_000), { capacity });
    expect(byKey('ec2.instance:t4g.micro')).toBeCloseTo(10 * 730 * 0.0084, 6);
    expect(byKey('ebs.gp3.storage')).toBeCloseTo(10 * 8 * 0.08, 6);
    expect(estimate.notes).toEqual(
      expect.arrayContaining([expect.stringMatching(/needs 10 .* maximum of 6 \(autoscaledMaxInstances\); priced at 10/)]),
    );
  });

  it('prices Fargate vCPU and GB hours by architecture', () => {
    const task = (architecture: 'arm64' | 'x86_64') =>
      resource('fargate-service', { clusterId: 'Cluster', cpu: 512, memoryMiB: 1024, architecture, desired: 2, min: 2, max: 10 });
    const arm = costOf([task('arm64')], 0);
    expect(arm.byKey('fargate.vcpu:arm64')).toBeCloseTo(730 * 0.03238, 6);
    expect(arm.byKey('fargate.memory:arm64')).toBeCloseTo(1460 * 0.00356, 6);
    const x86 = costOf([task('x86_64')], 0);
    expect(x86.byKey('fargate.vcpu:x86_64')).toBeCloseTo(730 * 0.04048, 6);
    expect(x86.byKey('fargate.memory:x86_64')).toBeCloseTo(1460 * 0.004445, 6);
    // 2,000 req/s at 1,000 per vCPU and 50%: 4 vCPUs = 8 tasks of 0.5 vCPU.
    expect(costOf([task('arm64')], monthly(2000), { capacity }).quantity('fargate.vcpu:arm64')).toBeCloseTo(8 * 0.5 * 730, 6);
  });
});

describe('databases', () => {
  it('prices RDS instance hours and storage, Single- and Multi-AZ, and the proxy by vCPU', () => {
    const rds = (multiAz: boolean) =>
      resource(
        'rds-instance',
        { engine: 'postgres', instanceClass: 'db.t4g.medium', multiAz, storageGiB: 20, storageType: 'gp3' },
        { id: 'Db' },
      );
    const proxy = resource('rds-proxy', { targets: ['Db'] });
    const multi = costOf([rds(true), proxy], 0);
    expect(multi.byKey('rds.postgres.instance:db.t4g.medium:multi-az')).toBeCloseTo(730 * 0.129, 6);
    expect(multi.byKey('rds.postgres.storage:gp3:multi-az')).toBeCloseTo(20 * 0.23, 6);
    expect(multi.byKey('rds.proxy.vcpu')).toBeCloseTo(2 * 730 * 0.015, 6);
    const single = costOf([rds(false)], 0);
    expect(single.byKey('rds.postgres.instance:db.t4g.medium:single-az')).toBeCloseTo(730 * 0.065, 6);
    expect(single.byKey('rds.postgres.storage:gp3:single-az')).toBeCloseTo(20 * 0.115, 6);
  });

  const cluster = resource(
    'aurora-cluster',
    {
      storageType: 'aurora',
      serverless: { min: 0.5, max: 4 },
      instances: [
        { id: 'Writer', instanceClass: 'db.serverless', followsWriter: true },
        { id: 'Reader', instanceClass: 'db.serverless', followsWriter: true },
        { id: 'Analytics', instanceClass: 'db.serverless', followsWriter: false },
      ],
    },
    { id: 'Cluster' },
  );
  const proxy = resource('rds-proxy', { targets: ['Cluster'] });

  it('prices Aurora Serverless v2 at the minimum ACUs with no traffic, and the proxy at its 8-ACU minimum', () => {
    const { byKey } = costOf([cluster, proxy], 0);
    expect(byKey('rds.aurora.serverless-v2')).toBeCloseTo(1.5 * 730 * 0.12, 6);
    expect(byKey('rds.aurora.storage')).toBeCloseTo(1 * 0.1, 6);
    expect(byKey('rds.proxy.acu')).toBeCloseTo(8 * 730 * 0.015, 6);
  });

  it('scales the writer and the readers that follow it with identity traffic, and bills write I/O', () => {
    // 20 identity req/s at 100 per vCPU, half of it the database's: 0.1 vCPU → 0.4 ACU at 0.25 vCPU/ACU → 0.8 at 50% → 1 ACU.
    const { byKey } = costOf([cluster, proxy], monthly(20), { capacity: uniformCapacity(100), profile: { identityShare: 1 } });
    expect(byKey('rds.aurora.serverless-v2')).toBeCloseTo((1 + 1 + 0.5) * 730 * 0.12, 6);
    // 52.56M identity requests, 10% write a trait: 5.256M write I/Os.
    expect(byKey('rds.aurora.io')).toBeCloseTo(5.256 * 0.2, 6);
  });

  it('prices DynamoDB on-demand reads, writes, replicated writes and storage in each replica region', () => {
    const table = resource('dynamodb-table', {
      billingMode: 'PAY_PER_REQUEST',
      replicaRegions: ['us-east-1', 'eu-west-2'],
      pitrRegions: [],
    });
    const functions = ['us-east-1', 'eu-west-2'].map((region) =>
      resource(
        'lambda-function',
        { memoryMiB: 1024, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { region, id: `Fn-${region}` },
      ),
    );
    // 100M requests, 30% identities: 30M trait reads, plus 70M flag lists × (20 ms / 5 s) × ½ unit of
    // version checks = 0.14M; 3M writes (1.5M per region), each replicated to the other region.
    // Viewers split evenly between North America and Europe, each served by the nearest function.
    const { estimate } = costOf([table, ...functions], 100e6, { profile: { viewerShares: { 'north-america': 0.5, europe: 0.5 } } });
    const usd = (key: string, region: string) =>
      estimate.lines.filter((l) => l.priceKey === key && l.priceRegion === region).reduce((sum, l) => sum + l.usd, 0);
    expect(usd('dynamodb.read', 'us-east-1')).toBeCloseTo(15.07 * 0.125, 6);
    expect(usd('dynamodb.read', 'eu-west-2')).toBeCloseTo(15.07 * 0.1485, 6);
    expect(usd('dynamodb.write', 'us-east-1')).toBeCloseTo(1.5 * 0.625, 6);
    expect(usd('dynamodb.replicated-write', 'eu-west-2')).toBeCloseTo(1.5 * 0.7425, 6);
    expect(usd('dynamodb.storage', 'us-east-1')).toBeCloseTo(0.25, 6);
    expect(usd('dynamodb.storage', 'eu-west-2')).toBeCloseTo(0.297, 6);
  });

  it('lists a replica in a region without a price table as unpriced', () => {
    const table = resource(
      'dynamodb-table',
      { billingMode: 'PAY_PER_REQUEST', replicaRegions: ['us-east-1', 'sa-east-1'], pitrRegions: [] },
      { id: 'Table' },
    );
    const { estimate } = costOf([table], 100e6);
    expect(estimate.unpriced).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'Table', reason: expect.stringMatching(/no price table for region "sa-east-1"/) }),
      ]),
    );
  });
});

describe('load balancer, NAT gateway and CloudFront', () => {
  const alb = (rules: number) => resource('load-balancer', { loadBalancerType: 'application', internetFacing: true, subnets: 2, rules });

  it('prices ALB hours, its public addresses and LCUs by the largest dimension', () => {
    // 100 req/s, 6,200 bytes each (response and headers): 2.232 GB an hour = 2.232 LCU.
    const { byKey } = costOf([alb(1)], monthly(100), { profile: { identityShare: 0 } });
    expect(byKey('elb.alb.hour')).toBeCloseTo(730 * 0.0225, 6);
    expect(byKey('vpc.public-ipv4')).toBeCloseTo(2 * 730 * 0.005, 6);
    expect(byKey('elb.alb.lcu')).toBeCloseTo(2.232 * 730 * 0.008, 6);
    // With 40 rules, 30 are evaluated past the 10 free: 3,000 evaluations a second = 3 LCU.
    expect(costOf([alb(40)], monthly(100), { profile: { identityShare: 0 } }).byKey('elb.alb.lcu')).toBeCloseTo(3 * 730 * 0.008, 6);
  });

  it('prices NAT gateway hours and the log data it carries', () => {
    // 100M requests × 420 log bytes = 42 GB.
    const { byKey } = costOf([resource('nat-gateway', {})], 100e6);
    expect(byKey('vpc.nat-gateway.hour')).toBeCloseTo(730 * 0.045, 6);
    expect(byKey('vpc.nat-gateway.data')).toBeCloseTo(42 * 0.045, 6);
  });

  const distribution = (priceClass: string) => cdn(priceClass, ['/api/v1/flags/*']);

  it('prices CloudFront requests and data by region group, viewers outside the price class billed in North America', () => {
    // 100M requests: 65M in North America (with Asia and South America), 35M in Europe. Data out: 70M
    // flag lists compressed by CloudFront, 1,250 bytes = 87.5 GB, and 30M identity responses, never
    // cached nor compressed, 5,800 bytes = 174 GB: 261.5 GB split the same way.
    const { byKey } = costOf([distribution('PriceClass_100')], 100e6);
    expect(byKey('cloudfront.requests.https:north-america')).toBeCloseTo(6500 * 0.01, 6);
    expect(byKey('cloudfront.requests.https:europe')).toBeCloseTo(3500 * 0.012, 6);
    expect(byKey('cloudfront.data-out')).toBeCloseTo(261.5 * 0.085, 6);
    // To the origin: 35M flag-list misses and 30M identity requests × 400 header bytes = 26 GB, plus
    // 30M × 150 body bytes = 4.5 GB.
    expect(byKey('cloudfront.origin-out')).toBeCloseTo(30.5 * 0.02, 6);
    const all = costOf([distribution('PriceClass_All')], 100e6);
    expect(all.byKey('cloudfront.requests.https:asia')).toBeCloseTo(1000 * 0.012, 6);
    expect(all.byKey('cloudfront.data-out:south-america')).toBeCloseTo(0.05 * 261.5 * 0.11, 6);
    // A behaviour that does not compress sends flag lists whole: 100M × 5,800 bytes = 580 GB.
    const plain = costOf([cdn('PriceClass_100', ['/api/v1/flags/*'], {}, { compress: false })], 100e6);
    expect(plain.byKey('cloudfront.data-out')).toBeCloseTo(580 * 0.085, 6);
  });

  it('applies the free 10M requests and 1 TB across region groups', () => {
    const { byKey } = costOf([distribution('PriceClass_100')], 100e6, { freeTier: true });
    expect(byKey('cloudfront.requests.https')).toBeCloseTo((6500 * 0.01 + 3500 * 0.012) * 0.9, 6);
    expect(byKey('cloudfront.data-out')).toBe(0);
  });

  it('sends only cache misses of flag lists and every identity request to the origin', () => {
    const service = resource('fargate-service', {
      clusterId: 'C',
      cpu: 512,
      memoryMiB: 1024,
      architecture: 'arm64',
      desired: 1,
      min: 1,
      max: 1,
    });
    const origin = (cached: string[]) =>
      costOf([cdn('PriceClass_100', cached), alb(1), service], monthly(100), {
        profile: { identityShare: 0.3, cacheHitRatio: 0.5 },
      }).quantity('elb.alb.lcu');
    // Processed bytes scale with origin requests: 70% × 50% + 30% = 65% of them when flag lists are cached.
    expect(origin(['/api/v1/flags/*']) / origin([])).toBeCloseTo((0.65 * (5800 + 400 + (0.3 / 0.65) * 150)) / (5800 + 400 + 0.3 * 150), 6);
  });
});

describe('Lambda, CloudWatch and the rest', () => {
  it('prices Lambda requests and Arm GB-seconds, with the free allowance shared across regions', () => {
    const functions = ['us-east-1', 'eu-west-2'].map((region) =>
      resource(
        'lambda-function',
        { memoryMiB: 1024, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { region, id: `Fn-${region}` },
      ),
    );
    const edge = [cdn('PriceClass_100', []), ...functions];
    // 100M invocations of 20 ms at 1 GB: 2M GB-s; 1% of them cold starts whose 400 ms INIT Lambda bills too: 0.4M GB-s.
    const paid = costOf(edge, 100e6);
    expect(paid.byKey('lambda.requests')).toBeCloseTo(100 * 0.2, 6);
    expect(paid.byKey('lambda.duration:arm64')).toBeCloseTo(2.4e6 * 0.0000133334, 6);
    expect(paid.byKey('data-transfer')).toBe(0); // CloudFront fetches from AWS origins for free
    const free = costOf(edge, 100e6, { freeTier: true });
    expect(free.byKey('lambda.requests')).toBeCloseTo(99 * 0.2, 6);
    expect(free.byKey('lambda.duration:arm64')).toBeCloseTo(2.0e6 * 0.0000133334, 6);
    // x86 costs more per GB-second: 10M × 0.5 GB × (20 ms + 1% × 400 ms) = 120,000 GB-s.
    const x86 = resource('lambda-function', { memoryMiB: 512, architecture: 'x86_64', serving: true, edge: false, logRetentionDays: 30 });
    expect(costOf([x86], 10e6).byKey('lambda.duration:x86_64')).toBeCloseTo(120_000 * 0.0000166667, 6);
  });

  it("bills the INIT of cold starts at the duration price, by the profile's cold-start share and INIT duration", () => {
    const fn = resource('lambda-function', { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 });
    const init = (profile: Partial<TrafficProfile>) =>
      costOf([fn], 50e6, { profile })
        .estimate.lines.filter((l) => l.what.startsWith('INIT'))
        .reduce((sum, l) => sum + l.quantity, 0);
    // 50M invocations, 2% cold starts = 1M INITs of 600 ms at 0.5 GB = 300,000 GB-s.
    expect(init({ coldStartShare: 0.02, initDurationMs: 600 })).toBeCloseTo(300_000, 6);
    expect(init({ coldStartShare: 0 })).toBe(0);
  });

  it('prices Lambda@Edge, CloudFront Functions and their KeyValueStore reads on the requests of the behaviours they are on', () => {
    const edgeFn = resource(
      'lambda-function',
      { memoryMiB: 128, architecture: 'x86_64', serving: false, edge: true, logRetentionDays: 30 },
      { id: 'BodyHash' },
    );
    const router = resource('cloudfront-function', {}, { id: 'Router' });
    const distribution = resource('cloudfront', {
      priceClass: 'PriceClass_100',
      behaviors: [
        {
          pathPattern: '/api/v1/identities/*',
          cached: false,
          compresses: false,
          lambdaEdge: [{ eventType: 'origin-request', functionId: 'BodyHash' }],
          cloudFrontFunctions: [],
        },
        {
          pathPattern: '/api/v1/flags/*',
          cached: true,
          compresses: true,
          lambdaEdge: [],
          cloudFrontFunctions: [{ eventType: 'viewer-request', functionId: 'Router' }],
        },
        { pathPattern: null, cached: false, compresses: false, lambdaEdge: [], cloudFrontFunctions: [] },
      ],
    });
    // 100M requests: 30M identities reach the origin through BodyHash; 70M flag lists pass Router as viewers.
    // Router reads its KeyValueStore at each of its 70M invocations; a store no function reads costs nothing.
    const store = resource('cloudfront-key-value-store', { readers: ['Test/Router'] }, { id: 'Share' });
    const unread = resource('cloudfront-key-value-store', { readers: [] }, { id: 'Unread' });
    const { byKey, estimate } = costOf([distribution, edgeFn, router, store, unread], 100e6);
    expect(byKey('lambda-edge.requests')).toBeCloseTo(30 * 0.6, 6);
    expect(byKey('lambda-edge.duration')).toBeCloseTo(30e6 * 0.005 * 0.125 * 0.00005001, 6);
    expect(byKey('cloudfront.functions')).toBeCloseTo(70 * 0.1, 6);
    expect(byKey('cloudfront.kvs.reads')).toBeCloseTo(70 * 0.03, 6);
    expect(estimate.lines.filter((l) => l.priceKey === 'cloudfront.kvs.reads').map((l) => l.resource)).toEqual(['Test/Share']);
  });

  it("sends each region group to the nearest function, as the edge stage's router does", () => {
    const functions = ['us-east-1', 'eu-west-1', 'ap-southeast-1'].map((region) =>
      resource(
        'lambda-function',
        { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { region, id: `Fn-${region}` },
      ),
    );
    // Default viewers: North and South America 55% → us-east-1, Europe 35% → eu-west-1, Asia 10% → ap-southeast-1.
    const { estimate } = costOf([cdn('PriceClass_All', []), ...functions], 100e6);
    const invocations = (region: string) => estimate.lines.find((l) => l.priceKey === 'lambda.requests' && l.region === region)!.quantity;
    expect(invocations('us-east-1')).toBeCloseTo(55, 6);
    expect(invocations('eu-west-1')).toBeCloseTo(35, 6);
    expect(invocations('ap-southeast-1')).toBeCloseTo(10, 6);
    // The function logs only Lambda's own lines unless told otherwise: 55M × 300 bytes.
    expect(estimate.lines.find((l) => l.priceKey === 'logs.ingestion' && l.region === 'us-east-1')!.quantity).toBeCloseTo(16.5, 6);
  });

  it('leaves a function outside the request path unpriced per request, with a note', () => {
    const helper = resource(
      'lambda-function',
      { memoryMiB: 128, architecture: 'x86_64', serving: false, edge: false },
      { id: 'DeployHelper' },
    );
    const { estimate } = costOf([helper], 100e6);
    expect(estimate.lines).toEqual([]);
    expect(estimate.notes).toEqual([expect.stringMatching(/DeployHelper runs outside the request path/)]);
  });

  it('prices alarms per metric and dashboards past the free ones', () => {
    const alarms = Array.from({ length: 6 }, (_, i) => resource('alarm', { metrics: 2, highResolution: false }, { id: `Alarm${i}` }));
    const dashboards = Array.from({ length: 4 }, (_, i) => resource('dashboard', {}, { id: `Dashboard${i}` }));
    const { byKey } = costOf([...alarms, ...dashboards], 0, { freeTier: true });
    expect(byKey('cloudwatch.alarm')).toBeCloseTo(2 * 0.1, 6);
    expect(byKey('cloudwatch.dashboard')).toBeCloseTo(3, 6);
  });

  it('prices the request log: ingestion, and storage for its retention', () => {
    const log = resource('log-group', { retentionDays: 30, carries: 'service' });
    // 100M requests × 420 bytes = 42 GB; kept 30 of 30.4375 days, compressed to 15%.
    const { byKey } = costOf([log], 100e6);
    expect(byKey('logs.ingestion')).toBeCloseTo(42 * 0.5, 6);
    expect(byKey('logs.storage')).toBeCloseTo(42 * 0.15 * (30 / 30.4375) * 0.03, 6);
  });

  it('prices secrets, nightly backups and customer managed keys', () => {
    const { byKey } = costOf(
      [resource('secret', {}), resource('s3-bucket', { holdsBackups: true, expirationDays: 35 }), resource('kms-key', {})],
      0,
    );
    expect(byKey('secretsmanager.secret')).toBeCloseTo(0.4, 6);
    expect(byKey('s3.standard.storage')).toBeCloseTo(35 * 0.3 * 0.023, 6);
    expect(byKey('kms.key')).toBeCloseTo(1, 6);
  });

  it('lists what it cannot quantify as unpriced', () => {
    const { estimate } = costOf(
      [
        resource('s3-bucket', { holdsBackups: false }, { id: 'Assets' }),
        resource('log-group', { carries: 'unknown' }, { id: 'Audit' }),
        resource('alarm', { metrics: 1, highResolution: true }, { id: 'Fast' }),
      ],
      0,
    );
    expect(estimate.unpriced.map((u) => u.id).sort()).toEqual(['Assets', 'Audit', 'Fast']);
  });
});
