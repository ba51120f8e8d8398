/**
 * Measures a deployed stage: its request count over the window from CloudWatch (CloudFront viewer
 * requests, else the load balancer's, else the edge functions' invocations, else the single box's own
 * RequestCount metric), what reached the origin (so the real cache hit ratio), the real response
 * size and function duration, and the tasks ECS really runs; then the stage's resources and traffic
 * profile with those figures in place of the assumptions.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Resource, ResourceOf, StageResources } from '../discovery';
import { SECONDS_PER_MONTH, type TrafficProfile } from '../profile';
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
  readonly role: 'viewer-requests' | 'viewer-bytes' | 'alb-requests' | 'invocations' | 'duration' | 'own-requests';
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
  const add = (query: Omit<PlannedQuery, 'id'>) => queries.push({ ...query, id: `q${queries.length}` });
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
    add({
      region: regionOf(balancer),
      role: 'alb-requests',
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      dimensions: { LoadBalancer: arn.split(':loadbalancer/')[1] ?? arn },
    });
  }
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
  const requireData = (measured: ReturnType<typeof total>) => {
    if (measured.datapoints === 0) {
      const metrics = measured.queries.map((q) => `${describeMetric(q)} in ${q.region}`).join(', ');
      throw new LiveError(`${stage.stage}: no data for ${metrics} over the last ${days} days: is the stage serving traffic?`);
    }
    return measured;
  };

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
  const calibrated: TrafficProfile = { ...profile };

  if (viewer.queries.length > 0) {
    const bytes = total('viewer-bytes');
    if (bytes.datapoints > 0 && requests > 0) {
      // What viewers downloaded, compressed or not: every kind of response is priced at it.
      calibrated.meanResponseBytes = bytes.sum / requests;
      calibrated.compressedResponseBytes = calibrated.meanResponseBytes;
      measured['mean response bytes'] = Math.round(calibrated.meanResponseBytes);
    }
    const origin = alb.queries.length > 0 ? alb : invocations.queries.length > 0 ? invocations : undefined;
    if (origin !== undefined && origin.datapoints > 0 && requests > 0) {
      // origin = flags × (1 − hit) + identities, so hit = 1 − (origin share − identity share) / flag share.
      const originShare = origin.sum / requests;
      const flagShare = 1 - profile.identityShare;
      calibrated.cacheHitRatio = flagShare > 0 ? Math.min(1, Math.max(0, 1 - (originShare - profile.identityShare) / flagShare)) : 0;
      measured['share reaching the origin'] = originShare.toFixed(3);
      measured['cache hit ratio (flag lists)'] = calibrated.cacheHitRatio.toFixed(3);
    }
  }
  if (invocations.datapoints > 0 && invocations.sum > 0) {
    const duration = total('duration');
    if (duration.datapoints > 0) {
      calibrated.lambdaDurationMs = duration.sum / invocations.sum;
      measured['mean function duration ms'] = calibrated.lambdaDurationMs.toFixed(1);
    }
  }

  // What ECS really runs replaces the template's task size and count.
  const resources: Resource[] = [];
  for (const resource of stage.resources) {
    if (resource.kind !== 'fargate-service') {
      resources.push(resource);
      continue;
    }
    const cluster = physicalId(deployed.get(resource.stack)!, resource.clusterId, 'the ECS cluster');
    const service = physical(resource, 'the ECS service');
    say(`${stage.stage}: ECS DescribeServices for ${resource.id}`);
    const running = await describeRunningService(options.clients.ecs(regionOf(resource)), cluster, service, options.retry);
    measured[`${resource.id} running tasks`] = running.runningCount;
    measured[`${resource.id} task size`] = `${running.cpu / 1024} vCPU / ${running.memoryMiB / 1024} GB ${running.architecture}`;
    resources.push({
      ...resource,
      cpu: running.cpu,
      memoryMiB: running.memoryMiB,
      architecture: running.architecture,
      desired: running.runningCount,
      min: running.runningCount,
      max: Math.max(resource.max, running.runningCount),
    });
  }

  const sources = queries.filter((q) => sums.get(q.id)!.datapoints > 0).map((q) => `${describeMetric(q)} in ${q.region}`);
  return {
    measurement: {
      stage: stage.stage,
      window: options.window.label,
      coveredDays: coveredSeconds / 86400,
      requestsInWindow: requests,
      requestsPerMonth: (requests / coveredSeconds) * SECONDS_PER_MONTH,
      sources,
      measured,
    },
    resources: { ...stage, resources },
    profile: calibrated,
    metricsRequested,
  };
}
