// Live mode against aws-sdk-client-mock: GetMetricData pagination, period rules, missing data and
// throttling; ECS DescribeServices/DescribeTaskDefinition; CloudFormation stacks and credentials.
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { fetchMetricSums, periodFor } from '../../lib/cost/live/cloudwatch';
import { describeRunningService } from '../../lib/cost/live/ecs';
import { CredentialsError, LiveError } from '../../lib/cost/live/errors';
import { measureStage, sdkClients } from '../../lib/cost/live/measure';
import { withRetry } from '../../lib/cost/live/retry';
import { describeDeployedStack } from '../../lib/cost/live/stacks';
import { DEFAULT_CAPACITY } from '../../lib/capacity-figures';
import { trafficProfile } from '../../lib/cost/profile';
import { stageUsage } from '../../lib/cost/usage';
import { cdn, resource } from './support';

const cloudWatch = mockClient(CloudWatchClient);
const cloudFormation = mockClient(CloudFormationClient);
const ecs = mockClient(ECSClient);
beforeEach(() => {
  cloudWatch.reset();
  cloudFormation.reset();
  ecs.reset();
});

const DAY = 86_400_000;
const now = new Date('2026-11-20T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);
const query = { id: 'q0', namespace: 'AWS/CloudFront', metricName: 'Requests', dimensions: { DistributionId: 'E123', Region: 'Global' } };
const noWait = { sleep: async () => {} };
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

describe('CloudWatch period rules', () => {
  it.each([
    ['2 hours', 2 / 24, 60],
    ['10 days (1-minute data, 14,400 points → 3-minute periods)', 10, 180],
    ['14 days (multiples of 60 s; under 5,000 points a metric)', 14, 300],
    ['20 days (older than 15: multiples of 300 s)', 20, 600],
    ['90 days (older than 63: multiples of 3,600 s)', 90, 3600],
  ])('a window starting %s ago', (_, days, period) => {
    const chosen = periodFor(daysAgo(days), now, now);
    expect(chosen).toBe(period);
    const age = days * 86400;
    expect(chosen % (age > 63 * 86400 ? 3600 : age > 15 * 86400 ? 300 : 60)).toBe(0);
  });

  it('uses the rule of the start, not the length: one day of data from 16 days ago needs 300 s', () => {
    expect(periodFor(daysAgo(16), daysAgo(15), now)).toBe(300);
  });

  it('asks GetMetricData for that period, over a window aligned to it', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'q0', Values: [5], Timestamps: [now] }] });
    await fetchMetricSums(new CloudWatchClient({ region: 'us-east-1' }), [query], { start: daysAgo(30), end: now, now });
    const sent = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input as GetMetricDataCommandInput;
    const period = sent.MetricDataQueries![0].MetricStat!.Period!;
    expect(period).toBe(600);
    expect(sent.MetricDataQueries![0].MetricStat).toEqual(
      expect.objectContaining({
        Stat: 'Sum',
        Metric: {
          Namespace: 'AWS/CloudFront',
          MetricName: 'Requests',
          Dimensions: [
            { Name: 'DistributionId', Value: 'E123' },
            { Name: 'Region', Value: 'Global' },
          ],
        },
      }),
    );
    expect(sent.StartTime!.getTime() % (period * 1000)).toBe(0);
    expect(sent.EndTime!.getTime() % (period * 1000)).toBe(0);
  });
});

describe('GetMetricData', () => {
  it('follows NextToken through every page and sums the values', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'q0', Values: [100, 200], Timestamps: [daysAgo(2), daysAgo(1)], StatusCode: 'PartialData' }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'q0', Values: [300], Timestamps: [now], StatusCode: 'Complete' }] });
    const result = await fetchMetricSums(new CloudWatchClient({ region: 'us-east-1' }), [query], { start: daysAgo(14), end: now, now });
    expect(result.sums.get('q0')).toEqual({ sum: 600, datapoints: 3 });
    const calls = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(calls.map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(result.metricsRequested).toBe(2);
  });

  it('splits more than 500 queries over several calls', async () => {
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((q) => ({ Id: q.Id, Values: [1], Timestamps: [now] })),
    }));
    const queries = Array.from({ length: 501 }, (_, i) => ({ ...query, id: `q${i}` }));
    const result = await fetchMetricSums(new CloudWatchClient({ region: 'us-east-1' }), queries, { start: daysAgo(1), end: now, now });
    expect(cloudWatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.MetricDataQueries!.length)).toEqual([500, 1]);
    expect([...result.sums.values()].every((sum) => sum.sum === 1)).toBe(true);
  });

  it('retries a throttled call with growing backoff, then succeeds', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ MetricDataResults: [{ Id: 'q0', Values: [7], Timestamps: [now] }] });
    const waits: number[] = [];
    const result = await fetchMetricSums(
      new CloudWatchClient({ region: 'us-east-1' }),
      [query],
      { start: daysAgo(1), end: now, now },
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
        random: () => 1,
        baseDelayMs: 100,
      },
    );
    expect(result.sums.get('q0')!.sum).toBe(7);
    expect(waits).toEqual([100, 200]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(3);
  });

  it('gives up after the last attempt, and never retries an error that is not throttling', async () => {
    cloudWatch.on(GetMetricDataCommand).rejects(throttled());
    await expect(
      withRetry(() => new CloudWatchClient({ region: 'us-east-1' }).send(new GetMetricDataCommand({} as never)), {
        attempts: 4,
        ...noWait,
      }),
    ).rejects.toThrow('Rate exceeded');
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(4);

    cloudWatch.reset();
    cloudWatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('bad query'), { name: 'InvalidParameterValueException' }));
    await expect(
      fetchMetricSums(new CloudWatchClient({ region: 'us-east-1' }), [query], { start: daysAgo(1), end: now, now }, noWait),
    ).rejects.toThrow('bad query');
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('reports a metric it may not read, naming it', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'q0', StatusCode: 'Forbidden', Values: [], Timestamps: [] }] });
    await expect(
      fetchMetricSums(new CloudWatchClient({ region: 'us-east-1' }), [query], { start: daysAgo(1), end: now, now }),
    ).rejects.toThrow('GetMetricData could not read AWS/CloudFront Requests (DistributionId=E123, Region=Global): Forbidden');
  });
});

describe('ECS', () => {
  it('reads the running task count and the task size of its task definition', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ runningCount: 3, desiredCount: 3, taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/service:7' }],
      failures: [],
    });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/service:7' }).resolves({
      taskDefinition: { cpu: '1024', memory: '2048', runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } },
    });
    const running = await describeRunningService(new ECSClient({ region: 'us-east-1' }), 'cluster', 'service', noWait);
    expect(running).toEqual({
      runningCount: 3,
      desiredCount: 3,
      cpu: 1024,
      memoryMiB: 2048,
      architecture: 'arm64',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/service:7',
    });
    expect(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input).toEqual({ cluster: 'cluster', services: ['service'] });
  });

  it('names a service ECS does not know', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/cluster/gone', reason: 'MISSING' }] });
    await expect(describeRunningService(new ECSClient({ region: 'us-east-1' }), 'cluster', 'gone', noWait)).rejects.toThrow(
      'ECS service gone in cluster cluster was not found (MISSING)',
    );
  });

  it('retries a throttled DescribeServices', async () => {
    ecs
      .on(DescribeServicesCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves({ services: [{ runningCount: 1, taskDefinition: 'td' }] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { cpu: '256', memory: '512' } });
    await expect(describeRunningService(new ECSClient({ region: 'us-east-1' }), 'c', 's', noWait)).resolves.toEqual(
      expect.objectContaining({ runningCount: 1, architecture: 'x86_64' }),
    );
  });
});

describe('CloudFormation and credentials', () => {
  it('names a stack that is not deployed', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Flagstack-Edge does not exist'), { name: 'ValidationError' }));
    const attempt = describeDeployedStack(new CloudFormationClient({ region: 'eu-west-2' }), 'Flagstack-Edge', 'eu-west-2', noWait);
    await expect(attempt).rejects.toThrow(LiveError);
    await expect(attempt).rejects.toThrow('stack Flagstack-Edge is not deployed in eu-west-2');
  });

  it('says what to do without credentials', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const attempt = describeDeployedStack(new CloudFormationClient({ region: 'us-east-1' }), 'Flagstack-Fargate', 'us-east-1', noWait);
    await expect(attempt).rejects.toThrow(CredentialsError);
    await expect(attempt).rejects.toThrow(/no AWS credentials while describing stack Flagstack-Fargate in us-east-1: set AWS_PROFILE/);
  });

  it('collects physical ids across ListStackResources pages', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'S',
          CreationTime: daysAgo(3),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [{ OutputKey: 'ServiceUrl', OutputValue: 'https://x' }],
        },
      ],
    });
    cloudFormation
      .on(ListStackResourcesCommand)
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'A',
            PhysicalResourceId: 'a-1',
            ResourceType: 'T',
            LastUpdatedTimestamp: now,
            ResourceStatus: 'CREATE_COMPLETE',
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'B',
            PhysicalResourceId: 'b-1',
            ResourceType: 'T',
            LastUpdatedTimestamp: now,
            ResourceStatus: 'CREATE_COMPLETE',
          },
        ],
      });
    const stack = await describeDeployedStack(new CloudFormationClient({ region: 'us-east-1' }), 'S', 'us-east-1', noWait);
    expect([...stack.physicalIds]).toEqual([
      ['A', 'a-1'],
      ['B', 'b-1'],
    ]);
    expect(stack.outputs).toEqual({ ServiceUrl: 'https://x' });
  });
});

describe('measuring a deployed stage', () => {
  const fargateStage = {
    stage: 'fargate',
    stacks: [{ name: 'Flagstack-Fargate', region: 'us-east-1' }],
    resources: [
      cdn('PriceClass_100', ['/api/v1/flags/*'], { id: 'Cdn', stack: 'Flagstack-Fargate' }),
      resource(
        'load-balancer',
        { loadBalancerType: 'application', internetFacing: true, subnets: 2, rules: 1 },
        { id: 'Alb', stack: 'Flagstack-Fargate' },
      ),
      resource('ecs-cluster', { containerInsights: 'enabled', services: 1 }, { id: 'Cluster', stack: 'Flagstack-Fargate' }),
      resource(
        'fargate-service',
        { clusterId: 'Cluster', cpu: 512, memoryMiB: 1024, architecture: 'arm64', desired: 2, min: 2, max: 10 },
        { id: 'Service', stack: 'Flagstack-Fargate' },
      ),
    ],
    free: [],
    unpriced: [],
  };
  const deployed = (createdDaysAgo: number) => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'Flagstack-Fargate', CreationTime: daysAgo(createdDaysAgo), StackStatus: 'CREATE_COMPLETE' }] });
    cloudFormation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        ['Cdn', 'E2EXAMPLE'],
        ['Alb', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/Flags-Alb/50dc6c495c0c9188'],
        ['Cluster', 'flagstack-cluster'],
        ['Service', 'arn:aws:ecs:us-east-1:123456789012:service/flagstack-cluster/flagstack-service'],
      ].map(([logical, physical]) => ({
        LogicalResourceId: logical,
        PhysicalResourceId: physical,
        ResourceType: 'T',
        LastUpdatedTimestamp: now,
        ResourceStatus: 'CREATE_COMPLETE',
      })),
    });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 4, taskDefinition: 'td:9' }] });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: { cpu: '1024', memory: '2048', runtimePlatform: { cpuArchitecture: 'ARM64' } } });
  };
  const metrics = (values: Record<string, number[]>) =>
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((q) => {
        const found = values[q.MetricStat!.Metric!.MetricName!] ?? [];
        return { Id: q.Id, Values: found, Timestamps: found.map(() => now) };
      }),
    }));
  const options = {
    clients: sdkClients(),
    window: { seconds: 14 * 86400, label: '14d' },
    now,
    regionOf: (region: string) => region,
    retry: noWait,
  };

  it('extrapolates the window to a month, and measures the response size, the cache hit ratio and the running tasks', async () => {
    deployed(30);
    // 1.4M viewer requests in 14 days, 70% of them GETs of 5,000 bytes; 65% reach the load balancer; 3 tasks.
    metrics({
      Requests: [700_000, 700_000],
      BytesDownloaded: [2.45e9, 2.45e9],
      RequestCount: [910_000],
      ProcessedBytes: [9.1e9],
      RunningTaskCount: [3, 3],
    });
    const measured = await measureStage(fargateStage, trafficProfile({ identityShare: 0.3 }), options);
    expect(measured.measurement.requestsInWindow).toBe(1_400_000);
    expect(measured.measurement.requestsPerMonth).toBeCloseTo((1_400_000 / (14 * 86400)) * 2_628_000, 3);
    expect(measured.profile.meanResponseBytes).toBeCloseTo(5000, 9);
    // BytesDownloaded is what viewers received, compressed or not: every response is priced at it.
    expect(measured.profile.compressedResponseBytes).toBeCloseTo(5000, 9);
    // 65% reach the origin with 30% identities: half of the flag lists were cache hits.
    expect(measured.profile.cacheHitRatio).toBeCloseTo(0.5, 9);
    expect(measured.resources.resources.find((r) => r.id === 'Service')).toEqual(
      expect.objectContaining({ cpu: 1024, memoryMiB: 2048, min: 3, desired: 3 }),
    );
    expect(measured.measurement.warnings).toEqual([]);
    const queries = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries!.map((q) => q.MetricStat!.Metric);
    expect(queries).toEqual([
      {
        Namespace: 'AWS/CloudFront',
        MetricName: 'Requests',
        Dimensions: [
          { Name: 'DistributionId', Value: 'E2EXAMPLE' },
          { Name: 'Region', Value: 'Global' },
        ],
      },
      {
        Namespace: 'AWS/CloudFront',
        MetricName: 'BytesDownloaded',
        Dimensions: [
          { Name: 'DistributionId', Value: 'E2EXAMPLE' },
          { Name: 'Region', Value: 'Global' },
        ],
      },
      {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [{ Name: 'LoadBalancer', Value: 'app/Flags-Alb/50dc6c495c0c9188' }],
      },
      {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'ProcessedBytes',
        Dimensions: [{ Name: 'LoadBalancer', Value: 'app/Flags-Alb/50dc6c495c0c9188' }],
      },
      {
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'RunningTaskCount',
        Dimensions: [
          { Name: 'ClusterName', Value: 'flagstack-cluster' },
          { Name: 'ServiceName', Value: 'flagstack-service' },
        ],
      },
    ]);
    expect(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input).toEqual({
      cluster: 'flagstack-cluster',
      services: ['arn:aws:ecs:us-east-1:123456789012:service/flagstack-cluster/flagstack-service'],
    });
  });

  it('divides BytesDownloaded (GET/HEAD responses) by the GET/HEAD requests, estimated from the identity share, and says so', async () => {
    deployed(30);
    // 1M viewer requests, half of them identity POSTs: 500k GETs downloaded 2.5 GB.
    metrics({ Requests: [1_000_000], BytesDownloaded: [2.5e9], RequestCount: [600_000] });
    const measured = await measureStage(fargateStage, trafficProfile({ identityShare: 0.5 }), options);
    expect(measured.profile.meanResponseBytes).toBe(5000);
    expect(measured.measurement.measured).toEqual(
      expect.objectContaining({ 'GET/HEAD requests (estimated)': 500_000, 'mean response bytes': 5000 }),
    );
    expect(measured.measurement.notes).toEqual([
      'mean response bytes: BytesDownloaded (GET/HEAD responses only) over the GET/HEAD requests, estimated as Requests × (1 − identityShare 0.5), ' +
        'identity requests being POSTs: CloudWatch has no CloudFront request count by method',
    ]);
  });

  it("prices the load balancer's LCUs from its own ProcessedBytes, not from CloudFront's viewer bytes", async () => {
    deployed(30);
    // Viewers download 5,000 bytes a GET (compressed); the load balancer processes 40,000 bytes a request.
    metrics({ Requests: [1_000_000], BytesDownloaded: [3.5e9], RequestCount: [650_000], ProcessedBytes: [2.6e10] });
    const measured = await measureStage(fargateStage, trafficProfile({ identityShare: 0.3 }), options);
    const usage = stageUsage(measured.resources, {
      requestsPerMonth: measured.measurement.requestsPerMonth,
      profile: measured.profile,
      capacity: DEFAULT_CAPACITY,
    });
    const lcu = usage.charges.find((charge) => charge.priceKey === 'elb.alb.lcu')!;
    // The processed-bytes dimension (1 LCU = 1 GB an hour) at the bytes the load balancer processed in the window.
    const gbPerHour = (2.6e10 / 1e9 / (14 * 86400)) * 3600;
    expect(lcu.what).toBe(`${gbPerHour.toFixed(2)} LCU (by processed bytes)`);
    expect(lcu.quantity).toBeCloseTo(gbPerHour * 730, 6);
    expect(measured.profile.loadBalancerBytesPerRequest).toBe(40_000);
    expect(measured.measurement.measured['load balancer bytes per request']).toBe(40_000);
    expect(measured.profile.meanResponseBytes).toBe(5000);
  });

  it('prices the mean running task count of the window from Container Insights, not the running count of the moment', async () => {
    deployed(30);
    // Mid blue/green deployment: ECS runs 8 tasks right now; over the window the service averaged 4.5.
    ecs.on(DescribeServicesCommand).resolves({ services: [{ runningCount: 8, taskDefinition: 'td:9' }] });
    metrics({
      Requests: [1_000_000],
      BytesDownloaded: [3.5e9],
      RequestCount: [650_000],
      ProcessedBytes: [1e9],
      RunningTaskCount: [4, 4, 4, 6],
    });
    const measured = await measureStage(fargateStage, trafficProfile(), options);
    expect(measured.resources.resources.find((r) => r.id === 'Service')).toEqual(
      expect.objectContaining({ desired: 4.5, min: 4.5, max: 10 }),
    );
    expect(measured.measurement.measured['Service running tasks (window mean)']).toBe(4.5);
    const taskCount = cloudWatch
      .commandCalls(GetMetricDataCommand)[0]
      .args[0].input.MetricDataQueries!.find((q) => q.MetricStat!.Metric!.MetricName === 'RunningTaskCount')!;
    expect(taskCount.MetricStat!.Stat).toBe('Average');
    expect(measured.measurement.warnings).toEqual([]);
  });

  it("falls back to ECS's running count, with a warning, when Container Insights has no task count", async () => {
    deployed(30);
    metrics({ Requests: [1_000_000], BytesDownloaded: [3.5e9], RequestCount: [650_000], ProcessedBytes: [1e9] });
    const measured = await measureStage(fargateStage, trafficProfile(), options);
    expect(measured.resources.resources.find((r) => r.id === 'Service')).toEqual(expect.objectContaining({ desired: 4, min: 4 }));
    expect(measured.measurement.measured['Service running tasks (now)']).toBe(4);
    expect(measured.measurement.warnings).toEqual([
      'no data for ECS/ContainerInsights RunningTaskCount (ClusterName=flagstack-cluster, ServiceName=flagstack-service) in us-east-1 ' +
        "over the last 14.0 days: ECS's running count at this moment, 4, used instead (it counts both task sets during a blue/green deployment; is Container Insights on?)",
    ]);
  });

  it('warns, naming every metric besides the request count that had no data and the value used in its place', async () => {
    deployed(30);
    metrics({ Requests: [1_000_000] });
    const measured = await measureStage(fargateStage, trafficProfile({ meanResponseBytes: 6000, cacheHitRatio: 0.4 }), options);
    expect(measured.profile).toEqual(trafficProfile({ meanResponseBytes: 6000, cacheHitRatio: 0.4 }));
    const alb = 'AWS/ApplicationELB %s (LoadBalancer=app/Flags-Alb/50dc6c495c0c9188) in us-east-1';
    expect(measured.measurement.warnings).toEqual([
      "no data for AWS/CloudFront BytesDownloaded (DistributionId=E2EXAMPLE, Region=Global) in us-east-1 over the last 14.0 days: the profile's meanResponseBytes, 6000, used instead",
      `no data for ${alb.replace('%s', 'RequestCount')} over the last 14.0 days: the profile's cacheHitRatio, 0.4, used instead`,
      `no data for ${alb.replace('%s', 'RequestCount')}, ${alb.replace('%s', 'ProcessedBytes')} over the last 14.0 days: ` +
        "the load balancer's bytes modelled instead, as meanResponseBytes + 400 bytes of request headers + the identity request bodies",
      expect.stringMatching(/^no data for ECS\/ContainerInsights RunningTaskCount .* ECS's running count at this moment, 4, used instead/),
    ]);
  });

  it("extrapolates from the stack's age when it is younger than the window", async () => {
    deployed(5);
    metrics({ Requests: [500_000], RequestCount: [400_000] });
    const measured = await measureStage(fargateStage, trafficProfile(), options);
    expect(measured.measurement.coveredDays).toBeCloseTo(5, 9);
    expect(measured.measurement.requestsPerMonth).toBeCloseTo((500_000 / (5 * 86400)) * 2_628_000, 3);
  });

  it('names the metric that has no data', async () => {
    deployed(30);
    metrics({});
    await expect(measureStage(fargateStage, trafficProfile(), options)).rejects.toThrow(
      'fargate: no data for AWS/CloudFront Requests (DistributionId=E2EXAMPLE, Region=Global) in us-east-1 over the last 14.0 days: is the stage serving traffic?',
    );
  });

  const edgeStage = {
    stage: 'edge',
    stacks: [
      { name: 'Flagstack-Edge', region: 'us-east-1' },
      { name: 'Flagstack-Edge-eu-west-1', region: 'eu-west-1' },
    ],
    resources: [
      cdn('PriceClass_All', ['/api/v1/flags/*'], { id: 'Cdn', stack: 'Flagstack-Edge' }),
      resource(
        'lambda-function',
        { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { id: 'Fn', stack: 'Flagstack-Edge' },
      ),
      resource(
        'lambda-function',
        { memoryMiB: 512, architecture: 'arm64', serving: true, edge: false, logRetentionDays: 30 },
        { id: 'Fn', stack: 'Flagstack-Edge-eu-west-1', region: 'eu-west-1' },
      ),
    ],
    free: [],
    unpriced: [],
  };
  /** The edge stage deployed, its metrics answering `answers` (region → metric name → the window's one value). */
  const deployedEdge = (answers: Record<string, Record<string, number>>) => {
    cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [{ StackName: input.StackName, CreationTime: daysAgo(30), StackStatus: 'CREATE_COMPLETE' }],
    }));
    cloudFormation.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => ({
      StackResourceSummaries: [
        {
          LogicalResourceId: 'Cdn',
          PhysicalResourceId: 'E3EDGE',
          ResourceType: 'T',
          LastUpdatedTimestamp: now,
          ResourceStatus: 'CREATE_COMPLETE',
        },
        {
          LogicalResourceId: 'Fn',
          PhysicalResourceId: 'flagstack-edge',
          ResourceType: 'T',
          LastUpdatedTimestamp: now,
          ResourceStatus: 'CREATE_COMPLETE',
        },
      ].filter((r) => input.StackName === 'Flagstack-Edge' || r.LogicalResourceId === 'Fn'),
    }));
    cloudWatch.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput, getClient) => {
      const region = await getClient().config.region();
      return {
        MetricDataResults: input.MetricDataQueries!.map((q) => {
          const value = answers[region]?.[q.MetricStat!.Metric!.MetricName!];
          return { Id: q.Id, Values: value === undefined ? [] : [value], Timestamps: value === undefined ? [] : [now] };
        }),
      };
    });
  };

  it("reads an edge stage: CloudFront in us-east-1, each function's invocations and duration in its own region", async () => {
    // 1M viewer requests, 700k of them GETs (2.8 GB); 400k invocations of 10 ms in us-east-1, 250k of 30 ms in eu-west-1.
    deployedEdge({
      'us-east-1': { Requests: 1_000_000, BytesDownloaded: 2.8e9, Invocations: 400_000, Duration: 4_000_000 },
      'eu-west-1': { Invocations: 250_000, Duration: 7_500_000 },
    });
    const measured = await measureStage(edgeStage, trafficProfile({ identityShare: 0.3 }), options);
    expect(measured.measurement.requestsInWindow).toBe(1_000_000);
    expect(measured.profile.meanResponseBytes).toBe(4000);
    // 650k of 1M reached the functions: with 30% identities, half the flag lists were cache hits.
    expect(measured.profile.cacheHitRatio).toBeCloseTo(0.5, 9);
    expect(measured.profile.lambdaDurationMs).toBeCloseTo(11_500_000 / 650_000, 9);
    expect(measured.measurement.sources).toEqual([
      'AWS/CloudFront Requests (DistributionId=E3EDGE, Region=Global) in us-east-1',
      'AWS/CloudFront BytesDownloaded (DistributionId=E3EDGE, Region=Global) in us-east-1',
      'AWS/Lambda Invocations (FunctionName=flagstack-edge) in us-east-1',
      'AWS/Lambda Duration (FunctionName=flagstack-edge) in us-east-1',
      'AWS/Lambda Invocations (FunctionName=flagstack-edge) in eu-west-1',
      'AWS/Lambda Duration (FunctionName=flagstack-edge) in eu-west-1',
    ]);
    expect(measured.measurement.warnings).toEqual([]);
  });

  it("warns that the profile's function duration stands in when no function reported a duration", async () => {
    deployedEdge({
      'us-east-1': { Requests: 1_000_000, BytesDownloaded: 2.8e9, Invocations: 400_000 },
      'eu-west-1': { Invocations: 250_000 },
    });
    const measured = await measureStage(edgeStage, trafficProfile({ lambdaDurationMs: 25 }), options);
    expect(measured.profile.lambdaDurationMs).toBe(25);
    expect(measured.measurement.warnings).toEqual([
      'no data for AWS/Lambda Duration (FunctionName=flagstack-edge) in us-east-1, AWS/Lambda Duration (FunctionName=flagstack-edge) in eu-west-1 ' +
        "over the last 14.0 days: the profile's lambdaDurationMs, 25, used instead",
    ]);
  });

  it('reads the single box from its own RequestCount metric', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'Flagstack-SingleBox', CreationTime: daysAgo(60), StackStatus: 'CREATE_COMPLETE' }] });
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    metrics({ RequestCount: [1000, 2000] });
    const single = {
      stage: 'single-box',
      stacks: [{ name: 'Flagstack-SingleBox', region: 'us-east-1' }],
      resources: [
        resource('metric-filter', { metrics: 1, namespace: 'Flagstack', metricName: 'RequestCount' }, { stack: 'Flagstack-SingleBox' }),
      ],
      free: [],
      unpriced: [],
    };
    const measured = await measureStage(single, trafficProfile(), options);
    expect(measured.measurement.requestsInWindow).toBe(3000);
    expect(measured.measurement.sources).toEqual(['Flagstack RequestCount in us-east-1']);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries![0].MetricStat!.Metric).toEqual({
      Namespace: 'Flagstack',
      MetricName: 'RequestCount',
      Dimensions: [],
    });
  });
});
