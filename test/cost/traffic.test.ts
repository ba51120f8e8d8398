// Traffic the model prices beside flag lists and identities (server SDKs polling the environment
// document), the lines that were missing (origin-bound request bytes, point-in-time recovery,
// replication between regions), CloudFront's flat-rate plans against pay-as-you-go, the WAF option,
// and price overrides. Every expected figure is worked out by hand from the us-east-1 and eu-west-2
// tables (a month is 2,628,000 seconds).
import { estimateStage } from '../../lib/cost/estimate';
import { allPriceKeys } from '../../lib/cost/prices';
import { overriddenPrice, validatePriceOverrides } from '../../lib/cost/prices/overrides';
import { priceTable } from '../../lib/cost/prices';
import { SERVICES } from '../../lib/cost/usage';
import { cdn, costOf, input, resource, stageOf } from './support';

const box = (compressesResponses: boolean) =>
  resource('ec2-instance', {
    instanceType: 't4g.small',
    detailedMonitoring: false,
    volumes: [{ volumeType: 'gp3', sizeGiB: 8 }],
    autoAssignedPublicIp: false,
    compressesResponses,
  });
const frontDoor = () => cdn('PriceClass_100', ['/api/v1/flags/*'], { id: 'Cdn' });
const lines = (estimate: ReturnType<typeof estimateStage>, key: string) => estimate.lines.filter((l) => l.priceKey.startsWith(key));

describe('server SDKs in local-evaluation mode', () => {
  // 100 SDK instances polling every 60 s: 100 × 2,628,000 / 60 = 4,380,000 polls a month.
  const polling = { serverSdks: 100, pollSeconds: 60 };

  it('their polls reach CloudFront and the origin on top of the volume, documents uncompressed where the behaviour does not compress', () => {
    const { byKey, estimate } = costOf([frontDoor()], 10e6, { profile: polling });
    // 14.38M requests: 65% in North America, 35% in Europe.
    expect(byKey('cloudfront.requests.https:north-america')).toBeCloseTo(934.7 * 0.01, 6);
    expect(byKey('cloudfront.requests.https:europe')).toBeCloseTo(503.3 * 0.012, 6);
    // 7M flag lists compressed (8.75 GB), 3M identity responses (17.4 GB), 4.38M documents whole
    // (the default behaviour caches nothing, so CloudFront does not compress them): 9,600 bytes = 42.048 GB.
    expect(byKey('cloudfront.data-out')).toBeCloseTo((8.75 + 17.4 + 42.048) * 0.085, 6);
    // To the origin: 3.5M flag-list misses, 3M identities and 4.38M polls × 400 header bytes, and 3M × 150 body bytes.
    expect(byKey('cloudfront.origin-out')).toBeCloseTo((10.88 * 0.4 + 0.45) * 0.02, 6);
    expect(estimate.notes).toContain(
      'test: 100 server SDKs in local-evaluation mode poll the environment document every 60 s: 4.38M requests a month besides the 10M',
    );
    // The polls do not grow with the volume: they are part of the fixed cost.
    expect(estimate.byService['Amazon CloudFront']!.fixedUsd).toBeCloseTo(
      438 * 0.65 * 0.01 + 438 * 0.35 * 0.012 + 42.048 * 0.085 + 4.38 * 0.4 * 0.02,
      6,
    );
  });

  it("the single box's Caddy sends the documents gzipped", () => {
    // Polls alone: 4.38M documents, 2,650 bytes gzipped = 11.607 GB; 9,600 bytes whole = 42.048 GB.
    expect(costOf([box(true)], 0, { profile: polling }).byKey('data-transfer.internet-out')).toBeCloseTo(11.607 * 0.09, 6);
    expect(costOf([box(false)], 0, { profile: polling }).byKey('data-transfer.internet-out')).toBeCloseTo(42.048 * 0.09, 6);
  });

  it('each poll invokes a serving function, and the load balancer processes the documents', () => {
    const fn = resource('lambda-function', { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 });
    expect(costOf([fn], 0, { profile: polling }).quantity('lambda.requests')).toBeCloseTo(4.38, 6);
    const alb = resource('load-balancer', { loadBalancerType: 'application', internetFacing: true, subnets: 2, rules: 1 });
    // 100 SDKs every 60 s: 1.6667 polls a second × (9,600 + 400) bytes × 3,600 s = 0.06 GB an hour = 0.06 LCU.
    expect(costOf([alb], 0, { profile: polling }).quantity('elb.alb.lcu')).toBeCloseTo(0.06 * 730, 6);
  });
});

describe('lines that were missing', () => {
  it('CloudFront bills the request headers of every GET it sends the origin, not only identity bodies', () => {
    // 100M requests, flag lists cached at 50%: 35M + 30M reach the origin × 400 bytes = 26 GB, plus 4.5 GB of bodies.
    expect(costOf([frontDoor()], 100e6).byKey('cloudfront.origin-out')).toBeCloseTo(30.5 * 0.02, 6);
    // Flag lists only, none cached: 100M GETs × 400 bytes = 40 GB.
    expect(costOf([cdn('PriceClass_100', [])], 100e6, { profile: { identityShare: 0 } }).byKey('cloudfront.origin-out')).toBeCloseTo(
      40 * 0.02,
      6,
    );
  });

  it('a global table with point-in-time recovery pays for continuous backups in each replica, and for sending each write to the other replicas', () => {
    const table = resource('dynamodb-table', {
      billingMode: 'PAY_PER_REQUEST',
      replicaRegions: ['us-east-1', 'eu-west-2'],
      pitrRegions: ['us-east-1', 'eu-west-2'],
    });
    const functions = ['us-east-1', 'eu-west-2'].map((region) =>
      resource(
        'lambda-function',
        { memoryMiB: 1024, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { region, id: `Fn-${region}` },
      ),
    );
    const { estimate } = costOf([table, ...functions], 100e6, { profile: { viewerShares: { 'north-america': 0.5, europe: 0.5 } } });
    const usd = (key: string, region: string) =>
      estimate.lines.filter((l) => l.priceKey === key && l.priceRegion === region).reduce((sum, l) => sum + l.usd, 0);
    // 1 GB of data: $0.20 a GB-month in us-east-1, $0.2376 in eu-west-2.
    expect(usd('dynamodb.pitr', 'us-east-1')).toBeCloseTo(0.2, 6);
    expect(usd('dynamodb.pitr', 'eu-west-2')).toBeCloseTo(0.2376, 6);
    // 3M trait writes, 1.5M made in each region, each sent to the one other replica: 1.5M × 1,000 bytes = 1.5 GB at $0.02.
    expect(usd('data-transfer.inter-region', 'us-east-1')).toBeCloseTo(1.5 * 0.02, 6);
    expect(usd('data-transfer.inter-region', 'eu-west-2')).toBeCloseTo(1.5 * 0.02, 6);
    // Without point-in-time recovery, no backup line.
    const plain = resource('dynamodb-table', { billingMode: 'PAY_PER_REQUEST', replicaRegions: ['us-east-1'], pitrRegions: [] });
    expect(costOf([plain], 100e6).byKey('dynamodb.pitr')).toBe(0);
  });
});

describe('CloudFront flat-rate plans beside pay-as-you-go', () => {
  const noFree = { freeTier: false };

  it('chooses the cheapest plan that covers the month when it costs less, and says why', () => {
    // 5M requests of 100 KB each: requests 3.25M × $0.01 + 1.75M × $0.012 per 10,000 = $5.35, data out 500 GB × $0.085 = $42.50:
    // $47.85 pay-as-you-go against the Pro plan's $15 (10M requests, 50 TB).
    const heavy = { meanResponseBytes: 100_000, compressedResponseBytes: 100_000 };
    const { estimate, byKey } = costOf([frontDoor()], 5e6, { ...noFree, profile: heavy });
    expect(lines(estimate, 'cloudfront.requests')).toEqual([]);
    expect(lines(estimate, 'cloudfront.data-out')).toEqual([]);
    expect(lines(estimate, 'cloudfront.flat-rate')).toEqual([
      expect.objectContaining({
        priceKey: 'cloudfront.flat-rate:pro',
        usd: 15,
        what: 'Pro flat-rate plan: 5M requests and 500 GB fit its allowances; pay-as-you-go would cost $47.85',
      }),
    ]);
    // What a plan does not bundle stays: origin-bound bytes, 1.75M + 1.5M requests × 400 bytes + 1.5M × 150 bytes = 1.525 GB.
    expect(byKey('cloudfront.origin-out')).toBeCloseTo(1.525 * 0.02, 6);
    expect(estimate.monthlyUsd).toBeCloseTo(15 + 1.525 * 0.02, 6);
    expect(estimate.notes).toEqual([
      'test at 5M requests/month, CloudFront Cdn: the Pro flat-rate plan ($15.00: 10M requests and 50 TB a month), not pay-as-you-go: ' +
        '5M requests and 500 GB fit its allowances; pay-as-you-go would cost $47.85; its plan includes a WAF web ACL',
    ]);
  });

  it('the Free plan when a small month would cost anything pay-as-you-go', () => {
    // 800K requests without the always-free allowances: $0.52 + $0.336 of requests and 2.092 GB of data out ($0.178).
    const { estimate } = costOf([frontDoor()], 0.8e6, noFree);
    expect(lines(estimate, 'cloudfront.flat-rate')).toEqual([expect.objectContaining({ priceKey: 'cloudfront.flat-rate:free', usd: 0 })]);
    expect(estimate.notes[0]).toMatch(
      /the Free flat-rate plan \(\$0\.00: 1M requests and 100 GB a month\), not pay-as-you-go: .* would cost \$1\.03;/,
    );
  });

  it('stays pay-as-you-go when that is cheaper, or no plan covers the month, and marks its lines', () => {
    // 50M requests: $32.50 + $21.00 of requests, 43.75 + 87 GB of data out ($11.11): $64.61 against Business at $200.
    const cheaper = costOf([frontDoor()], 50e6, noFree).estimate;
    expect(lines(cheaper, 'cloudfront.flat-rate')).toEqual([]);
    expect(cheaper.notes[0]).toMatch(
      /^test at 50M requests\/month, CloudFront Cdn: pay-as-you-go \(\$64\.61 for requests, data out and CloudFront Functions\): cheaper than the Business flat-rate plan \(\$200: 125M requests and 50 TB a month\), which would cover 50M requests and 131 GB;/,
    );
    expect(lines(cheaper, 'cloudfront.requests').map((l) => l.what)).toEqual([
      'HTTPS requests, north-america (pay-as-you-go)',
      'HTTPS requests, europe (pay-as-you-go)',
    ]);
    const over = costOf([frontDoor()], 600e6, noFree).estimate;
    expect(over.notes[0]).toMatch(
      /pay-as-you-go .*: no flat-rate plan covers 600M requests and 1\.57 TB \(Premium: 500M requests and 50 TB\)/,
    );
  });

  it('never for a distribution running Lambda@Edge', () => {
    const hasher = resource(
      'lambda-function',
      { memoryMiB: 128, architecture: 'x86_64', serving: false, edge: true, logRetentionDays: 30 },
      { id: 'Hash' },
    );
    const distribution = resource(
      'cloudfront',
      {
        priceClass: 'PriceClass_100',
        behaviors: [
          {
            pathPattern: null,
            cached: false,
            compresses: false,
            lambdaEdge: [{ eventType: 'origin-request', functionId: 'Hash' }],
            cloudFrontFunctions: [],
          },
        ],
      },
      { id: 'Cdn' },
    );
    const heavy = { meanResponseBytes: 100_000, compressedResponseBytes: 100_000 };
    const { estimate } = costOf([distribution, hasher], 5e6, { ...noFree, profile: heavy });
    expect(lines(estimate, 'cloudfront.flat-rate')).toEqual([]);
    expect(estimate.notes[0]).toMatch(/pay-as-you-go .*: flat-rate plans do not support Lambda@Edge, which its behaviours run \(Hash\)/);
  });

  it('notes what a WAF web ACL would add on a pay-as-you-go distribution', () => {
    // $5 for the web ACL, 5 rules at $1, 600M requests at $0.60 per million: $370.
    expect(costOf([frontDoor()], 600e6).estimate.notes[0]).toMatch(
      /a WAF web ACL on it would add \$370 a month \(web ACL \$5\.00, rules \$5\.00, requests inspected \$360; 5 rules\)$/,
    );
  });

  it('marks the plan prices as from secondary sources', () => {
    for (const plan of ['free', 'pro', 'business', 'premium']) {
      const price = priceTable('us-east-1').get(`cloudfront.flat-rate:${plan}`);
      expect(price.verified).toBe(false);
      expect(price.source).toMatch(/secondary sources/);
    }
    expect(priceTable('us-east-1').get('cloudfront.flat-rate:business').usd).toBe(200);
  });
});

describe('price overrides (--prices)', () => {
  const keys = allPriceKeys();
  const validate = (file: unknown) => validatePriceOverrides(file, SERVICES, keys);

  it('rejects a file naming the bad path', () => {
    expect(() => validate({ discounts: { services: { 'Amazon CloudFrnt': 10 } } })).toThrow(
      /^\/discounts\/services\/Amazon CloudFrnt: not a service the report groups by/,
    );
    expect(() => validate({ privatePrices: { 'cloudfront.data-out:mars': 0.01 } })).toThrow(
      '/privatePrices/cloudfront.data-out:mars: no price of that key in any table',
    );
    expect(() => validate({ discounts: { prices: { 'ec2.instance:t4g.small': 150 } } })).toThrow(
      /\/discounts\/prices\/ec2\.instance:t4g\.small: Expected number to be less or equal to 100/,
    );
    expect(() => validate({ savingsPlan: { percent: 20 } })).toThrow(/\/savingsPlan/);
    expect(() => validate({ discount: {} })).toThrow(/\/discount/);
  });

  it('applies a private price, then a discount by price key over one by service, and a savings plan on compute', () => {
    const overrides = validate({
      discounts: { services: { 'Amazon EC2': 50, 'Amazon EBS': 20 }, prices: { 'ebs.gp3.storage': 10 } },
      privatePrices: { 'data-transfer.internet-out': 0.05 },
      savingsPlan: { computePercent: 20 },
    });
    const { byKey, estimate } = costOf([box(false)], 100e6, { overrides });
    // The instance: 730 h × $0.0168, half off for EC2, then 20% off for the savings plan.
    expect(byKey('ec2.instance:t4g.small')).toBeCloseTo(730 * 0.0168 * 0.5 * 0.8, 6);
    // The volume: the price key's 10%, not the service's 20%.
    expect(byKey('ebs.gp3.storage')).toBeCloseTo(8 * 0.08 * 0.9, 6);
    // 580 GB out at the private $0.05, tiers gone.
    expect(byKey('data-transfer.internet-out')).toBeCloseTo(580 * 0.05, 6);
    expect(lines(estimate, 'ec2.instance')[0].overrides).toEqual(['discount on Amazon EC2: 50%', 'Compute Savings Plan: 20%']);
    // A savings plan covers Lambda duration, not its requests, nor Lambda@Edge.
    const duration = priceTable('us-east-1').get('lambda.duration:arm64');
    expect(overriddenPrice(duration, 'lambda.duration:arm64', 'AWS Lambda', overrides).price.usd).toBeCloseTo(0.0000133334 * 0.8, 12);
    expect(overriddenPrice(priceTable('us-east-1').get('lambda.requests'), 'lambda.requests', 'AWS Lambda', overrides).applied).toEqual([]);
  });

  it('compares pay-as-you-go and the plans at the overridden prices', () => {
    // The heavy month of the Pro-plan test with data out 80% off: $5.35 + $42.50 × 0.2 = $13.85, under Pro's $15.
    const overrides = validate({ discounts: { prices: { 'cloudfront.data-out:north-america': 80, 'cloudfront.data-out:europe': 80 } } });
    const heavy = { meanResponseBytes: 100_000, compressedResponseBytes: 100_000 };
    const { estimate } = costOf([frontDoor()], 5e6, { freeTier: false, overrides, profile: heavy });
    expect(lines(estimate, 'cloudfront.flat-rate')).toEqual([]);
    expect(estimate.notes[0]).toMatch(
      /pay-as-you-go \(\$13\.85 for requests, data out and CloudFront Functions\): cheaper than the Pro flat-rate plan/,
    );
    // And a private price on a plan counts: Pro at $10 beats $13.85.
    const privatePro = validate({ ...overrides, privatePrices: { 'cloudfront.flat-rate:pro': 10 } });
    const pro = costOf([frontDoor()], 5e6, { freeTier: false, overrides: privatePro, profile: heavy }).estimate;
    expect(lines(pro, 'cloudfront.flat-rate')).toEqual([
      expect.objectContaining({
        priceKey: 'cloudfront.flat-rate:pro',
        usd: 10,
        overrides: ['private price cloudfront.flat-rate:pro: $10'],
      }),
    ]);
    expect(estimateStage(stageOf([frontDoor()]), 5e6, input()).notes[0]).toMatch(/pay-as-you-go/);
  });
});
