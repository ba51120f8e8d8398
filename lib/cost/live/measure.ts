/**
 * Measures a deployed stage: its request count over the window from CloudWatch (CloudFront viewer
 * requests, else the load balancer's, else the edge functions' invocations, else the single box's own
 * RequestCount metric), what reached the origin (so the real cache hit ratio), the real response
 * size, the load balancer's processed bytes, the function duration, and the tasks ECS ran on average;
 * then the stage's resources and traffic profile with those figures in place of the assumptions. A
 * figure whose metrics had no data keeps the profile's value (the task count: ECS's running count of
 * the moment), with a warning naming the metrics and the value.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { StageResources } from '../discovery';
import type { Resource, ResourceOf } from '../resources/index';
import { ASSUMPTIONS, SECONDS_PER_MONTH, type TrafficProfile } from '../profile';
import type { LiveMeasurement } from '../report/model';
import { describeMetric, fetchMetricSums, type MetricQuery, type MetricSum } from './cloudwatch';
import { describeRunningService } from './ecs';
import { explainedAs, LiveError } from './errors';
import type { RetryOptions } from './retry';
import { type DeployedStack, describeDeployedStack, physicalId } from './stacks';
import { REQUEST_COUNT_METRIC } from '../../constants';

/** AWS clients per region (one of each, reused). */
export interface LiveClients {
  cloudWatch(region: string): CloudWatchClient;
  cloudFormation(region: string): CloudFormationClient;
  ecs(region: string): ECSClient;
}

/** SDK clients with the default credential chain; retries are ours (withRetry), so the SDK makes one attempt. */
export function sdkClients(): LiveClients {
  const cache = new Map<string, unknown>();
  const client = <T>(kind: string, region: string, make: () => T): T => {
    const key = `${kind}|${region}`;
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  return {
    cloudWatch: (region) => client('cw', region, () => new CloudWatchClient({ region, maxAttempts: 1 })),
    cloudFormation: (region) => client('cfn', region, () => new CloudFormationClient({ region, maxAttempts: 1 })),
    ecs: (region) => client('ecs', region, () => new ECSClient({ region, maxAttempts: 1 })),
  };
}

export interface MeasureOptions {
  readonly clients: LiveClients;
  /** The window: its length in seconds and how the user wrote it. */
  readonly window: { seconds: number; label: string };
  readonly now: Date;
  /** Where a template's region is deployed (the home region may be replaced by --region). */
  readonly regionOf: (templateRegion: string) => string;
  readonly retry?: RetryOptions;
  readonly progress?: (message: string) => void;
}

export interface StageMeasurement {
  readonly measurement: LiveMeasurement;
  readonly resources: StageResources;
  readonly profile: TrafficProfile;
  /** Metrics requested from GetMetricData (billed per 1,000). */
  readonly metricsRequested: number;
}

/** CloudFront metrics live in us-east-1 whatever the distribution's stacks' region. */
const CLOUDFRONT_METRICS_REGION = 'us-east-1';

interface PlannedQuery extends MetricQuery {
  readonly region: string;
  readonly role:
    'viewer-requests' | 'viewer-bytes' | 'alb-requests' | 'alb-bytes' | 'running-tasks' | 'invocations' | 'duration' | 'own-requests';
}

export async function measureStage(stage: StageResources, profile: TrafficProfile, options: MeasureOptions): Promise<StageMeasurement> {
  const say = options.progress ?? (() => {});
  const deployed = new Map<string, DeployedStack>();
  for (const stack of stage.stacks) {
    const region = options.regionOf(stack.region);
    say(`${stage.stage}: reading stack ${stack.name} in ${region}`);
    deployed.set(stack.name, await describeDeployedStack(options.clients.cloudFormation(region), stack.name, region, options.retry));
  }
  const physical = (resource: Resource, what: string) => physicalId(deployed.get(resource.stack)!, resource.id, what);
  const regionOf = (resource: Resource) => options.regionOf(resource.region);
  const of = <K extends Resource['kind']>(kind: K) => stage.resources.filter((r): r is ResourceOf<K> => r.kind === kind);

  // What to read, and from where.
  const queries: PlannedQuery[] = [];
  const add = (query: Omit<PlannedQuery, 'id'>) => {
    const planned = { ...query, id: `q${queries.length}` };
    queries.push(planned);
    return planned;
  };
  for (const distribution of of('cloudfront')) {
    const dimensions = { DistributionId: physical(distribution, 'the CloudFront distribution'), Region: 'Global' };
    add({ region: CLOUDFRONT_METRICS_REGION, role: 'viewer-requests', namespace: 'AWS/CloudFront', metricName: 'Requests', dimensions });
    add({
      region: CLOUDFRONT_METRICS_REGION,
      role: 'viewer-bytes',
      namespace: 'AWS/CloudFront',
      metricName: 'BytesDownloaded',
      dimensions,
    });
  }
  for (const balancer of of('load-balancer')) {
    // The physical id is the ARN; the metric dimension is its `app/<name>/<id>` tail.
    const arn = physical(balancer, 'the load balancer');
    const dimensions = { LoadBalancer: arn.split(':loadbalancer/')[1] ?? arn };
    add({ region: regionOf(balancer), role: 'alb-requests', namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions });
    add({ region: regionOf(balancer), role: 'alb-bytes', namespace: 'AWS/ApplicationELB', metricName: 'ProcessedBytes', dimensions });
  }
  // ECS's running count is one moment's (both task sets during a blue/green deployment): the task count
  // priced is Container Insights' average over the window.
  const services = new Map(
    of('fargate-service').map((service) => {
      const cluster = physicalId(deployed.get(service.stack)!, service.clusterId, 'the ECS cluster');
      // The physical id is the ARN; the metric dimension is the service's name, its last part.
      const arn = physical(service, 'the ECS service');
      const taskCount = add({
        region: regionOf(service),
        role: 'running-tasks',
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        statistic: 'Average',
        dimensions: { ClusterName: cluster, ServiceName: arn.split('/').pop()! },
      });
      return [service, { cluster, arn, taskCount }] as const;
    }),
  );
  for (const fn of of('lambda-function').filter((f) => f.serving)) {
    const FunctionName = physical(fn, 'the function');
    add({ region: regionOf(fn), role: 'invocations', namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName } });
    add({ region: regionOf(fn), role: 'duration', namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName } });
  }
  const { metricName } = REQUEST_COUNT_METRIC;
  for (const filter of of('metric-filter').filter((f) => f.metricName === metricName && f.namespace !== undefined)) {
    add({ region: regionOf(filter), role: 'own-requests', namespace: filter.namespace!, metricName, dimensions: {} });
  }

  // The window starts no earlier than the stage's oldest stack.
  const end = options.now;
  const created = Math.min(...[...deployed.values()].map((s) => s.createdAt.getTime()));
  const start = new Date(Math.max(end.getTime() - options.window.seconds * 1000, created));
  const coveredSeconds = (end.getTime() - start.getTime()) / 1000;
  if (coveredSeconds < 3600)
    throw new LiveError(`${stage.stage}: deployed less than an hour ago; measure once it has served traffic for a while`);

  const sums = new Map<string, MetricSum>();
  let metricsRequested = 0;
  for (const region of new Set(queries.map((q) => q.region))) {
    const inRegion = queries.filter((q) => q.region === region);
    say(`${stage.stage}: GetMetricData in ${region} (${inRegion.length} metrics)`);
    const fetched = await fetchMetricSums(
      options.clients.cloudWatch(region),
      inRegion,
      { start, end, now: options.now },
      options.retry,
    ).catch(explainedAs(`reading CloudWatch metrics in ${region}`));
    metricsRequested += fetched.metricsRequested;
    for (const [id, sum] of fetched.sums) sums.set(id, sum);
  }
  const total = (role: PlannedQuery['role']) => {
    const matching = queries.filter((q) => q.role === role);
    return {
      queries: matching,
      sum: matching.reduce((acc, q) => acc + sums.get(q.id)!.sum, 0),
      datapoints: matching.reduce((acc, q) => acc + sums.get(q.id)!.datapoints, 0),
    };
  };
  const days = (coveredSeconds / 86400).toFixed(1);
  const describeIn = (query: PlannedQuery) => `${describeMetric(query)} in ${query.region}`;
  const requireData = (measured: ReturnType<typeof total>) => {
    if (measured.datapoints === 0) {
      const metrics = measured.queries.map(describeIn).join(', ');
      throw new LiveError(`${stage.stage}: no data for ${metrics} over the last ${days} days: is the stage serving traffic?`);
    }
    return measured;
  };
  const warnings: string[] = [];
  /** Warns that `replacement` stands in for the figure `used` would have measured, naming those of them that had no data. */
  const fallBack = (used: PlannedQuery[], replacement: string) => {
    const empty = used.filter((q) => sums.get(q.id)!.datapoints === 0);
    if (empty.length > 0) warnings.push(`no data for ${empty.map(describeIn).join(', ')} over the last ${days} days: ${replacement}`);
  };
  const profileValue = (field: keyof TrafficProfile) => `the profile's ${field}, ${JSON.stringify(profile[field])}, used instead`;

  // Requests: what viewers sent, read at the outermost layer the stage has.
  const viewer = total('viewer-requests');
  const alb = total('alb-requests');
  const invocations = total('invocations');
  const own = total('own-requests');
  const outermost = [viewer, alb, invocations, own].find((measured) => measured.queries.length > 0);
  if (outermost === undefined) {
    throw new LiveError(
      `${stage.stage}: nothing to read requests from (no CloudFront distribution, load balancer, serving function or RequestCount metric filter in its stacks)`,
    );
  }
  const requests = requireData(outermost).sum;
  const measured: Record<string, string | number> = { 'requests in window': requests };
  const notes: string[] = [];
  const calibrated: TrafficProfile = { ...profile };

  if (viewer.queries.length > 0) {
    // BytesDownloaded counts the responses to GET, HEAD and OPTIONS only, and CloudWatch counts
    // CloudFront's requests of every method together: the GET/HEAD requests are the flag-list share.
    const bytes = total('viewer-bytes');
    const getRequests = requests * (1 - profile.identityShare);
    if (bytes.datapoints > 0 && getRequests > 0) {
      // What viewers downloaded, compressed or not: every kind of response is priced at it.
      calibrated.meanResponseBytes = bytes.sum / getRequests;
      calibrated.compressedResponseBytes = calibrated.meanResponseBytes;
      measured['GET/HEAD requests (estimated)'] = Math.round(getRequests);
      measured['mean response bytes'] = Math.round(calibrated.meanResponseBytes);
      notes.push(
        `mean response bytes: BytesDownloaded (GET/HEAD responses only) over the GET/HEAD requests, estimated as Requests × ` +
          `(1 − identityShare ${profile.identityShare}), identity requests being POSTs: CloudWatch has no CloudFront request count by method`,
      );
    } else fallBack(bytes.queries, profileValue('meanResponseBytes'));
    const origin = alb.queries.length > 0 ? alb : invocations.queries.length > 0 ? invocations : undefined;
    if (origin !== undefined) {
      if (origin.datapoints > 0 && requests > 0) {
        // origin = flags × (1 − hit) + identities, so hit = 1 − (origin share − identity share) / flag share.
        const originShare = origin.sum / requests;
        const flagShare = 1 - profile.identityShare;
        calibrated.cacheHitRatio = flagShare > 0 ? Math.min(1, Math.max(0, 1 - (originShare - profile.identityShare) / flagShare)) : 0;
        measured['share reaching the origin'] = originShare.toFixed(3);
        measured['cache hit ratio (flag lists)'] = calibrated.cacheHitRatio.toFixed(3);
      } else fallBack(origin.queries, profileValue('cacheHitRatio'));
    }
  }
  if (alb.queries.length > 0) {
    const processed = total('alb-bytes');
    if (processed.datapoints > 0 && alb.sum > 0) {
      calibrated.loadBalancerBytesPerRequest = processed.sum / alb.sum;
      measured['load balancer bytes per request'] = Math.round(calibrated.loadBalancerBytesPerRequest);
    } else {
      fallBack(
        [...alb.queries, ...processed.queries],
        profile.loadBalancerBytesPerRequest === undefined
          ? `the load balancer's bytes modelled instead, as meanResponseBytes + ${ASSUMPTIONS.requestHeaderBytes} bytes of request headers + the identity request bodies`
          : profileValue('loadBalancerBytesPerRequest'),
      );
    }
  }
  if (invocations.queries.length > 0) {
    const duration = total('duration');
    if (duration.datapoints > 0 && invocations.sum > 0) {
      calibrated.lambdaDurationMs = duration.sum / invocations.sum;
      measured['mean function duration ms'] = calibrated.lambdaDurationMs.toFixed(1);
    } else fallBack([...invocations.queries, ...duration.queries], profileValue('lambdaDurationMs'));
  }

  // What ECS ran replaces the template's task size and count.
  const resources: Resource[] = [];
  for (const resource of stage.resources) {
    if (resource.kind !== 'fargate-service') {
      resources.push(resource);
      continue;
    }
    const { cluster, arn, taskCount } = services.get(resource)!;
    say(`${stage.stage}: ECS DescribeServices for ${resource.id}`);
    const running = await describeRunningService(options.clients.ecs(regionOf(resource)), cluster, arn, options.retry);
    const average = sums.get(taskCount.id)!;
    let tasks = running.runningCount;
    if (average.datapoints > 0) {
      // To the hundredth, as the report shows it.
      tasks = Math.round((average.sum / average.datapoints) * 100) / 100;
      measured[`${resource.id} running tasks (window mean)`] = tasks;
    } else {
      measured[`${resource.id} running tasks (now)`] = tasks;
      fallBack(
        [taskCount],
        `ECS's running count at this moment, ${tasks}, used instead (it counts both task sets during a blue/green deployment; is Container Insights on?)`,
      );
    }
    measured[`${resource.id} task size`] = `${running.cpu / 1024} vCPU / ${running.memoryMiB / 1024} GB ${running.architecture}`;
    resources.push({
      ...resource,
      cpu: running.cpu,
      memoryMiB: running.memoryMiB,
      architecture: running.architecture,
      desired: tasks,
      min: tasks,
      max: Math.max(resource.max, tasks),
    });
  }

  const sources = queries.filter((q) => sums.get(q.id)!.datapoints > 0).map(describeIn);
  return {
    measurement: {
      stage: stage.stage,
      window: options.window.label,
      coveredDays: coveredSeconds / 86400,
      requestsInWindow: requests,
      requestsPerMonth: (requests / coveredSeconds) * SECONDS_PER_MONTH,
      sources,
      measured,
      notes,
      warnings,
    },
    resources: { ...stage, resources },
    profile: calibrated,
    metricsRequested,
  };
}
