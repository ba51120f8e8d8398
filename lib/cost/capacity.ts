/**
 * What each stage can carry. A flag SaaS's traffic can multiply overnight when one customer puts the
 * SDK on a busy site, so a price alone does not say which stage to run: this module gives, per stage,
 * the highest request rate its resources serve at their largest scale (each limit: service CPU, Node
 * workers, instance network, database CPU, database connections, Lambda concurrency, DynamoDB
 * throughput), which one runs out first, the headroom over the volume's peak, whether it absorbs a
 * sudden spike, and how long it takes to add capacity.
 *
 * The figures are viewer requests a second, so the limits of an origin behind CloudFront's cache count
 * only what reaches it. CPU per request comes from the capacity figure (`npm run bench`).
 */
import type { StageResources } from './discovery';
import type { Resource, ResourceOf } from './resources/index';
import { instanceTypeSpec, vcpusOf } from '../instance-types';
import { type Capacity, type RequestCpu, requestCpu, requestsPerTarget } from '../capacity-figures';
import { ASSUMPTIONS, SECONDS_PER_MONTH, type TrafficProfile } from './profile';
import { behaviorFor } from './resources/cloudfront-distribution';
import { shareByNearestRegion } from './resources/lambda-function';
import { FLAG_LIST_PATH } from './traffic';

/** How peaky traffic is, and what sudden growth a stage must absorb. */
export interface LoadOptions {
  /** The busiest minute's request rate over the month's average (`--peak`). */
  readonly peak: number;
  /** How many times its peak a stage must absorb from one minute to the next (`--spike`). */
  readonly spike: number;
}

/**
 * A weekday's request rate by hour (UTC), as relative weights: a consumer audience spread over
 * North America and Europe (the default viewer shares), low overnight in both, highest when both are
 * awake. With minute-to-minute variation within the busiest hour, the peak minute runs at
 * DAILY_PEAK_FACTOR times the month's average.
 */
export const HOURLY_PROFILE: readonly number[] = [
  0.75, 0.6, 0.5, 0.45, 0.45, 0.5, 0.65, 0.85, 1.05, 1.2, 1.25, 1.3, 1.35, 1.45, 1.5, 1.5, 1.45, 1.35, 1.25, 1.15, 1.1, 1.05, 0.95, 0.85,
];
/** The busiest minute of the busiest hour over that hour's mean. */
export const MINUTE_BURST = 1.3;
export const DAILY_PEAK_FACTOR =
  (Math.max(...HOURLY_PROFILE) / (HOURLY_PROFILE.reduce((sum, hour) => sum + hour, 0) / HOURLY_PROFILE.length)) * MINUTE_BURST;

export const DEFAULT_LOAD: LoadOptions = { peak: DAILY_PEAK_FACTOR, spike: 10 };

/** One limit on a stage: what runs out, and the viewer request rate at which it does. */
export interface Limit {
  readonly resource: string;
  readonly maxRps: number;
}

export interface StageCapacity {
  /** The volume's busiest minute, viewer requests a second. */
  readonly peakRps: number;
  /** The highest viewer request rate the stage serves at its largest scale: its lowest limit. */
  readonly maxRps: number;
  /** The largest monthly volume whose peak it serves. */
  readonly maxRequestsPerMonth: number;
  readonly limitedBy: string;
  /** maxRps over peakRps: how many times the volume's peak the stage serves at its largest. */
  readonly headroom: number;
  /** Whether spike × peak fits under its largest scale. */
  readonly absorbsSpike: boolean;
  /** Seconds a scaling stage takes to add capacity after a spike (for Lambda, the concurrency the spike needs); null when it cannot add any. */
  readonly scaleOutSeconds: number | null;
  /** Every limit, lowest first. */
  readonly limits: Limit[];
}

/**
 * What a stage could serve at all: its limits (volume-independent) and how it scales out. The volume
 * only sets the peak to compare with (`capacityAt`).
 */
export interface StageLimits {
  readonly limits: Limit[];
  /** Seconds to add capacity (a new instance or task); null when it cannot. */
  readonly scaleOutSeconds: number | null;
  /** Serving Lambda functions: capacity comes in concurrency steps, so its time depends on the spike. */
  readonly scalesByConcurrency: boolean;
}

/**
 * What the limits assume, each with its reason. CPU at peak is allowed up to PEAK_CPU_CEILING: past
 * it, queueing makes latency climb faster than throughput.
 */
export const CAPACITY_ASSUMPTIONS = {
  peakCpuCeiling: 0.8,
  /** FLAGSTACK_DB_POOL_MAX's default: connections each service process opens. */
  connectionsPerProcess: 10,
  /** PostgreSQL's max_connections on RDS: DBInstanceClassMemory / 9,531,392, at most 5,000. */
  bytesPerConnection: 9_531_392,
  /** Lambda's default concurrency quota per account and region (raised on request). */
  lambdaRegionalConcurrency: 1000,
  /** Lambda adds up to 1,000 concurrent executions per function every 10 seconds. */
  lambdaScalingPerTenSeconds: 1000,
  /** DynamoDB on-demand: read request units a second a table may use per region (the default account quota). */
  dynamoTableReadUnitsPerSecond: 40_000,
  /**
   * Target tracking on 1-minute metrics waits for three breaching minutes, then an instance boots
   * and passes health checks (about two minutes), or a Fargate task starts (about one).
   */
  instanceScaleOutSeconds: 300,
  taskScaleOutSeconds: 240,
} as const;

/** Memory of RDS classes, GiB (for max_connections). */
const DATABASE_MEMORY_GIB: Readonly<Record<string, number>> = {
  't4g.micro': 1,
  't4g.small': 2,
  't4g.medium': 4,
  't4g.large': 8,
  't4g.xlarge': 16,
  'm7g.large': 8,
  'm7g.xlarge': 16,
  'r6g.large': 16,
  'r7g.large': 16,
};

/** Work per viewer request, where it lands, as the estimate's usage model counts it. */
interface PerRequest extends RequestCpu {
  readonly databaseOnHost: boolean;
  /** Bytes through the serving host's network interface. */
  readonly networkBytes: number;
  readonly identityShare: number;
}

/** What a stage's resources say about where its requests land. */
interface Setting {
  /** CloudFront answers flag lists from its cache. */
  readonly flagsCached: boolean;
  /** A proxy in front of the host compresses responses (the single box's Caddy). */
  readonly compressed: boolean;
  readonly databaseOnHost: boolean;
}

function settingOf(stage: StageResources): Setting {
  const distributions = stage.resources.filter((r): r is ResourceOf<'cloudfront'> => r.kind === 'cloudfront');
  return {
    flagsCached: distributions.length > 0 && distributions.every((d) => behaviorFor(d, FLAG_LIST_PATH).cached),
    compressed: stage.resources.some((r) => r.kind === 'ec2-instance' && r.compressesResponses),
    databaseOnHost: !stage.resources.some((r) => ['aurora-cluster', 'rds-instance', 'dynamodb-table'].includes(r.kind)),
  };
}

function perRequest({ flagsCached, compressed, databaseOnHost }: Setting, profile: TrafficProfile, capacity: Capacity): PerRequest {
  const identity = profile.identityShare;
  const cpu = requestCpu(flagsCached, profile, capacity);
  return {
    ...cpu,
    databaseOnHost,
    // A host behind a compressing proxy (the single box's Caddy) sends compressed bodies.
    networkBytes:
      cpu.originShare * ((compressed ? profile.compressedResponseBytes : profile.meanResponseBytes) + ASSUMPTIONS.requestHeaderBytes) +
      identity * profile.requestBodyBytes,
    identityShare: identity,
  };
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** The limits of a stage's resources at their largest scale, and how fast it scales out. */
export function stageLimits(stage: StageResources, profile: TrafficProfile, capacity: Capacity): StageLimits {
  const load = perRequest(settingOf(stage), profile, capacity);
  const ceiling = CAPACITY_ASSUMPTIONS.peakCpuCeiling;
  const limits: Limit[] = [];
  const add = (resource: string, maxRps: number) => limits.push({ resource, maxRps });
  const of = <K extends Resource['kind']>(kind: K) => stage.resources.filter((r): r is ResourceOf<K> => r.kind === kind);
  let scaleOutSeconds: number | null = null;

  /** Serving hosts (instances or tasks): how many at most, the vCPUs of each, its worker processes. */
  const hosts: { what: string; count: number; vcpus: number; workers: number; instanceType?: string }[] = [
    ...of('ec2-instance').map((r) => ({
      what: r.instanceType,
      count: 1,
      vcpus: vcpusOf(r.instanceType) ?? 1,
      workers: r.workers ?? 1,
      instanceType: r.instanceType,
    })),
    ...of('auto-scaling-group').map((r) => ({
      what: r.instanceType,
      count: r.max,
      vcpus: vcpusOf(r.instanceType) ?? 1,
      workers: r.workers ?? 1,
      instanceType: r.instanceType,
    })),
    ...of('fargate-service').map((r) => ({
      what: `${r.cpu / 1024}-vCPU task`,
      count: r.max,
      vcpus: r.cpu / 1024,
      workers: r.workers ?? 1,
    })),
  ];
  if (of('auto-scaling-group').length > 0) scaleOutSeconds = CAPACITY_ASSUMPTIONS.instanceScaleOutSeconds;
  if (of('fargate-service').length > 0) scaleOutSeconds = CAPACITY_ASSUMPTIONS.taskScaleOutSeconds;
  const servingFunctions = of('lambda-function').filter((f) => f.serving);
  // The edge's control plane (its fargate stage) serves no SDK traffic: hosts count only without functions.
  const servingHosts = servingFunctions.length > 0 ? [] : hosts;
  const databases = [...of('aurora-cluster'), ...of('rds-instance')];

  for (const host of servingHosts) {
    const on = `${host.count > 1 ? `${host.count} × ` : ''}${host.what}`;
    // One Node worker runs JavaScript on one vCPU at most.
    const usable = Math.min(host.vcpus, host.workers);
    add(
      host.workers < host.vcpus
        ? `service CPU: ${plural(host.workers, 'Node worker')} on each ${host.what} (${plural(host.vcpus, 'vCPU')}), ${host.count} at most`
        : `service CPU: ${on}`,
      (host.count * usable * ceiling) / load.serviceCpu,
    );
    if (load.databaseOnHost) {
      add(
        `CPU of ${host.what} shared by the service and PostgreSQL`,
        (host.count * host.vcpus * ceiling) / (load.serviceCpu + load.databaseCpu),
      );
    }
    const gbps = host.instanceType ? instanceTypeSpec(host.instanceType)?.networkBaselineGbps : undefined;
    if (gbps !== undefined) add(`network: ${on} at ${gbps} Gbps baseline each`, (host.count * gbps * 1e9) / 8 / load.networkBytes);
  }

  for (const database of databases) {
    const writer =
      database.kind === 'rds-instance'
        ? { what: `db.${database.instanceClass.replace(/^db\./, '')}`, vcpus: vcpusOf(database.instanceClass) }
        : database.serverless
          ? { what: `Aurora Serverless v2 at ${database.serverless.max} ACUs`, vcpus: database.serverless.max * ASSUMPTIONS.vcpusPerAcu }
          : {
              what: database.instances[0]?.instanceClass ?? 'Aurora',
              vcpus: instanceTypeSpec(database.instances[0]?.instanceClass ?? '')?.vcpus,
            };
    if (writer.vcpus !== undefined && load.databaseCpu > 0)
      add(`database CPU: ${writer.what}`, (writer.vcpus * ceiling) / load.databaseCpu);
    // Without RDS Proxy every service process holds its own pool: the hosts the database admits.
    const proxied = of('rds-proxy').length > 0;
    const memory = database.kind === 'rds-instance' ? DATABASE_MEMORY_GIB[database.instanceClass.replace(/^db\./, '')] : undefined;
    if (!proxied && memory !== undefined) {
      const connections = Math.min(5000, Math.floor((memory * 2 ** 30) / CAPACITY_ASSUMPTIONS.bytesPerConnection));
      for (const host of servingHosts) {
        const admitted = Math.floor(connections / (host.workers * CAPACITY_ASSUMPTIONS.connectionsPerProcess));
        if (admitted < host.count) {
          add(
            `database connections: ${connections} on ${writer.what}, ${CAPACITY_ASSUMPTIONS.connectionsPerProcess} per process: ${admitted} ${host.what}s of ${host.count}`,
            (admitted * Math.min(host.vcpus, host.workers) * ceiling) / load.serviceCpu,
          );
        }
      }
    }
  }

  if (servingFunctions.length > 0) {
    const shares = shareByNearestRegion(servingFunctions, profile);
    const durationSeconds = profile.lambdaDurationMs / 1000;
    for (const fn of servingFunctions) {
      const share = shares.get(fn) ?? 0;
      if (share <= 0) continue;
      const quota = fn.reservedConcurrency ?? CAPACITY_ASSUMPTIONS.lambdaRegionalConcurrency;
      add(
        `Lambda concurrency in ${fn.region}: ${quota} (${fn.reservedConcurrency !== undefined ? 'reserved' : "the region's default quota"}), ${Math.round(share * 100)}% of requests`,
        quota / durationSeconds / load.originShare / share,
      );
    }
    const tables = of('dynamodb-table');
    const busiest = Math.max(...shares.values());
    if (tables.length > 0 && load.identityShare > 0) {
      add(
        `DynamoDB reads: ${CAPACITY_ASSUMPTIONS.dynamoTableReadUnitsPerSecond} read units a second per table and region`,
        CAPACITY_ASSUMPTIONS.dynamoTableReadUnitsPerSecond / (load.identityShare * ASSUMPTIONS.dynamoReadUnitsPerIdentityRequest) / busiest,
      );
    }
  }
  limits.sort((a, b) => a.maxRps - b.maxRps);
  return { limits, scaleOutSeconds, scalesByConcurrency: servingFunctions.length > 0 };
}

/** A stage's capacity at a monthly volume. */
export function capacityAt(limits: StageLimits, requestsPerMonth: number, load: LoadOptions, profile: TrafficProfile): StageCapacity {
  const peakRps = (requestsPerMonth / SECONDS_PER_MONTH) * load.peak;
  const lowest = limits.limits[0] ?? { resource: 'nothing measured', maxRps: Infinity };
  const spikeRps = peakRps * load.spike;
  let scaleOutSeconds = limits.scaleOutSeconds;
  if (limits.scalesByConcurrency) {
    // Lambda adds concurrency in steps of 1,000 every 10 seconds.
    const added = ((spikeRps - peakRps) * profile.lambdaDurationMs) / 1000;
    scaleOutSeconds = Math.max(0, Math.ceil(added / CAPACITY_ASSUMPTIONS.lambdaScalingPerTenSeconds)) * 10;
  }
  return {
    peakRps,
    maxRps: lowest.maxRps,
    maxRequestsPerMonth: (lowest.maxRps / load.peak) * SECONDS_PER_MONTH,
    limitedBy: lowest.resource,
    headroom: peakRps > 0 ? lowest.maxRps / peakRps : Infinity,
    absorbsSpike: spikeRps <= lowest.maxRps,
    scaleOutSeconds,
    limits: limits.limits,
  };
}

/**
 * Target-tracking policies a volume pins at their maximum (they want more targets than they may
 * have: requests past them queue, and the idle maximum is paid for) or their minimum.
 */
export function scalingWarnings(
  stage: StageResources,
  requestsPerMonth: number,
  load: LoadOptions,
  profile: TrafficProfile,
  capacity: Capacity,
): string[] {
  const perOrigin = perRequest(settingOf(stage), profile, capacity);
  const groups = [
    ...stage.resources.filter((r): r is ResourceOf<'auto-scaling-group'> => r.kind === 'auto-scaling-group'),
    ...stage.resources.filter((r): r is ResourceOf<'fargate-service'> => r.kind === 'fargate-service'),
  ];
  const warnings: string[] = [];
  for (const group of groups) {
    if (!group.scaling) continue;
    const perMinute = ((requestsPerMonth / SECONDS_PER_MONTH) * perOrigin.originShare * 60) / groups.length;
    const target = group.scaling.requestsPerTargetPerMinute;
    const atPeak = Math.ceil((perMinute * load.peak) / target - 1e-9);
    const usable = Math.min(group.kind === 'fargate-service' ? group.cpu / 1024 : (vcpusOf(group.instanceType) ?? 1), group.workers ?? 1);
    const fitting = Math.round(requestsPerTarget(perOrigin, profile.targetCpuUtilisation, usable));
    const at = `${stage.stage}: at ${requestsPerMonth.toLocaleString('en')} requests a month ${group.id}'s policy (${target.toLocaleString('en')} requests per target a minute)`;
    if (atPeak > group.max) {
      warnings.push(
        `${at} wants ${atPeak} targets at peak and is pinned at its maximum of ${group.max}; one target serves about ${fitting.toLocaleString('en')} a minute at ${profile.targetCpuUtilisation * 100}% CPU (requestsPerTarget)`,
      );
    } else if (atPeak < group.min) {
      warnings.push(`${at} wants ${atPeak} at peak and stays at its minimum of ${group.min}`);
    }
  }
  return warnings;
}
