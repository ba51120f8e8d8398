// Template discovery on the real synthesised stacks, and on a small edge-shaped app built here with
// the resource types the edge stage uses (Lambda with function URLs in two regions, a DynamoDB global
// table with a replica, CloudFront in front).
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { defaultRequestsPerTarget } from '../../lib/capacity-figures';
import { controlPlaneStacks, discoverResources, FREE_TYPES, type StageResources } from '../../lib/cost/discovery';
import type { Resource } from '../../lib/cost/resources/index';
import { estimateStage } from '../../lib/cost/estimate';
import { type StackTemplate, stacksOfStage } from '../../lib/cost/templates';
import { STAGE_IDS, type StageId } from '../../lib/stages';
import { input, synthesise } from './support';

const { stacks } = synthesise();
const stage = (name: StageId, from: StackTemplate[] = stacks) => discoverResources(name, stacksOfStage(name, from));
const only = <K extends Resource['kind']>(resources: StageResources, kind: K) =>
  resources.resources.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);

describe('discovery on the synthesised stages', () => {
  it('accounts for every resource of every template: read, free with a reason, or unpriced', () => {
    for (const name of STAGE_IDS) {
      const found = stage(name);
      const templates = stacksOfStage(name, stacks);
      const ids = new Set([
        ...found.resources.map((r) => `${r.stack}/${r.id}`),
        ...found.free.map((r) => `${r.stack}/${r.id}`),
        ...found.unpriced.map((r) => `${r.stack}/${r.id}`),
        // Aurora instances are read with their cluster.
        ...only(found, 'aurora-cluster').flatMap((c) => c.instances.map((i) => `${c.stack}/${i.id}`)),
      ]);
      const all = templates.flatMap((t) => Object.keys(t.template.Resources ?? {}).map((id) => `${t.stackName}/${id}`));
      expect([...ids].sort()).toEqual(all.sort());
      expect(found.unpriced).toEqual([]);
      // Free only by the table of free types, or as a custom resource (whose provider runs at deployment).
      for (const free of found.free) {
        expect(free.reason).toBe(
          free.type.startsWith('Custom::') ? 'a custom resource: its provider runs at deployment only' : FREE_TYPES[free.type],
        );
      }
    }
  });

  it('single-box: one t4g.small with detailed monitoring, its two gp3 volumes, an Elastic IP, a request metric filter, backups', () => {
    const found = stage('single-box');
    expect(only(found, 'ec2-instance')).toEqual([
      expect.objectContaining({
        instanceType: 't4g.small',
        detailedMonitoring: true,
        volumes: [
          { volumeType: 'gp3', sizeGiB: 8 },
          { volumeType: 'gp3', sizeGiB: 20 },
        ],
        autoAssignedPublicIp: false, // the Elastic IP replaces it
        compressesResponses: false, // no domain, no Caddy: the service answers port 80 itself
      }),
    ]);
    expect(only(found, 'elastic-ip')).toHaveLength(1);
    expect(only(found, 'metric-filter')).toEqual([expect.objectContaining({ namespace: 'Flagstack', metricName: 'RequestCount' })]);
    expect(only(found, 's3-bucket')).toEqual([expect.objectContaining({ holdsBackups: true, expirationDays: 35 })]);
    expect(
      only(found, 'log-group')
        .map((g) => g.carries)
        .sort(),
    ).toEqual(['flow-log', 'service']);
  });

  it('autoscaled: the Auto Scaling group with its bounds and request target, Aurora Serverless v2 behind the proxy, the ALB, CloudFront, NAT', () => {
    const found = stage('autoscaled');
    expect(only(found, 'auto-scaling-group')).toEqual([
      expect.objectContaining({
        instanceType: 't4g.micro',
        min: 2,
        max: 6,
        scaling: { requestsPerTargetPerMinute: defaultRequestsPerTarget(2) },
        // Two Node workers on the two vCPUs; a rolling refresh keeps both instances in service.
        workers: 2,
        rollingUpdateMinInService: 2,
        volumes: [{ volumeType: 'gp3', sizeGiB: 8 }],
      }),
    ]);
    const [cluster] = only(found, 'aurora-cluster');
    expect(cluster).toEqual(expect.objectContaining({ storageType: 'aurora', serverless: { min: 0.5, max: 4 } }));
    expect(cluster.instances.map((i) => [i.instanceClass, i.followsWriter])).toEqual([
      ['db.serverless', true],
      ['db.serverless', true],
    ]);
    expect(only(found, 'rds-proxy')).toEqual([expect.objectContaining({ targets: [cluster.id] })]);
    expect(only(found, 'load-balancer')).toEqual([
      expect.objectContaining({ loadBalancerType: 'application', internetFacing: true, subnets: 2, rules: 1 }),
    ]);
    expect(only(found, 'cloudfront')).toEqual([
      expect.objectContaining({
        priceClass: 'PriceClass_100',
        behaviors: [
          // Flag lists are cached with gzip and Brotli in the key, so CloudFront compresses them; CachingDisabled does not.
          { pathPattern: '/api/v1/flags/*', cached: true, compresses: true, lambdaEdge: [], cloudFrontFunctions: [] },
          { pathPattern: null, cached: false, compresses: false, lambdaEdge: [], cloudFrontFunctions: [] },
        ],
      }),
    ]);
    expect(only(found, 'nat-gateway')).toHaveLength(1);
    expect(only(found, 'elastic-ip')).toHaveLength(1); // the NAT gateway's
  });

  it('fargate: the Fargate service with its task size, architecture and bounds; RDS Multi-AZ; Container Insights', () => {
    const found = stage('fargate');
    expect(only(found, 'fargate-service')).toEqual([
      expect.objectContaining({
        cpu: 512,
        memoryMiB: 1024,
        architecture: 'arm64',
        desired: 2,
        min: 2,
        max: 10,
        scaling: { requestsPerTargetPerMinute: defaultRequestsPerTarget(0.5) },
        workers: 1,
        blueGreen: true,
      }),
    ]);
    expect(only(found, 'rds-instance')).toEqual([
      expect.objectContaining({ engine: 'postgres', instanceClass: 'db.t4g.medium', multiAz: true, storageGiB: 20, storageType: 'gp3' }),
    ]);
    expect(only(found, 'ecs-cluster')).toEqual([expect.objectContaining({ containerInsights: 'enabled', services: 1 })]);
    // 5xx rate (two metrics), p99 latency, database connections, failed publishes to the edge stage's table.
    expect(
      only(found, 'alarm')
        .map((a) => a.metrics)
        .sort(),
    ).toEqual([1, 1, 1, 2]);
  });
});

describe('the edge stage as built (Flagstack-Edge and its regional stacks)', () => {
  const found = stage('edge');

  it('finds the edge function in every edge region, the Lambda@Edge hasher, the router and the replicated table', () => {
    expect(found.stacks.map((s) => [s.name, s.region]).sort()).toEqual([
      ['Flagstack-Edge', 'us-east-1'],
      ['Flagstack-Edge-ap-southeast-1', 'ap-southeast-1'],
      ['Flagstack-Edge-eu-west-1', 'eu-west-1'],
    ]);
    const functions = only(found, 'lambda-function');
    expect(
      functions
        .filter((f) => f.serving)
        .map((f) => [f.region, f.memoryMiB, f.architecture, f.logRetentionDays])
        .sort(),
    ).toEqual([
      ['ap-southeast-1', 512, 'arm64', 30],
      ['eu-west-1', 512, 'arm64', 30],
      ['us-east-1', 512, 'arm64', 30],
    ]);
    expect(functions.filter((f) => f.edge).map((f) => [f.region, f.memoryMiB, f.architecture])).toEqual([['us-east-1', 128, 'x86_64']]);
    expect(only(found, 'dynamodb-table')).toEqual([
      expect.objectContaining({
        billingMode: 'PAY_PER_REQUEST',
        replicaRegions: expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-1']),
        // lib/constructs/edge-table.ts turns point-in-time recovery on, for every replica.
        pitrRegions: expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-1']),
      }),
    ]);
    expect(only(found, 'dynamodb-table')[0].pitrRegions).toHaveLength(3);
    const [distribution] = only(found, 'cloudfront');
    expect(distribution.priceClass).toBe('PriceClass_All');
    // CloudFront compresses the cached flag lists only; environment documents and identities pass uncompressed.
    const compressing = (path: string | null) => distribution.behaviors.find((b) => b.pathPattern === path)?.compresses;
    expect(compressing('/api/v1/flags/*')).toBe(true);
    expect(compressing('/api/v1/environment-document/*')).toBe(false);
    expect(compressing(null)).toBe(false);
    // The router runs on every behaviour; the hasher on the default one (identities, OFREP), at the origin.
    for (const behavior of distribution.behaviors)
      expect(behavior.cloudFrontFunctions).toEqual([{ eventType: 'viewer-request', functionId: expect.stringMatching(/^FrontRouter/) }]);
    expect(distribution.behaviors.at(-1)!.lambdaEdge).toEqual([
      { eventType: 'origin-request', functionId: expect.stringMatching(/^FrontContentHash/) },
    ]);
  });

  it('has the fargate stage as its control plane, found by the table name it publishes to', () => {
    const plane = controlPlaneStacks(stacksOfStage('edge', stacks), [
      ...stacksOfStage('fargate', stacks),
      ...stacksOfStage('autoscaled', stacks),
      ...stacksOfStage('single-box', stacks),
    ]);
    expect(plane?.stacks.map((s) => s.stackName)).toEqual(['Flagstack-Fargate']);
    expect(plane?.reason).toBe('Flagstack-Fargate publishes to the table flagstack-edge');
    const withPlane = { ...found, controlPlane: { reason: plane!.reason, resources: stage('fargate') } };
    const alone = estimateStage(found, 1e9, input());
    const both = estimateStage(withPlane, 1e9, input());
    // The control plane adds the fargate stage's cost with no SDK traffic, all of it fixed.
    expect(both.fixedUsd - alone.fixedUsd).toBeCloseTo(estimateStage(stage('fargate'), 0, input()).monthlyUsd, 1);
    expect(both.notes).toContain(
      'edge: includes its control plane, the fargate stage with no SDK traffic (Flagstack-Fargate publishes to the table flagstack-edge)',
    );
  });
});

describe('the estimate follows the stacks', () => {
  const { stacks: bigger } = synthesise({ fargateCpu: 1024, fargateMemoryMiB: 2048, fargateMinTasks: 3, multiAz: false });
  const monthly = (found: StageResources) => estimateStage(found, 0, input());

  it('a larger task, more tasks and a Single-AZ database change the estimate, with no change to the cost code', () => {
    const before = monthly(stage('fargate'));
    const after = monthly(stage('fargate', bigger));
    const usd = (estimate: typeof before, key: string) =>
      estimate.lines.filter((l) => l.priceKey === key).reduce((sum, l) => sum + l.usd, 0);
    expect(usd(before, 'fargate.vcpu:arm64')).toBeCloseTo(2 * 0.5 * 730 * 0.03238, 6);
    expect(usd(after, 'fargate.vcpu:arm64')).toBeCloseTo(3 * 1 * 730 * 0.03238, 6);
    expect(usd(after, 'fargate.memory:arm64')).toBeCloseTo(3 * 2 * 730 * 0.00356, 6);
    expect(usd(before, 'rds.postgres.instance:db.t4g.medium:multi-az')).toBeGreaterThan(0);
    expect(usd(after, 'rds.postgres.instance:db.t4g.medium:single-az')).toBeCloseTo(730 * 0.065, 6);
    expect(after.monthlyUsd).not.toBeCloseTo(before.monthlyUsd, 2);
  });

  it("with a domain, the single box's Caddy gzips every response: data out at the compressed sizes", () => {
    const { stacks: withDomain } = synthesise({ domainName: 'flags.example.com' });
    const box = stage('single-box', withDomain);
    expect(only(box, 'ec2-instance')).toEqual([expect.objectContaining({ compressesResponses: true })]);
    const out = (found: StageResources) =>
      estimateStage(found, 100e6, input())
        .lines.filter((l) => l.priceKey === 'data-transfer.internet-out')
        .reduce((sum, l) => sum + l.usd, 0);
    // 100M responses (flag lists and identities alike) at 1,250 bytes gzipped = 125 GB; uncompressed, 5,800 bytes = 580 GB.
    expect(out(box)).toBeCloseTo(125 * 0.09, 6);
    expect(out(stage('single-box'))).toBeCloseTo(580 * 0.09, 6);
  });

  it('lists a resource type it does not know as unpriced', () => {
    const app = new App();
    const test = new Stack(app, 'Flagstack-Fargate', { env: { account: '123456789012', region: 'us-east-1' } });
    new CfnResource(test, 'Firewall', {
      type: 'AWS::WAFv2::WebACL',
      properties: {
        Scope: 'CLOUDFRONT',
        DefaultAction: { Allow: {} },
        VisibilityConfig: { CloudWatchMetricsEnabled: false, MetricName: 'firewall', SampledRequestsEnabled: false },
      },
    });
    const template = app.synth().getStackByName('Flagstack-Fargate').template;
    const found = discoverResources('fargate', [{ stackName: 'Flagstack-Fargate', region: 'us-east-1', template }]);
    expect(found.unpriced).toEqual([
      {
        stage: 'fargate',
        stack: 'Flagstack-Fargate',
        id: 'Firewall',
        type: 'AWS::WAFv2::WebACL',
        reason: 'no price model for this resource type',
      },
    ]);
    expect(estimateStage(found, 1e6, input()).unpriced).toHaveLength(1);
  });
});

describe('edge-shaped stacks: Lambda function URLs in two regions, a DynamoDB global table, CloudFront', () => {
  const app = new App();
  const env = (region: string) => ({ account: '123456789012', region });
  const handler = (stack: Stack) => {
    const fn = new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
      timeout: Duration.seconds(5),
    });
    return fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
  };
  const home = new Stack(app, 'Flagstack-Edge', { env: env('us-east-1') });
  new dynamodb.TableV2(home, 'Documents', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    replicas: [{ region: 'eu-west-2' }],
  });
  const url = handler(home);
  const flags = new cloudfront.CachePolicy(home, 'Flags', {
    defaultTtl: Duration.seconds(5),
    maxTtl: Duration.seconds(5),
    minTtl: Duration.seconds(0),
  });
  // Lambda@Edge on the behaviour that carries identity bodies (in us-east-1, so in the same stack).
  const bodyHash = new cloudfront.experimental.EdgeFunction(home, 'BodyHash', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (event) => event.Records[0].cf.request'),
  });
  new cloudfront.Distribution(home, 'Cdn', {
    defaultBehavior: { origin: new origins.FunctionUrlOrigin(url), cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED },
    additionalBehaviors: {
      '/api/v1/flags/*': { origin: new origins.FunctionUrlOrigin(url), cachePolicy: flags },
      '/api/v1/identities/*': {
        origin: new origins.FunctionUrlOrigin(url),
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        edgeLambdas: [
          { functionVersion: bodyHash.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST, includeBody: true },
        ],
      },
    },
    priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
  });
  const london = new Stack(app, 'Flagstack-Edge-eu-west-2', { env: env('eu-west-2') });
  handler(london);
  const assembly = app.synth();
  const templates = ['Flagstack-Edge', 'Flagstack-Edge-eu-west-2'].map((name) => {
    const artifact = assembly.getStackByName(name);
    return { stackName: name, region: artifact.environment.region, template: artifact.template };
  });
  const found = discoverResources('edge', stacksOfStage('edge', templates));

  it('finds the serving functions with their memory, architecture and region, and the table replicas', () => {
    expect(found.unpriced).toEqual([]);
    expect(
      only(found, 'lambda-function')
        .filter((f) => f.serving)
        .map((f) => [f.region, f.memoryMiB, f.architecture]),
    ).toEqual([
      ['us-east-1', 1024, 'arm64'],
      ['eu-west-2', 1024, 'arm64'],
    ]);
    expect(only(found, 'dynamodb-table')).toEqual([
      expect.objectContaining({ billingMode: 'PAY_PER_REQUEST', replicaRegions: expect.arrayContaining(['us-east-1', 'eu-west-2']) }),
    ]);
    const [distribution] = only(found, 'cloudfront');
    expect(distribution.priceClass).toBe('PriceClass_All');
    // A cache policy without gzip or Brotli in its key: CloudFront caches the flag lists but does not compress them.
    expect(distribution.behaviors.map((b) => [b.pathPattern, b.cached, b.compresses])).toEqual([
      ['/api/v1/flags/*', true, false],
      ['/api/v1/identities/*', false, false],
      [null, false, false],
    ]);
    const edgeFunctions = only(found, 'lambda-function').filter((f) => f.edge);
    expect(edgeFunctions.map((f) => f.id)).toEqual([expect.stringMatching(/^BodyHash/)]);
    expect(distribution.behaviors[1].lambdaEdge).toEqual([{ eventType: 'origin-request', functionId: edgeFunctions[0].id }]);
    expect(found.free.filter((f) => f.type === 'AWS::Lambda::Url')).toHaveLength(2);
  });

  it('prices invocations and duration in each function region, and table traffic in both replicas', () => {
    const estimate = estimateStage(found, 300e6, input());
    const regions = (prefix: string) =>
      [...new Set(estimate.lines.filter((l) => l.priceKey.startsWith(prefix)).map((l) => l.priceRegion))].sort();
    expect(regions('lambda.requests')).toEqual(['eu-west-2', 'us-east-1']);
    expect(regions('lambda.duration:arm64')).toEqual(['eu-west-2', 'us-east-1']);
    expect(regions('dynamodb.read')).toEqual(['eu-west-2', 'us-east-1']);
    expect(regions('dynamodb.replicated-write')).toEqual(['eu-west-2', 'us-east-1']);
    // 300M requests: 90M identities plus half of 210M flag lists miss the cache = 195M invocations.
    const invocations = estimate.lines.filter((l) => l.priceKey === 'lambda.requests').reduce((sum, l) => sum + l.quantity, 0);
    expect(invocations).toBeCloseTo(195, 6);
    expect(estimate.byService['AWS Lambda']?.fixedUsd).toBe(0);
    // Every identity request passes the Lambda@Edge function on its way to the origin.
    const edgeInvocations = estimate.lines.filter((l) => l.priceKey === 'lambda-edge.requests').reduce((sum, l) => sum + l.quantity, 0);
    expect(edgeInvocations).toBeCloseTo(90, 6);
    // Flat-rate plans cannot run Lambda@Edge; a WAF would cost $5 + 5 rules × $1 + 300M × $0.60 per million = $190.
    expect(estimate.notes).toEqual([
      expect.stringMatching(
        /^edge at 300M requests\/month, CloudFront Cdn\w+: pay-as-you-go \(\$[\d,.]+ for requests, data out and CloudFront Functions\): flat-rate plans do not support Lambda@Edge, which its behaviours run \(BodyHash\w+\); a WAF web ACL on it would add \$190 a month \(web ACL \$5\.00, rules \$5\.00, requests inspected \$180; 5 rules\)$/,
      ),
    ]);
  });
});
