/**
 * Traffic → quantities: for one stage at one monthly volume, what each resource consumes in the
 * units AWS bills (instance-hours, LCU-hours, GB, GB-seconds, request units, …). Capacity-driven
 * resources (Auto Scaling groups, Fargate services, Aurora Serverless v2) grow with the load the
 * capacity figure implies, never below what the template runs and never silently past its maximum.
 */
import type { CacheBehavior, Resource, ResourceOf, StageResources, UnpricedResource } from './discovery';
import { formatVolume } from './format';
import { instanceTypeSpec } from '../instance-types';
import { REGION_LOCATIONS } from '../edge-regions';
import {
  ASSUMPTIONS,
  type Capacity,
  HOURS_PER_MONTH,
  REGION_GROUP_LOCATIONS,
  REGION_GROUPS,
  type RegionGroup,
  SECONDS_PER_MONTH,
  type TrafficProfile,
} from './profile';

/** The AWS services rows are grouped by. */
export const SERVICES = [
  'Amazon EC2',
  'Amazon EBS',
  'Amazon VPC',
  'Elastic Load Balancing',
  'Amazon CloudFront',
  'AWS Fargate',
  'AWS Lambda',
  'Amazon RDS',
  'Amazon DynamoDB',
  'Amazon Route 53',
  'Data transfer',
  'Amazon CloudWatch',
  'AWS Secrets Manager',
  'Amazon S3',
  'AWS KMS',
] as const;
export type Service = (typeof SERVICES)[number];

/** A quantity of one priced thing a resource uses in a month. */
export interface Charge {
  readonly service: Service;
  /** `stack/logicalId` of the resource it belongs to. */
  readonly resource: string;
  /** Region whose price table applies. */
  readonly region: string;
  readonly priceKey: string;
  /** The unit the quantity is in; must equal the price's unit. */
  readonly unit: string;
  readonly quantity: number;
  /** What the quantity is, for the breakdown. */
  readonly what: string;
  /** The CloudFront distribution (`stack/id`) whose flat-rate plan would include this charge. */
  readonly bundle?: string;
}

/** What viewers send one CloudFront distribution in a month: what a flat-rate plan would have to cover. */
export interface DistributionTraffic {
  /** `stack/id` of the distribution. */
  readonly resource: string;
  readonly region: string;
  readonly requests: number;
  /** Data out to viewers, GB. */
  readonly dataGb: number;
  /** Why flat-rate plans cannot serve it; undefined when they can. */
  readonly flatRateExcluded?: string;
}

/** One stage's quantities at one volume. */
export interface StageUsage {
  readonly charges: Charge[];
  /** Resources the model cannot quantify. */
  readonly unpriced: UnpricedResource[];
  /** What the reader should know: capacity past a template maximum, burst credits, overload. */
  readonly notes: string[];
  /** Why the stage as built cannot carry this volume (a fixed-size instance or database class too small); empty if it can. */
  readonly overCapacity: string[];
  /** The stage's own CloudFront distributions and their traffic (not its control plane's). */
  readonly distributions: DistributionTraffic[];
}

export interface UsageInput {
  readonly requestsPerMonth: number;
  readonly profile: TrafficProfile;
  readonly capacity: Capacity;
}

/** Price classes and the region groups whose edge locations they use. */
const PRICE_CLASS_GROUPS: Readonly<Record<string, readonly RegionGroup[]>> = {
  PriceClass_100: ['north-america', 'europe'],
  PriceClass_200: ['north-america', 'europe', 'south-africa-middle-east', 'japan', 'asia', 'india'],
  PriceClass_All: REGION_GROUPS,
};

/** The paths of the kinds of request the profile distinguishes. */
export const FLAG_LIST_PATH = '/api/v1/flags/';
const IDENTITY_PATH = '/api/v1/identities/';
const DOCUMENT_PATH = '/api/v1/environment-document/';

/** Great-circle distance, km. */
function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}

/**
 * The share of origin requests each serving function answers: each region group's viewers go to the
 * nearest region with a function (the edge's router does this per request), shared equally by the
 * functions there. Equal shares when a function's region has no known location.
 */
export function shareByNearestRegion(functions: ResourceOf<'lambda-function'>[], profile: TrafficProfile): Map<Resource, number> {
  const shares = new Map<Resource, number>();
  if (functions.length === 0) return shares;
  if (functions.some((f) => REGION_LOCATIONS[f.region] === undefined)) {
    for (const fn of functions) shares.set(fn, 1 / functions.length);
    return shares;
  }
  for (const [group, share] of Object.entries(profile.viewerShares) as [RegionGroup, number][]) {
    const viewers = REGION_GROUP_LOCATIONS[group];
    const nearest = functions.reduce((best, fn) =>
      distanceKm(viewers, REGION_LOCATIONS[fn.region]) < distanceKm(viewers, REGION_LOCATIONS[best.region]) ? fn : best,
    );
    const there = functions.filter((fn) => fn.region === nearest.region);
    for (const fn of there) shares.set(fn, (shares.get(fn) ?? 0) + share / there.length);
  }
  return shares;
}

/** The behaviour CloudFront serves `path` with: the first whose pattern matches, else the default. */
export function behaviorFor(distribution: ResourceOf<'cloudfront'>, path: string): CacheBehavior {
  return (
    distribution.behaviors.find((b) => b.pathPattern !== null && globMatches(b.pathPattern, path)) ??
    distribution.behaviors[distribution.behaviors.length - 1]
  );
}

function globMatches(pattern: string, path: string): boolean {
  const normalised = pattern.startsWith('/') ? pattern : `/${pattern}`;
  const regex = new RegExp(
    `^${normalised
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(path);
}

const GB = 1e9;
const MILLION = 1e6;

/**
 * Bytes a viewer receives per response of each kind, headers included: compressed where the layer in
 * front compresses (identity responses carry the same flags as a flag list, and compress alike).
 */
function responseSizes(profile: TrafficProfile, compressed: boolean): { flagList: number; identity: number; document: number } {
  return compressed
    ? {
        flagList: profile.compressedResponseBytes,
        identity: profile.compressedResponseBytes,
        document: profile.compressedEnvironmentDocumentBytes,
      }
    : { flagList: profile.meanResponseBytes, identity: profile.meanResponseBytes, document: profile.environmentDocumentBytes };
}

/** Rounds up to the next half ACU, Aurora Serverless v2's step. */
function halfSteps(acu: number): number {
  return Math.ceil(acu * 2 - 1e-9) / 2;
}

/** Months of log data kept under a retention. */
function retainedMonths(retentionDays: number | undefined): number {
  return retentionDays === undefined ? ASSUMPTIONS.neverExpiringLogMonths : retentionDays / (365.25 / 12);
}

// A control plane's cost with no SDK traffic depends on neither the stage it serves nor the volume:
// worked out once per plane, profile and capacity, not once per volume priced.
const idlePlanes = new WeakMap<StageResources, { profile: TrafficProfile; capacity: Capacity; usage: StageUsage }>();
function idleUsage(plane: StageResources, input: UsageInput): StageUsage {
  const held = idlePlanes.get(plane);
  if (held && held.profile === input.profile && held.capacity === input.capacity) return held.usage;
  // No SDK traffic at all: server SDKs poll the stage they serve, not its control plane.
  const usage = stageUsage(plane, { ...input, requestsPerMonth: 0, profile: { ...input.profile, serverSdks: 0 } });
  idlePlanes.set(plane, { profile: input.profile, capacity: input.capacity, usage });
  return usage;
}

/** Quantities of `stage` at `input.requestsPerMonth` requests a month. */
export function stageUsage(stage: StageResources, input: UsageInput): StageUsage {
  const { profile, capacity, requestsPerMonth } = input;
  const charges: Charge[] = [];
  const unpriced: UnpricedResource[] = [];
  const notes: string[] = [];
  const overCapacity: string[] = [];
  const distributionTraffic: DistributionTraffic[] = [];
  const volume = formatVolume(requestsPerMonth);
  const of = <K extends Resource['kind']>(kind: K) => stage.resources.filter((r): r is ResourceOf<K> => r.kind === kind);
  const charge = (
    resource: Resource,
    service: Service,
    region: string,
    priceKey: string,
    unit: string,
    quantity: number,
    what: string,
    bundle?: string,
  ) => {
    if (quantity > 0)
      charges.push({
        service,
        resource: `${resource.stack}/${resource.id}`,
        region,
        priceKey,
        unit,
        quantity,
        what,
        ...(bundle && { bundle }),
      });
  };
  const cannotQuantify = (resource: Resource, reason: string) =>
    unpriced.push({ stage: stage.stage, stack: resource.stack, id: resource.id, type: resource.type, reason });

  // --- Traffic: what reaches CloudFront, which behaviour serves it, and what reaches the origin.
  const identityRequests = requestsPerMonth * profile.identityShare;
  const flagRequests = requestsPerMonth - identityRequests;
  // Server SDKs in local-evaluation mode poll the environment document, whatever the volume.
  const pollRequests = (profile.serverSdks * SECONDS_PER_MONTH) / profile.pollSeconds;
  const distributions = of('cloudfront');
  let originFlagRequests = distributions.length === 0 ? flagRequests : 0;
  let originPollRequests = distributions.length === 0 ? pollRequests : 0;
  /** Invocations of functions CloudFront runs on behaviours (Lambda@Edge, CloudFront Functions), by `stack/id`. */
  const behaviorInvocations = new Map<string, number>();
  /** The distribution whose behaviours run each CloudFront Function, by `stack/id`: its flat-rate plan would include them. */
  const functionDistribution = new Map<string, string>();
  /** Each distribution's month: viewer requests and bytes, origin requests and the bytes CloudFront sends the origin. */
  const edgeTraffic = new Map<Resource, { requests: number; viewerBytes: number; originBytes: number }>();
  for (const distribution of distributions) {
    const share = 1 / distributions.length;
    const flags = behaviorFor(distribution, FLAG_LIST_PATH);
    const identities = behaviorFor(distribution, IDENTITY_PATH);
    const documents = behaviorFor(distribution, DOCUMENT_PATH);
    const flagsAtOrigin = flagRequests * share * (flags.cached ? 1 - profile.cacheHitRatio : 1);
    const pollsAtOrigin = pollRequests * share * (documents.cached ? 1 - profile.cacheHitRatio : 1);
    originFlagRequests += flagsAtOrigin;
    originPollRequests += pollsAtOrigin;
    // A behaviour whose cache policy lets CloudFront compress sends viewers the compressed sizes.
    const sizes = (behavior: CacheBehavior) => responseSizes(profile, behavior.compresses);
    const atOrigin = flagsAtOrigin + identityRequests * share + pollsAtOrigin;
    edgeTraffic.set(distribution, {
      requests: (flagRequests + identityRequests + pollRequests) * share,
      viewerBytes:
        share *
        (flagRequests * sizes(flags).flagList + identityRequests * sizes(identities).identity + pollRequests * sizes(documents).document),
      // Every request to the origin carries its request line and headers (GETs too); identity requests a body besides.
      originBytes: atOrigin * ASSUMPTIONS.requestHeaderBytes + identityRequests * share * profile.requestBodyBytes,
    });
    // Identity requests carry traits and are never answered from a cache.
    for (const [behavior, viewer, origin] of [
      [flags, flagRequests * share, flagsAtOrigin],
      [identities, identityRequests * share, identityRequests * share],
      [documents, pollRequests * share, pollsAtOrigin],
    ] as const) {
      for (const association of [...behavior.lambdaEdge, ...behavior.cloudFrontFunctions]) {
        if (association.functionId === undefined) {
          cannotQuantify(
            distribution,
            `a function on behaviour ${behavior.pathPattern ?? '(default)'} is defined outside the stack: its invocations are not priced`,
          );
          continue;
        }
        const key = `${distribution.stack}/${association.functionId}`;
        behaviorInvocations.set(key, (behaviorInvocations.get(key) ?? 0) + (association.eventType.startsWith('viewer') ? viewer : origin));
        if (!functionDistribution.has(key)) functionDistribution.set(key, `${distribution.stack}/${distribution.id}`);
      }
    }
  }
  const originRequests = originFlagRequests + identityRequests + originPollRequests;
  /** Bytes of the responses the origin sends, uncompressed (the service and the edge functions do not compress). */
  const originResponseBytes =
    (originFlagRequests + identityRequests) * profile.meanResponseBytes + originPollRequests * profile.environmentDocumentBytes;
  const identityWrites = identityRequests * profile.identityWriteShare;
  const perSecond = (perMonth: number) => perMonth / SECONDS_PER_MONTH;

  // --- CPU the origin load needs, on the service and on the database.
  const databases = [...of('aurora-cluster'), ...of('rds-instance')];
  const databaseOnServiceHost = databases.length === 0 && of('dynamodb-table').length === 0;
  const identityCpuShareOnService = databaseOnServiceHost ? 1 : 1 - capacity.databaseShareOfIdentityCpu;
  // A document poll is served from memory like a flag list.
  const serviceVcpus =
    perSecond(originFlagRequests + originPollRequests) / capacity.flagRpsPerVcpu +
    (perSecond(identityRequests) * identityCpuShareOnService) / capacity.identityRpsPerVcpu;
  const databaseVcpus = databaseOnServiceHost
    ? 0
    : (perSecond(identityRequests) * capacity.databaseShareOfIdentityCpu) / capacity.identityRpsPerVcpu;
  const servingFunctions = of('lambda-function').filter((f) => f.serving);
  const functionShares = shareByNearestRegion(servingFunctions, profile);
  const computeGroups = [...of('ec2-instance'), ...of('auto-scaling-group'), ...of('fargate-service'), ...servingFunctions];
  const computeShare = computeGroups.length > 0 ? 1 / computeGroups.length : 0;

  /** Instances a group needs for `vcpus` of work at the target utilisation, and what request-count scaling would run. */
  const scaledCount = (
    resource: Resource,
    vcpusEach: number,
    bounds: { min: number; max: number; desired?: number; scaling?: { requestsPerTargetPerMinute: number } },
    settingName: string,
  ) => {
    const floor = Math.max(bounds.min, bounds.desired ?? 0);
    const forCpu = Math.ceil((serviceVcpus * computeShare) / profile.targetCpuUtilisation / vcpusEach - 1e-9);
    const requestsPerMinute = perSecond(originRequests) * computeShare * 60;
    const forPolicy = bounds.scaling
      ? Math.min(bounds.max, Math.ceil(requestsPerMinute / bounds.scaling.requestsPerTargetPerMinute - 1e-9))
      : 0;
    const count = Math.max(floor, forCpu, forPolicy);
    if (forCpu > bounds.max) {
      notes.push(
        `${stage.stage}: at ${volume} requests/month ${resource.id} needs ${forCpu} to stay under ${profile.targetCpuUtilisation * 100}% CPU, ` +
          `past the template's maximum of ${bounds.max} (${settingName}); priced at ${forCpu}`,
      );
    }
    return count;
  };

  /** CPU above a burstable type's baseline, billed as surplus credits (T types run unlimited by default). */
  const surplusVcpuHours = (instanceType: string, count: number, demandVcpus: number) => {
    const spec = instanceTypeSpec(instanceType);
    if (spec?.burstableBaseline === undefined) return 0;
    return Math.max(0, demandVcpus - count * spec.vcpus * spec.burstableBaseline) * HOURS_PER_MONTH;
  };

  const ec2Instances = (
    resource: Resource,
    instanceType: string,
    count: number,
    detailedMonitoring: boolean,
    volumes: { volumeType: string; sizeGiB: number }[],
    demandVcpus: number,
  ) => {
    const region = resource.region;
    charge(
      resource,
      'Amazon EC2',
      region,
      `ec2.instance:${instanceType}`,
      'instance-hour',
      count * HOURS_PER_MONTH,
      `${count} × ${instanceType}`,
    );
    const surplus = surplusVcpuHours(instanceType, count, demandVcpus);
    charge(resource, 'Amazon EC2', region, 'ec2.cpu-credits.surplus', 'vCPU-hour', surplus, `CPU above the ${instanceType} baseline`);
    if (surplus > 0) {
      notes.push(
        `${stage.stage}: at ${volume} requests/month ${resource.id} runs above the ${instanceType} CPU baseline: ${Math.round(surplus)} surplus vCPU-hours a month`,
      );
    }
    for (const disk of volumes) {
      charge(
        resource,
        'Amazon EBS',
        region,
        `ebs.${disk.volumeType}.storage`,
        'GB-month',
        count * disk.sizeGiB,
        `${count} × ${disk.sizeGiB} GiB ${disk.volumeType}`,
      );
    }
    if (detailedMonitoring) {
      const metrics = count * ASSUMPTIONS.detailedMonitoringMetrics;
      charge(
        resource,
        'Amazon CloudWatch',
        region,
        'cloudwatch.metric',
        'metric-month',
        metrics,
        `detailed monitoring, ${metrics} metrics`,
      );
    }
  };

  // Size the capacity-driven groups first: several charges (NAT data, Container Insights) depend on the counts.
  const counts = new Map<Resource, number>();
  for (const group of of('auto-scaling-group')) {
    const spec = instanceTypeSpec(group.instanceType);
    if (spec === undefined) cannotQuantify(group, `no vCPU count known for ${group.instanceType} (lib/instance-types.ts)`);
    else counts.set(group, scaledCount(group, spec.vcpus, group, 'autoscaledMaxInstances'));
  }
  for (const service of of('fargate-service')) counts.set(service, scaledCount(service, service.cpu / 1024, service, 'fargateMaxTasks'));
  const fargateTasks = of('fargate-service').reduce((sum, service) => sum + (counts.get(service) ?? 0), 0);
  const insightClusters = of('ecs-cluster').filter((c) => c.containerInsights === 'enabled');
  const insightsBytes =
    insightClusters.length > 0 ? fargateTasks * HOURS_PER_MONTH * 60 * ASSUMPTIONS.containerInsightsBytesPerTaskMinute : 0;
  const serverlessAcus = new Map<string, number>();

  for (const resource of stage.resources) {
    const region = resource.region;
    switch (resource.kind) {
      case 'ec2-instance': {
        const spec = instanceTypeSpec(resource.instanceType);
        const demand = serviceVcpus * computeShare;
        if (spec !== undefined && demand / profile.targetCpuUtilisation > spec.vcpus) {
          overCapacity.push(
            `${stage.stage}: at ${volume} requests/month ${resource.id} (${resource.instanceType}, ${spec.vcpus} vCPUs) needs ` +
              `${(demand / profile.targetCpuUtilisation).toFixed(1)} vCPUs at ${profile.targetCpuUtilisation * 100}% CPU: it cannot carry this volume`,
          );
        }
        ec2Instances(resource, resource.instanceType, 1, resource.detailedMonitoring, resource.volumes, demand);
        if (resource.autoAssignedPublicIp)
          charge(resource, 'Amazon VPC', region, 'vpc.public-ipv4', 'IP-hour', HOURS_PER_MONTH, 'public IPv4 address');
        break;
      }
      case 'auto-scaling-group': {
        const count = counts.get(resource);
        if (count !== undefined)
          ec2Instances(resource, resource.instanceType, count, resource.detailedMonitoring, resource.volumes, serviceVcpus * computeShare);
        break;
      }
      case 'ebs-volume':
        charge(
          resource,
          'Amazon EBS',
          region,
          `ebs.${resource.volume.volumeType}.storage`,
          'GB-month',
          resource.volume.sizeGiB,
          `${resource.volume.sizeGiB} GiB ${resource.volume.volumeType}`,
        );
        break;
      case 'elastic-ip':
        charge(resource, 'Amazon VPC', region, 'vpc.public-ipv4', 'IP-hour', HOURS_PER_MONTH, 'Elastic IP address');
        break;
      case 'nat-gateway': {
        charge(resource, 'Amazon VPC', region, 'vpc.nat-gateway.hour', 'gateway-hour', HOURS_PER_MONTH, 'NAT gateway');
        // The service's log lines (and Container Insights events) leave the private subnets through it.
        const gateways = of('nat-gateway').length;
        const bytes = originRequests * profile.logBytesPerRequest + insightsBytes;
        charge(resource, 'Amazon VPC', region, 'vpc.nat-gateway.data', 'GB', bytes / GB / gateways, 'log data shipped to CloudWatch Logs');
        break;
      }
      case 'load-balancer': {
        if (resource.loadBalancerType !== 'application') {
          charge(
            resource,
            'Elastic Load Balancing',
            region,
            `elb.${resource.loadBalancerType}.hour`,
            'LB-hour',
            HOURS_PER_MONTH,
            `${resource.loadBalancerType} load balancer`,
          );
          break;
        }
        charge(resource, 'Elastic Load Balancing', region, 'elb.alb.hour', 'ALB-hour', HOURS_PER_MONTH, 'Application Load Balancer');
        const rps = perSecond(originRequests) / of('load-balancer').length;
        const bytesPerRequest =
          profile.loadBalancerBytesPerRequest ??
          (originRequests > 0
            ? (originResponseBytes + identityRequests * profile.requestBodyBytes) / originRequests + ASSUMPTIONS.requestHeaderBytes
            : 0);
        const newConnections = rps / profile.requestsPerConnection;
        const dimensions = {
          'new connections': newConnections / 25,
          'active connections': (newConnections * ASSUMPTIONS.connectionSeconds) / 3000,
          'processed bytes': (rps * 3600 * bytesPerRequest) / GB,
          'rule evaluations': (rps * Math.max(0, resource.rules - 10)) / 1000,
        };
        const [dimension, lcus] = Object.entries(dimensions).reduce((a, b) => (b[1] > a[1] ? b : a));
        charge(
          resource,
          'Elastic Load Balancing',
          region,
          'elb.alb.lcu',
          'LCU-hour',
          lcus * HOURS_PER_MONTH,
          `${lcus.toFixed(2)} LCU (by ${dimension})`,
        );
        if (resource.internetFacing) {
          charge(
            resource,
            'Amazon VPC',
            region,
            'vpc.public-ipv4',
            'IP-hour',
            resource.subnets * HOURS_PER_MONTH,
            `${resource.subnets} public IPv4 addresses of the load balancer nodes`,
          );
        }
        break;
      }
      case 'cloudfront': {
        const allowed = PRICE_CLASS_GROUPS[resource.priceClass];
        if (allowed === undefined) {
          cannotQuantify(resource, `unknown price class ${resource.priceClass}`);
          break;
        }
        const traffic = edgeTraffic.get(resource)!;
        const self = `${resource.stack}/${resource.id}`;
        const byGroup = new Map<RegionGroup, number>();
        for (const [group, share] of Object.entries(profile.viewerShares) as [RegionGroup, number][]) {
          // Viewers outside the price class are served by North American edges and billed there.
          const billedIn = allowed.includes(group) ? group : 'north-america';
          byGroup.set(billedIn, (byGroup.get(billedIn) ?? 0) + share);
        }
        for (const [group, share] of byGroup) {
          charge(
            resource,
            'Amazon CloudFront',
            region,
            `cloudfront.requests.https:${group}`,
            '10,000 requests',
            (traffic.requests * share) / 1e4,
            `HTTPS requests, ${group}`,
            self,
          );
          charge(
            resource,
            'Amazon CloudFront',
            region,
            `cloudfront.data-out:${group}`,
            'GB',
            (traffic.viewerBytes * share) / GB,
            `data out, ${group}`,
            self,
          );
        }
        charge(
          resource,
          'Amazon CloudFront',
          region,
          'cloudfront.origin-out',
          'GB',
          traffic.originBytes / GB,
          'request headers and bodies to the origin',
        );
        const edgeFunctions = resource.behaviors.flatMap((b) => b.lambdaEdge).map((a) => a.functionId ?? 'a function outside the stack');
        distributionTraffic.push({
          resource: self,
          region,
          requests: traffic.requests,
          dataGb: traffic.viewerBytes / GB,
          flatRateExcluded:
            edgeFunctions.length > 0
              ? `flat-rate plans do not support Lambda@Edge, which its behaviours run (${[...new Set(edgeFunctions)].join(', ')})`
              : undefined,
        });
        break;
      }
      case 'cloudfront-function': {
        const invocations = behaviorInvocations.get(`${resource.stack}/${resource.id}`) ?? 0;
        charge(
          resource,
          'Amazon CloudFront',
          region,
          'cloudfront.functions',
          'million invocations',
          invocations / MILLION,
          'CloudFront Functions invocations',
          functionDistribution.get(`${resource.stack}/${resource.id}`),
        );
        break;
      }
      case 'fargate-service': {
        const vcpusEach = resource.cpu / 1024;
        const count = counts.get(resource) as number;
        const taskHours = count * HOURS_PER_MONTH;
        const size = `${count} × ${vcpusEach} vCPU / ${resource.memoryMiB / 1024} GB ${resource.architecture}`;
        charge(resource, 'AWS Fargate', region, `fargate.vcpu:${resource.architecture}`, 'vCPU-hour', taskHours * vcpusEach, size);
        charge(
          resource,
          'AWS Fargate',
          region,
          `fargate.memory:${resource.architecture}`,
          'GB-hour',
          (taskHours * resource.memoryMiB) / 1024,
          size,
        );
        break;
      }
      case 'lambda-function': {
        if (resource.edge) {
          const invocations = behaviorInvocations.get(`${resource.stack}/${resource.id}`) ?? 0;
          const gbSeconds = invocations * (ASSUMPTIONS.lambdaEdgeDurationMs / 1000) * (resource.memoryMiB / 1024);
          charge(
            resource,
            'AWS Lambda',
            region,
            'lambda-edge.requests',
            'million requests',
            invocations / MILLION,
            'Lambda@Edge invocations',
          );
          charge(
            resource,
            'AWS Lambda',
            region,
            'lambda-edge.duration',
            'GB-second',
            gbSeconds,
            `Lambda@Edge, ${resource.memoryMiB} MB, ${ASSUMPTIONS.lambdaEdgeDurationMs} ms`,
          );
          const logGb = (invocations * ASSUMPTIONS.lambdaPlatformLogBytes) / GB;
          charge(resource, 'Amazon CloudWatch', region, 'logs.ingestion', 'GB', logGb, 'Lambda@Edge logs');
          charge(
            resource,
            'Amazon CloudWatch',
            region,
            'logs.storage',
            'GB-month',
            logGb * ASSUMPTIONS.logStorageCompression * retainedMonths(resource.logRetentionDays),
            'Lambda@Edge logs kept',
          );
          break;
        }
        if (!resource.serving) {
          notes.push(`${stage.stage}: ${resource.id} runs outside the request path (deployment or events): not priced per request`);
          break;
        }
        const functionShare = functionShares.get(resource) ?? 0;
        const invocations = originRequests * functionShare;
        const gbSeconds = invocations * (profile.lambdaDurationMs / 1000) * (resource.memoryMiB / 1024);
        const what = `${resource.memoryMiB} MB ${resource.architecture}, ${profile.lambdaDurationMs} ms`;
        charge(resource, 'AWS Lambda', region, 'lambda.requests', 'million requests', invocations / MILLION, 'invocations');
        charge(resource, 'AWS Lambda', region, `lambda.duration:${resource.architecture}`, 'GB-second', gbSeconds, what);
        // Lambda bills a cold start's INIT at the duration price (on-demand functions, since 2025-08-01).
        const coldStarts = invocations * profile.coldStartShare;
        charge(
          resource,
          'AWS Lambda',
          region,
          `lambda.duration:${resource.architecture}`,
          'GB-second',
          coldStarts * (profile.initDurationMs / 1000) * (resource.memoryMiB / 1024),
          `INIT of cold starts: ${profile.coldStartShare * 100}% of invocations, ${profile.initDurationMs} ms`,
        );
        const logGb = (invocations * (ASSUMPTIONS.lambdaPlatformLogBytes + profile.functionLogBytesPerRequest)) / GB;
        charge(resource, 'Amazon CloudWatch', region, 'logs.ingestion', 'GB', logGb, 'function logs');
        charge(
          resource,
          'Amazon CloudWatch',
          region,
          'logs.storage',
          'GB-month',
          logGb * ASSUMPTIONS.logStorageCompression * retainedMonths(resource.logRetentionDays),
          'function logs kept',
        );
        if (distributions.length === 0)
          charge(
            resource,
            'Data transfer',
            region,
            'data-transfer.internet-out',
            'GB',
            (originResponseBytes * functionShare) / GB,
            'responses to the internet',
          );
        break;
      }
      case 'aurora-cluster': {
        const storage = resource.storageType; // 'aurora' (Standard) or 'aurora-iopt1' (I/O-Optimized)
        const writerAcus = resource.serverless ? serverlessWriterAcus(resource) : 0;
        const acus = new Map<string, number>();
        for (const instance of resource.instances) {
          if (instance.instanceClass === 'db.serverless') {
            const instanceAcus = instance.followsWriter ? writerAcus : (resource.serverless?.min ?? 0);
            acus.set(instance.id, instanceAcus);
            charge(
              resource,
              'Amazon RDS',
              region,
              `rds.${storage}.serverless-v2`,
              'ACU-hour',
              instanceAcus * HOURS_PER_MONTH,
              `${instance.id}: ${instanceAcus} ACU`,
            );
          } else {
            charge(
              resource,
              'Amazon RDS',
              region,
              `rds.${storage}.instance:${instance.instanceClass}`,
              'instance-hour',
              HOURS_PER_MONTH,
              `${instance.id}: ${instance.instanceClass}`,
            );
          }
        }
        serverlessAcus.set(
          resource.id,
          [...acus.values()].reduce((a, b) => a + b, 0),
        );
        charge(resource, 'Amazon RDS', region, `rds.${storage}.storage`, 'GB-month', profile.dataSizeGb, 'cluster storage');
        charge(
          resource,
          'Amazon RDS',
          region,
          `rds.${storage}.io`,
          'million I/O requests',
          (identityWrites * ASSUMPTIONS.auroraIosPerIdentityWrite) / MILLION / databases.length,
          'write I/O of trait writes',
        );
        break;
      }
      case 'rds-instance': {
        const az = resource.multiAz ? 'multi-az' : 'single-az';
        const { engine } = resource;
        charge(
          resource,
          'Amazon RDS',
          region,
          `rds.${engine}.instance:${resource.instanceClass}:${az}`,
          'instance-hour',
          HOURS_PER_MONTH,
          `${resource.instanceClass} ${az}`,
        );
        charge(
          resource,
          'Amazon RDS',
          region,
          `rds.${engine}.storage:${resource.storageType}:${az}`,
          'GB-month',
          resource.storageGiB,
          `${resource.storageGiB} GiB ${resource.storageType} ${az}`,
        );
        const spec = instanceTypeSpec(resource.instanceClass);
        const demand = databaseVcpus / databases.length;
        if (spec === undefined) {
          cannotQuantify(resource, `no vCPU count known for ${resource.instanceClass}: its CPU credits cannot be priced`);
          break;
        }
        if (demand / profile.targetCpuUtilisation > spec.vcpus) {
          overCapacity.push(
            `${stage.stage}: at ${volume} requests/month ${resource.id} (${resource.instanceClass}, ${spec.vcpus} vCPUs) needs ${(demand / profile.targetCpuUtilisation).toFixed(1)} vCPUs: it cannot carry this volume`,
          );
        }
        const surplus = surplusVcpuHours(resource.instanceClass, 1, demand);
        charge(
          resource,
          'Amazon RDS',
          region,
          'rds.cpu-credits.surplus',
          'vCPU-hour',
          surplus,
          `CPU above the ${resource.instanceClass} baseline`,
        );
        break;
      }
      case 'ecs-cluster':
        if (resource.containerInsights === 'enabled') {
          const metrics =
            ASSUMPTIONS.containerInsightsMetricsPerCluster + ASSUMPTIONS.containerInsightsMetricsPerService * resource.services;
          charge(
            resource,
            'Amazon CloudWatch',
            region,
            'cloudwatch.metric',
            'metric-month',
            metrics,
            `Container Insights, ${metrics} metrics`,
          );
        } else if (resource.containerInsights === 'enhanced') {
          cannotQuantify(
            resource,
            'Container Insights with enhanced observability is billed per observation, which the model does not estimate',
          );
        }
        break;
      case 'log-group': {
        const months = retainedMonths(resource.retentionDays);
        /** A month's `gb` ingested, and kept (compressed) for the group's retention. */
        const logged = (gb: number, what: string, kept: string) => {
          charge(resource, 'Amazon CloudWatch', region, 'logs.ingestion', 'GB', gb, what);
          const days = `${resource.retentionDays ?? 'forever'} days`;
          charge(
            resource,
            'Amazon CloudWatch',
            region,
            'logs.storage',
            'GB-month',
            gb * ASSUMPTIONS.logStorageCompression * months,
            `${kept} kept ${days}`,
          );
        };
        if (resource.carries === 'service') {
          const serviceGroups = of('log-group').filter((group) => group.carries === 'service').length;
          logged((originRequests * profile.logBytesPerRequest) / GB / serviceGroups, 'service request log', 'request log');
        } else if (resource.carries === 'flow-log') {
          logged(ASSUMPTIONS.flowLogGbPerMonth, 'rejected-traffic flow logs', 'flow logs');
        } else if (resource.carries === 'unknown') {
          cannotQuantify(resource, 'a log group outside the request path and flow logs: its volume is unknown');
        }
        break;
      }
      case 'metric-filter':
        charge(resource, 'Amazon CloudWatch', region, 'cloudwatch.metric', 'metric-month', resource.metrics, 'metric from a log filter');
        break;
      case 'alarm':
        charge(
          resource,
          'Amazon CloudWatch',
          region,
          resource.highResolution ? 'cloudwatch.alarm.high-resolution' : 'cloudwatch.alarm',
          'alarm-metric-month',
          resource.metrics,
          `alarm on ${resource.metrics} metric(s)`,
        );
        break;
      case 'composite-alarm':
        charge(resource, 'Amazon CloudWatch', region, 'cloudwatch.composite-alarm', 'alarm-month', 1, 'composite alarm');
        break;
      case 'dashboard':
        charge(resource, 'Amazon CloudWatch', region, 'cloudwatch.dashboard', 'dashboard-month', 1, 'dashboard');
        break;
      case 'secret':
        charge(resource, 'AWS Secrets Manager', region, 'secretsmanager.secret', 'secret-month', 1, 'secret');
        break;
      case 's3-bucket':
        if (!resource.holdsBackups) {
          cannotQuantify(resource, 'a bucket that holds neither backups nor anything else the model knows: its size is unknown');
        } else {
          const days = resource.expirationDays ?? 365;
          if (resource.expirationDays === undefined)
            notes.push(`${stage.stage}: ${resource.id} keeps backups forever; priced for a year of nightly dumps`);
          const gb = profile.dataSizeGb * ASSUMPTIONS.backupBytesPerDataByte * days;
          charge(resource, 'Amazon S3', region, 's3.standard.storage', 'GB-month', gb, `${days} nightly dumps`);
        }
        break;
      case 'kms-key':
        charge(resource, 'AWS KMS', region, 'kms.key', 'key-month', 1, 'customer managed key');
        break;
      case 'dynamodb-table': {
        if (resource.billingMode !== 'PAY_PER_REQUEST') {
          cannotQuantify(resource, `billing mode ${resource.billingMode}: only on-demand tables are priced`);
          break;
        }
        const tables = of('dynamodb-table').length;
        const replicas = resource.replicaRegions;
        // Requests land on the replica next to the function that serves them; without serving
        // functions (or none next to a replica), on the table's own region.
        const regionShares = new Map<string, number>();
        for (const fn of servingFunctions.filter((f) => replicas.includes(f.region))) {
          regionShares.set(fn.region, (regionShares.get(fn.region) ?? 0) + (functionShares.get(fn) ?? 0));
        }
        const served = [...regionShares.values()].reduce((a, b) => a + b, 0);
        const requestRegions: [string, number][] =
          served > 0 ? [...regionShares].map(([r, share]) => [r, share / served]) : [[resource.region, 1]];
        // Identity requests read their traits; warm edge functions check each cached environment's
        // version every few seconds, so flag lists cost (duration / refresh interval) half-unit reads.
        const versionChecks =
          servingFunctions.length > 0
            ? (originFlagRequests + originPollRequests) * (profile.lambdaDurationMs / 1000 / ASSUMPTIONS.edgeRefreshSeconds) * 0.5
            : 0;
        const reads = (identityRequests * ASSUMPTIONS.dynamoReadUnitsPerIdentityRequest + versionChecks) / tables;
        const writes = (identityWrites * ASSUMPTIONS.dynamoWriteUnitsPerIdentityWrite) / tables;
        for (const [requestRegion, share] of requestRegions) {
          charge(
            resource,
            'Amazon DynamoDB',
            requestRegion,
            'dynamodb.read',
            'million RRU',
            (reads * share) / MILLION,
            'trait reads and version checks',
          );
          charge(resource, 'Amazon DynamoDB', requestRegion, 'dynamodb.write', 'million WRU', (writes * share) / MILLION, 'trait writes');
          // A global table sends each write made here to every other replica, at the inter-region transfer price.
          const others = replicas.filter((replica) => replica !== requestRegion).length;
          charge(
            resource,
            'Data transfer',
            requestRegion,
            'data-transfer.inter-region',
            'GB',
            (writes * share * others * ASSUMPTIONS.replicatedWriteBytes) / GB,
            `trait writes replicated to ${others} other region${others === 1 ? '' : 's'}`,
          );
        }
        for (const replica of replicas) {
          // Every write is replicated to every other replica: a replica receives the writes made elsewhere.
          const madeHere = requestRegions.find(([r]) => r === replica)?.[1] ?? 0;
          const received = writes * (1 - madeHere);
          charge(
            resource,
            'Amazon DynamoDB',
            replica,
            'dynamodb.replicated-write',
            'million rWRU',
            received / MILLION,
            `writes replicated into ${replica}`,
          );
          charge(resource, 'Amazon DynamoDB', replica, 'dynamodb.storage', 'GB-month', profile.dataSizeGb, `replica in ${replica}`);
          if (resource.pitrRegions.includes(replica))
            charge(
              resource,
              'Amazon DynamoDB',
              replica,
              'dynamodb.pitr',
              'GB-month',
              profile.dataSizeGb,
              `point-in-time recovery (continuous backups) in ${replica}`,
            );
        }
        break;
      }
      case 'hosted-zone':
        charge(resource, 'Amazon Route 53', region, 'route53.hosted-zone', 'zone-month', 1, 'hosted zone');
        break;
      case 'dns-record':
        if (resource.routing !== 'alias') {
          charge(
            resource,
            'Amazon Route 53',
            region,
            `route53.queries.${resource.routing}`,
            'million queries',
            (requestsPerMonth * ASSUMPTIONS.dnsQueriesPerRequest) / MILLION,
            `${resource.routing} DNS queries`,
          );
        }
        break;
      case 'rds-proxy':
        break; // priced after the databases are sized (below)
    }
  }

  // RDS Proxy: by the vCPUs (or Serverless v2 ACUs) of what it fronts.
  for (const proxy of of('rds-proxy')) {
    const targets = stage.resources.filter((r) => r.stack === proxy.stack && proxy.targets.includes(r.id));
    let acus = 0;
    let vcpus = 0;
    for (const target of targets) {
      if (target.kind === 'aurora-cluster') {
        acus += serverlessAcus.get(target.id) ?? 0;
        for (const instance of target.instances.filter((i) => i.instanceClass !== 'db.serverless'))
          vcpus += instanceTypeSpec(instance.instanceClass)?.vcpus ?? NaN;
      } else if (target.kind === 'rds-instance') {
        vcpus += instanceTypeSpec(target.instanceClass)?.vcpus ?? NaN;
      }
    }
    if (Number.isNaN(vcpus) || targets.length === 0) {
      cannotQuantify(
        proxy,
        targets.length === 0 ? 'its target database is not in the stack' : "a target's vCPU count is unknown (lib/instance-types.ts)",
      );
      continue;
    }
    if (acus > 0)
      charge(
        proxy,
        'Amazon RDS',
        proxy.region,
        'rds.proxy.acu',
        'ACU-hour',
        Math.max(acus, ASSUMPTIONS.proxyMinimumAcus) * HOURS_PER_MONTH,
        `over ${acus} ACU (billed at least ${ASSUMPTIONS.proxyMinimumAcus})`,
      );
    if (vcpus > 0)
      charge(
        proxy,
        'Amazon RDS',
        proxy.region,
        'rds.proxy.vcpu',
        'vCPU-hour',
        Math.max(vcpus, ASSUMPTIONS.proxyMinimumVcpus) * HOURS_PER_MONTH,
        `over ${vcpus} vCPUs (billed at least ${ASSUMPTIONS.proxyMinimumVcpus})`,
      );
  }

  // Container Insights performance logs, per running task.
  for (const cluster of insightClusters) {
    const gb = insightsBytes / GB / insightClusters.length;
    charge(cluster, 'Amazon CloudWatch', cluster.region, 'logs.ingestion', 'GB', gb, 'Container Insights performance events');
  }

  // Without CloudFront, responses leave the serving instances straight to the internet.
  // A proxy on the instance that compresses (the single box's Caddy with a domain) sends the compressed sizes.
  if (distributions.length === 0) {
    for (const compute of [...of('ec2-instance'), ...of('auto-scaling-group'), ...of('fargate-service')]) {
      const compressed = compute.kind === 'ec2-instance' && compute.compressesResponses;
      const sizes = responseSizes(profile, compressed);
      const bytes = originFlagRequests * sizes.flagList + identityRequests * sizes.identity + originPollRequests * sizes.document;
      charge(
        compute,
        'Data transfer',
        compute.region,
        'data-transfer.internet-out',
        'GB',
        (bytes * computeShare) / GB,
        compressed ? 'responses to the internet, gzipped' : 'responses to the internet, uncompressed',
      );
    }
  }
  if (pollRequests > 0)
    notes.push(
      `${stage.stage}: ${profile.serverSdks} server SDKs in local-evaluation mode poll the environment document every ${profile.pollSeconds} s: ` +
        `${formatVolume(pollRequests)} requests a month besides the ${volume}`,
    );

  // A stage that cannot run without another's control plane carries that stage's cost with no SDK traffic.
  if (stage.controlPlane !== undefined) {
    const plane = stage.controlPlane.resources;
    const planeUsage = idleUsage(plane, input);
    charges.push(...planeUsage.charges.map((c) => ({ ...c, what: `control plane (${plane.stage}): ${c.what}` })));
    unpriced.push(...planeUsage.unpriced);
    notes.push(`${stage.stage}: includes its control plane, the ${plane.stage} stage with no SDK traffic (${stage.controlPlane.reason})`);
  }

  return { charges, unpriced, notes, overCapacity, distributions: distributionTraffic };

  function serverlessWriterAcus(cluster: ResourceOf<'aurora-cluster'>): number {
    const { min, max } = cluster.serverless!;
    const needed = halfSteps(databaseVcpus / databases.length / ASSUMPTIONS.vcpusPerAcu / profile.targetCpuUtilisation);
    if (needed > max) {
      notes.push(
        `${stage.stage}: at ${volume} requests/month ${cluster.id} needs ${needed} ACU, past its maximum of ${max} (auroraMaxCapacity); priced at ${needed}`,
      );
    }
    return Math.max(min, needed);
  }
}
