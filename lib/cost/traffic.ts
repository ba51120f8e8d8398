/**
 * One stage's month of traffic at a volume: what viewers send, which CloudFront behaviour serves it,
 * what reaches the origin, and the CPU the origin load needs on the service and on the database. The
 * resource kinds (lib/cost/resources/) bill their quantities from it.
 */
import type { Capacity } from '../capacity-figures';
import { ASSUMPTIONS, SECONDS_PER_MONTH, type TrafficProfile } from './profile';
import { behaviorFor, type CacheBehavior } from './resources/cloudfront-distribution';
import type { Resource, ResourceOf } from './resources/index';
import { shareByNearestRegion } from './resources/lambda-function';

/** The paths of the kinds of request the profile distinguishes. */
export const FLAG_LIST_PATH = '/api/v1/flags/';
const IDENTITY_PATH = '/api/v1/identities/';
const DOCUMENT_PATH = '/api/v1/environment-document/';

/** What one CloudFront distribution carries in a month. */
export interface EdgeTraffic {
  /** Viewer requests. */
  readonly requests: number;
  /** Bytes sent to viewers. */
  readonly viewerBytes: number;
  /** Bytes CloudFront sends the origin: request lines, headers and bodies. */
  readonly originBytes: number;
}

export interface StageTraffic {
  readonly identityRequests: number;
  readonly flagRequests: number;
  /** Server SDKs' polls of the environment document, on top of the volume. */
  readonly pollRequests: number;
  readonly originFlagRequests: number;
  readonly originPollRequests: number;
  readonly originRequests: number;
  /** Bytes of the responses the origin sends, uncompressed (the service and the edge functions do not compress). */
  readonly originResponseBytes: number;
  readonly identityWrites: number;
  /** Whether the stage serves through CloudFront (else the origin answers viewers directly). */
  readonly viaCloudFront: boolean;
  /** Each distribution's month. */
  readonly edge: ReadonlyMap<Resource, EdgeTraffic>;
  /** Invocations of functions CloudFront runs on behaviours (Lambda@Edge, CloudFront Functions), by `stack/id`. */
  readonly behaviorInvocations: ReadonlyMap<string, number>;
  /** The distribution whose behaviours run each CloudFront Function, by `stack/id`: its flat-rate plan would include them. */
  readonly functionDistribution: ReadonlyMap<string, string>;
  /** vCPUs the origin load needs on the service. */
  readonly serviceVcpus: number;
  /** vCPUs the identity requests need on the stage's database (zero when it runs on the service's host). */
  readonly databaseVcpus: number;
  /** Aurora clusters and RDS instances. */
  readonly databases: number;
  /** The Lambda functions behind function URLs, and the share of origin requests each answers. */
  readonly servingFunctions: ResourceOf<'lambda-function'>[];
  readonly functionShares: ReadonlyMap<Resource, number>;
  /** The share of the origin load on each compute group (instance, Auto Scaling group, Fargate service, serving function). */
  readonly computeShare: number;
}

export const perSecond = (perMonth: number) => perMonth / SECONDS_PER_MONTH;

/**
 * Bytes a viewer receives per response of each kind, headers included: compressed where the layer in
 * front compresses (identity responses carry the same flags as a flag list, and compress alike).
 */
export function responseSizes(profile: TrafficProfile, compressed: boolean): { flagList: number; identity: number; document: number } {
  return compressed
    ? {
        flagList: profile.compressedResponseBytes,
        identity: profile.compressedResponseBytes,
        document: profile.compressedEnvironmentDocumentBytes,
      }
    : { flagList: profile.meanResponseBytes, identity: profile.meanResponseBytes, document: profile.environmentDocumentBytes };
}

/** The traffic of `resources` at `requestsPerMonth`; a behaviour's function defined outside the stack goes to `cannotQuantify`. */
export function stageTraffic(
  resources: readonly Resource[],
  { requestsPerMonth, profile, capacity }: { requestsPerMonth: number; profile: TrafficProfile; capacity: Capacity },
  cannotQuantify: (resource: Resource, reason: string) => void,
): StageTraffic {
  const of = <K extends Resource['kind']>(kind: K) => resources.filter((r): r is ResourceOf<K> => r.kind === kind);
  const identityRequests = requestsPerMonth * profile.identityShare;
  const flagRequests = requestsPerMonth - identityRequests;
  // Server SDKs in local-evaluation mode poll the environment document, whatever the volume.
  const pollRequests = (profile.serverSdks * SECONDS_PER_MONTH) / profile.pollSeconds;
  const distributions = of('cloudfront');
  let originFlagRequests = distributions.length === 0 ? flagRequests : 0;
  let originPollRequests = distributions.length === 0 ? pollRequests : 0;
  const behaviorInvocations = new Map<string, number>();
  const functionDistribution = new Map<string, string>();
  const edge = new Map<Resource, EdgeTraffic>();
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
    edge.set(distribution, {
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
  const originResponseBytes =
    (originFlagRequests + identityRequests) * profile.meanResponseBytes + originPollRequests * profile.environmentDocumentBytes;

  // CPU the origin load needs, on the service and on the database.
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
  const computeGroups = [...of('ec2-instance'), ...of('auto-scaling-group'), ...of('fargate-service'), ...servingFunctions];
  return {
    identityRequests,
    flagRequests,
    pollRequests,
    originFlagRequests,
    originPollRequests,
    originRequests,
    originResponseBytes,
    identityWrites: identityRequests * profile.identityWriteShare,
    viaCloudFront: distributions.length > 0,
    edge,
    behaviorInvocations,
    functionDistribution,
    serviceVcpus,
    databaseVcpus,
    databases: databases.length,
    servingFunctions,
    functionShares: shareByNearestRegion(servingFunctions, profile),
    computeShare: computeGroups.length > 0 ? 1 / computeGroups.length : 0,
  };
}
