/**
 * What the estimate assumes about traffic (the profile, each field overridable from the command
 * line or measured live), about how much work a vCPU does (the capacity figure, from `npm run
 * bench`), and the fixed modelling constants, each with where it comes from.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Capacity, DEFAULT_REQUEST_MIX } from '../capacity-figures';

/** Seconds and hours in the 730-hour month AWS prices by. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

const Share = (fallback: number, description: string) => Type.Number({ minimum: 0, maximum: 1, default: fallback, description });

/** CloudFront region groups, as priced (lib/cost/prices/global.json). */
export const REGION_GROUPS = [
  'north-america',
  'europe',
  'south-africa-middle-east',
  'south-america',
  'japan',
  'australia-new-zealand',
  'asia',
  'india',
] as const;
export type RegionGroup = (typeof REGION_GROUPS)[number];

/**
 * Where each region group's viewers are, roughly (a metro near the middle of its traffic): what the
 * model routes to the nearest edge region, as the edge stage's CloudFront router does per request.
 */
export const REGION_GROUP_LOCATIONS: Readonly<Record<RegionGroup, { latitude: number; longitude: number }>> = {
  'north-america': { latitude: 39.8, longitude: -89.6 }, // Illinois
  europe: { latitude: 50.1, longitude: 8.7 }, // Frankfurt
  'south-africa-middle-east': { latitude: 25.2, longitude: 55.3 }, // Dubai
  'south-america': { latitude: -23.5, longitude: -46.6 }, // São Paulo
  japan: { latitude: 35.7, longitude: 139.7 }, // Tokyo
  'australia-new-zealand': { latitude: -33.9, longitude: 151.2 }, // Sydney
  asia: { latitude: 13.8, longitude: 100.5 }, // Bangkok
  india: { latitude: 19.1, longitude: 72.9 }, // Mumbai
};

export const TrafficProfileSchema = Type.Object(
  {
    meanResponseBytes: Type.Number({
      minimum: 0,
      default: 5800,
      description:
        'bytes of a flag-list or identity response, headers included, uncompressed (measured: 6,057 for the flag list of a 20-flag environment, 360 of them headers; test/cost/response-sizes.test.ts)',
    }),
    compressedResponseBytes: Type.Number({
      minimum: 0,
      default: 1250,
      description:
        "the same response gzipped, headers included: what viewers receive where CloudFront (a caching behaviour with gzip and Brotli on) or the single box's Caddy compresses (measured: 1,248-1,258)",
    }),
    flagsPerRequest: Type.Integer({
      minimum: 1,
      default: 20,
      description:
        "flags one flag-list or identity response carries (the environment's features); the sizes' defaults are for 20 and grow in proportion, headers aside (for compressed sizes an upper bound: gzip finds more repetition in longer lists)",
    }),
    environmentDocumentBytes: Type.Number({
      minimum: 0,
      default: 9600,
      description:
        'bytes of an environment document (GET /api/v1/environment-document/), headers included, uncompressed (measured: 9,618 for the same environment: 21 features, one of them server-side only, and 4 segments)',
    }),
    compressedEnvironmentDocumentBytes: Type.Number({
      minimum: 0,
      default: 2650,
      description: 'the same document gzipped, headers included (measured: 2,640)',
    }),
    serverSdks: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'server-side SDK instances in local-evaluation mode, each polling the environment document; their polls come on top of the monthly requests',
    }),
    pollSeconds: Type.Number({
      minimum: 1,
      default: 60,
      description: "seconds between one server SDK's polls (the Flagsmith SDKs' environment refresh interval defaults to 60)",
    }),
    requestBodyBytes: Type.Number({
      minimum: 0,
      default: 150,
      description: 'bytes of an identity request body (measured: 121-123 with two traits)',
    }),
    identityShare: Share(
      DEFAULT_REQUEST_MIX.identityShare,
      'share of requests that are identity requests (POST/GET /api/v1/identities/: never cached, read traits)',
    ),
    identityWriteShare: Share(
      0.1,
      'share of identity requests that change a trait (a database write); SDKs resend unchanged traits, which cost no write',
    ),
    loadBalancerBytesPerRequest: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'bytes the load balancer processes per request, both ways, headers included (live: its ProcessedBytes over its RequestCount); unset: meanResponseBytes, the request headers and the identity request bodies',
      }),
    ),
    requestsPerConnection: Type.Number({
      minimum: 1,
      default: 100,
      description: 'requests per connection the load balancer sees (CloudFront reuses origin connections)',
    }),
    lambdaDurationMs: Type.Number({
      minimum: 1,
      default: 20,
      description:
        'mean billed duration of an edge function invocation, ms (with --bench, from the edge handler it measured: lambdaDurationFromEdge)',
    }),
    coldStartShare: Share(
      0.01,
      "share of an edge function's invocations that start a new execution environment, whose INIT Lambda bills since 2025-08-01 (AWS: under 1% of invocations in production workloads; fewer at steady high volume)",
    ),
    initDurationMs: Type.Number({
      minimum: 0,
      default: 400,
      description:
        "billed INIT duration of a cold start, ms (an estimate: loading the edge bundle takes 185-210 ms on a full core of the bench machine, plus the runtime's own start, on the fraction of a vCPU 512 MB gets; Lambda's REPORT line gives the real Init Duration)",
    }),
    cacheHitRatio: Share(
      DEFAULT_REQUEST_MIX.cacheHitRatio,
      'share of cacheable flag-list requests CloudFront answers from its cache (5-second TTL per environment key)',
    ),
    logBytesPerRequest: Type.Number({
      minimum: 0,
      default: 420,
      description:
        "service log bytes per request (measured: 416, fastify's 'incoming request' and 'request completed' lines at LOG_LEVEL=info)",
    }),
    functionLogBytesPerRequest: Type.Number({
      minimum: 0,
      default: 0,
      description:
        "an edge function's own log bytes per invocation, besides Lambda's START/END/REPORT lines (the edge handler logs errors only)",
    }),
    dataSizeGb: Type.Number({ minimum: 0, default: 1, description: 'database size: flags, identities and traits, GB' }),
    targetCpuUtilisation: Share(
      DEFAULT_REQUEST_MIX.targetCpuUtilisation,
      'average CPU utilisation capacity is sized for, leaving headroom for peaks',
    ),
    viewerShares: Type.Partial(
      Type.Record(Type.Union(REGION_GROUPS.map((group) => Type.Literal(group))), Type.Number({ minimum: 0, maximum: 1 })),
      {
        default: { 'north-america': 0.5, europe: 0.35, asia: 0.1, 'south-america': 0.05 },
        description: 'where viewers are, by CloudFront region group (shares summing to 1)',
      },
    ),
  },
  { additionalProperties: false },
);
export type TrafficProfile = Static<typeof TrafficProfileSchema>;

/** The flags of the environment the size defaults were measured on (test/cost/response-sizes.test.ts). */
const MEASURED_FLAGS = 20;
/** Each size's headers, which do not grow with the flags (a compressed response adds `Content-Encoding: gzip`). */
const HEADER_BYTES = {
  meanResponseBytes: 360,
  compressedResponseBytes: 384,
  environmentDocumentBytes: 412,
  compressedEnvironmentDocumentBytes: 436,
} as const;

/**
 * The default profile; `overrides` are validated and applied on top. With `flagsPerRequest` other than
 * the measured 20, the sizes not given grow (or shrink) in proportion to the flags, headers aside.
 */
export function trafficProfile(overrides: Partial<TrafficProfile> = {}): TrafficProfile {
  // Viewer shares given replace the default ones whole (defaults would otherwise fill the other groups in).
  const { viewerShares, ...rest } = structuredClone(overrides);
  const given = new Set(Object.keys(rest));
  const profile = Value.Default(TrafficProfileSchema, rest) as TrafficProfile;
  if (typeof profile.flagsPerRequest === 'number' && profile.flagsPerRequest !== MEASURED_FLAGS) {
    for (const [field, headers] of Object.entries(HEADER_BYTES) as [keyof typeof HEADER_BYTES, number][]) {
      if (given.has(field)) continue;
      profile[field] = headers + ((profile[field] - headers) * profile.flagsPerRequest) / MEASURED_FLAGS;
    }
  }
  if (viewerShares !== undefined) profile.viewerShares = viewerShares;
  const problems = [...Value.Errors(TrafficProfileSchema, profile)].map((e) => `${e.path.slice(1) || 'profile'}: ${e.message}`);
  const shares = Object.values(profile.viewerShares as Record<string, number>).reduce((sum, share) => sum + share, 0);
  if (Math.abs(shares - 1) > 1e-6) problems.push(`viewerShares: must sum to 1, not ${shares}`);
  if (problems.length > 0) throw new Error(`Invalid traffic profile:\n  ${problems.join('\n  ')}`);
  return profile;
}

/** A figure of a bench file: the median over a scenario's turns, and how many turns (undefined: over all of them, as older files give it). */
type BenchFigure = { value: number; turns?: number };

/**
 * Reads the capacity figures from `npm run bench -- --json FILE` output. Where the bench measured CPU
 * time per request (the service's, and the local PostgreSQL's), one vCPU serves 10⁶ / (µs per
 * request) requests a second, whatever else shared the machine: the median over the scenario's turns
 * where the file has it (`overTurns`), else the figure over all of them. Older files give requests a
 * second, divided by the machine's vCPUs. The source says too what the file measured of the edge
 * handler, which sets the profile's lambdaDurationMs (see edgeHandlerFromBench).
 */
export function capacityFromBench(bench: unknown, fileName: string, vcpusOverride?: number): Capacity {
  type Spread = { median?: number };
  type Load = { rps?: number; cpuMicrosPerRequest?: number; databaseCpuMicrosPerRequest?: number };
  type Scenario = {
    name?: string;
    service?: Load;
    turns?: unknown[];
    overTurns?: { cpuMicrosPerRequest?: Spread; databaseCpuMicrosPerRequest?: Spread };
  };
  const doc = bench as { scenarios?: Scenario[]; cpus?: number; measuredAt?: string };
  const measured = (prefix: string) => {
    const scenario = doc.scenarios?.find((s) => typeof s.name === 'string' && s.name.startsWith(prefix));
    const rps = scenario?.service?.rps;
    if (typeof rps !== 'number' || !(rps > 0))
      throw new Error(`${fileName}: no "${prefix}" scenario with service.rps (is it \`npm run bench -- --json\` output?)`);
    const figure = (overTurns: Spread | undefined, overall: number | undefined): BenchFigure | undefined => {
      if (typeof overTurns?.median === 'number') return { value: overTurns.median, turns: scenario!.turns?.length };
      return typeof overall === 'number' ? { value: overall } : undefined;
    };
    return {
      rps,
      cpu: figure(scenario!.overTurns?.cpuMicrosPerRequest, scenario!.service!.cpuMicrosPerRequest),
      database: figure(scenario!.overTurns?.databaseCpuMicrosPerRequest, scenario!.service!.databaseCpuMicrosPerRequest),
    };
  };
  const flags = measured('GET /api/v1/flags/');
  const identities = measured('POST /api/v1/identities/');
  const from = `${fileName}${doc.measuredAt ? ` (${doc.measuredAt})` : ''}`;
  const edge = edgeHandlerFromBench(bench);
  const edgeRead = edge
    ? `; the edge handler ${twoDigits(edge.flags)} ms per flag list and ${twoDigits(edge.identity)} ms per identity request in process, ` +
      `DynamoDB mocked (${overTurns(edge.turns)})`
    : '';
  if (isPositive(flags.cpu?.value) && isPositive(identities.cpu?.value)) {
    const flagMicros = flags.cpu.value;
    const database = identities.database?.value ?? 0;
    const identityMicros = identities.cpu.value + database;
    return {
      flagRpsPerVcpu: 1e6 / flagMicros,
      identityRpsPerVcpu: 1e6 / identityMicros,
      // With PGlite (no separate database process) the database's work is inside the service's figure.
      databaseShareOfIdentityCpu: database > 0 ? database / identityMicros : ASSUMPTIONS.databaseShareOfIdentityCpu,
      source:
        `${from}: ${Math.round(flagMicros)} µs of CPU per flag request, ` +
        `${Math.round(identities.cpu.value)} + ${Math.round(database)} µs (service + database) per identity request` +
        (flags.cpu.turns === undefined ? '' : ` (${overTurns(flags.cpu.turns)})`) +
        edgeRead,
    };
  }
  const vcpus = vcpusOverride ?? doc.cpus;
  if (vcpus === undefined) throw new Error(`${fileName} does not say how many vCPUs the bench machine had: pass --bench-vcpus N`);
  return {
    flagRpsPerVcpu: flags.rps / vcpus,
    identityRpsPerVcpu: identities.rps / vcpus,
    databaseShareOfIdentityCpu: ASSUMPTIONS.databaseShareOfIdentityCpu,
    source: `${from}: ${Math.round(flags.rps)} flag and ${Math.round(identities.rps)} identity req/s on ${vcpus} vCPUs${edgeRead}`,
  };
}

const twoDigits = (value: number) => Number(value.toPrecision(2));
const overTurns = (turns: number | undefined) => (turns === undefined ? 'over all its turns' : `medians of ${turns} turns`);

/** The edge handler's time per invocation, ms, as `npm run bench` measures it: in process, DynamoDB mocked. */
export interface EdgeHandlerMs {
  flags: number;
  identity: number;
  /** How many turns the figures are the medians of. */
  turns?: number;
}

/** The edge handler's medians from a bench file (`edge.flagsMs.median`, `edge.identityMs.median`), if it measured the handler. */
export function edgeHandlerFromBench(bench: unknown): EdgeHandlerMs | undefined {
  const edge = (bench as { edge?: { flagsMs?: { median?: number }; identityMs?: { median?: number }; turns?: number } }).edge;
  const [flags, identity] = [edge?.flagsMs?.median, edge?.identityMs?.median];
  if (!isPositive(flags) || !isPositive(identity)) return undefined;
  return { flags, identity, turns: edge!.turns };
}

/**
 * An edge function's mean billed duration from its handler's time: each invocation billed in whole
 * milliseconds, rounded up (as Lambda bills); an identity request adding a DynamoDB round trip for its
 * trait read and, when a trait changed, one for its write (the bench mocks the table, so its figures
 * have neither); the kinds weighted by their share of the function's invocations (the flag lists
 * CloudFront does not answer from its cache, and every identity request). The handler's time is the
 * bench machine's, on a whole core: a function of less than 1,769 MB has a fraction of a vCPU, which
 * stretches its CPU-bound part, a fraction of a millisecond, by up to that fraction's inverse.
 */
export function lambdaDurationFromEdge(edge: EdgeHandlerMs, profile: TrafficProfile): number {
  const billed = (ms: number) => Math.max(1, Math.ceil(ms));
  const roundTrip = ASSUMPTIONS.dynamoDbRoundTripMs;
  const identityMs =
    (1 - profile.identityWriteShare) * billed(edge.identity + roundTrip) +
    profile.identityWriteShare * billed(edge.identity + 2 * roundTrip);
  const flagInvocations = (1 - profile.identityShare) * (1 - profile.cacheHitRatio);
  const identityInvocations = profile.identityShare;
  const invocations = flagInvocations + identityInvocations;
  if (invocations === 0) return billed(edge.flags);
  const mean = (flagInvocations * billed(edge.flags) + identityInvocations * identityMs) / invocations;
  return Math.round(mean * 100) / 100;
}

const isPositive = (value: number | undefined): value is number => typeof value === 'number' && value > 0;

/** One figure for every kind of request (`--capacity-rps-per-vcpu`). */
export function uniformCapacity(rpsPerVcpu: number): Capacity {
  return {
    flagRpsPerVcpu: rpsPerVcpu,
    identityRpsPerVcpu: rpsPerVcpu,
    databaseShareOfIdentityCpu: ASSUMPTIONS.databaseShareOfIdentityCpu,
    source: `--capacity-rps-per-vcpu ${rpsPerVcpu}`,
  };
}

/** Modelling constants: not traffic, not prices; each with its reason. */
export const ASSUMPTIONS = {
  /** Share of an identity request's CPU that is PostgreSQL's, where a bench file does not measure it; flag reads never touch the database. */
  databaseShareOfIdentityCpu: 0.5,
  /** vCPUs per Aurora capacity unit: 1 ACU ≈ 2 GiB with the CPU of an r-family instance (8 GiB per vCPU). */
  vcpusPerAcu: 0.25,
  /** Aurora write I/Os per trait write: log records only, one 4 KB unit per commit; reads come from the buffer cache. */
  auroraIosPerIdentityWrite: 1,
  /** Bytes of request line and headers per request to the origin: what the load balancer processes besides the response, and what CloudFront sends to the origin. */
  requestHeaderBytes: 400,
  /** Seconds an origin connection stays open (CloudFront's origin keep-alive default is 5 s). */
  connectionSeconds: 5,
  /** CloudWatch metrics of EC2 detailed monitoring, per instance. */
  detailedMonitoringMetrics: 7,
  /** Container Insights (standard) metrics: per cluster, and per service (service and task-family dimensions). */
  containerInsightsMetricsPerCluster: 13,
  containerInsightsMetricsPerService: 25,
  /** Container Insights performance log bytes per task per minute (one task and one container event). */
  containerInsightsBytesPerTaskMinute: 2000,
  /** REJECT-only VPC flow logs per VPC and month (internet scanning of the public addresses), GB. */
  flowLogGbPerMonth: 0.5,
  /** CloudWatch Logs stores log data compressed; billed storage per GB ingested. */
  logStorageCompression: 0.15,
  /** Months of logs kept when a log group never expires. */
  neverExpiringLogMonths: 12,
  /** Billed duration of a Lambda@Edge invocation (hashing a request body), ms. */
  lambdaEdgeDurationMs: 5,
  /** How often a warm edge function checks an environment's version (FLAGSTACK_EDGE_REFRESH_MS's default), seconds. */
  edgeRefreshSeconds: 5,
  /** Lambda's own START, END and REPORT lines per invocation, bytes. */
  lambdaPlatformLogBytes: 300,
  /**
   * A DynamoDB read or write as an edge function waits for it, ms: AWS promises single-digit milliseconds
   * in the same region; an assumed middle, as `npm run bench` mocks the table (live mode measures the real duration).
   */
  dynamoDbRoundTripMs: 4,
  /** DynamoDB read units per identity request (one strongly consistent read of an item up to 4 KB). */
  dynamoReadUnitsPerIdentityRequest: 1,
  /** DynamoDB write units per trait write (an identity item up to 1 KB). */
  dynamoWriteUnitsPerIdentityWrite: 1,
  /** Bytes a global table sends to each other replica region per trait write (the item, up to 1 KB). */
  replicatedWriteBytes: 1000,
  /** Rules of the WAF web ACL the report prices as an option: a rate-based rule and four AWS managed rule groups (each bills as one rule). */
  wafRules: 5,
  /** A pg_dump of the database, per GB of data (compressed custom format). */
  backupBytesPerDataByte: 0.3,
  /** DNS queries reaching Route 53 per request (resolvers cache answers for the record's TTL). */
  dnsQueriesPerRequest: 0.01,
  /** RDS Proxy bills at least this many vCPUs, or ACUs for Aurora Serverless v2 targets. */
  proxyMinimumVcpus: 2,
  proxyMinimumAcus: 8,
} as const;
