/** A CloudFront distribution: requests and data out by the region groups of its price class, and what it sends the origin. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { REGION_GROUPS, type RegionGroup } from '../profile';
import type { PricedKind } from './kind';
import { GB } from './units';
import { num, referencedIds, type ResourceBase, type TemplateView } from './template';

/** A function run by CloudFront on a behaviour's requests: Lambda@Edge or a CloudFront Function. */
export interface FunctionAssociation {
  readonly eventType: 'viewer-request' | 'viewer-response' | 'origin-request' | 'origin-response';
  /** Logical id of the function in the same template; undefined when it lives elsewhere. */
  readonly functionId?: string;
}

/** One CloudFront cache behaviour, in the order CloudFront matches them (the default last, pattern null). */
export interface CacheBehavior {
  readonly pathPattern: string | null;
  /** A cache policy other than CachingDisabled. */
  readonly cached: boolean;
  /**
   * CloudFront compresses its responses for viewers that accept gzip or Brotli: `Compress` on, and a
   * cache policy that caches and puts the encodings in the cache key (CachingDisabled does neither).
   */
  readonly compresses: boolean;
  readonly lambdaEdge: FunctionAssociation[];
  readonly cloudFrontFunctions: FunctionAssociation[];
}

export interface CloudFrontDistribution extends ResourceBase {
  readonly kind: 'cloudfront';
  readonly priceClass: string;
  readonly behaviors: CacheBehavior[];
}

/** The managed CloudFront cache policy "CachingDisabled". */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/** Managed cache policies that cache with gzip and Brotli in the cache key ("CachingOptimized"). */
const MANAGED_COMPRESSING_POLICIES = new Set(['658327ea-f89d-4fab-a63d-7e88639e58f6']);

/** Price classes and the region groups whose edge locations they use. */
const PRICE_CLASS_GROUPS: Readonly<Record<string, readonly RegionGroup[]>> = {
  PriceClass_100: ['north-america', 'europe'],
  PriceClass_200: ['north-america', 'europe', 'south-africa-middle-east', 'japan', 'asia', 'india'],
  PriceClass_All: REGION_GROUPS,
};

/** Whether a behaviour's cache policy (managed, or one in the template) caches and lets CloudFront compress. */
function policyCompresses(view: TemplateView, policyId: unknown): boolean {
  if (typeof policyId === 'string') return MANAGED_COMPRESSING_POLICIES.has(policyId);
  const config = view.get([...referencedIds(policyId)][0] ?? '')?.Properties?.CachePolicyConfig;
  const keyed = config?.ParametersInCacheKeyAndForwardedToOrigin;
  const caches = (num(config?.MaxTTL) ?? 0) > 0 || (num(config?.DefaultTTL) ?? 0) > 0;
  return caches && (keyed?.EnableAcceptEncodingGzip === true || keyed?.EnableAcceptEncodingBrotli === true);
}

/** The behaviour CloudFront serves `path` with: the first whose pattern matches, else the default. */
export function behaviorFor(distribution: CloudFrontDistribution, path: string): CacheBehavior {
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

export const cloudFrontDistribution: PricedKind<CloudFrontDistribution> = {
  kind: 'cloudfront',
  cfnTypes: ['AWS::CloudFront::Distribution'],
  read(view, id, r) {
    const config = r.Properties?.DistributionConfig ?? {};
    const behaviors = [...(config.CacheBehaviors ?? []), { ...config.DefaultCacheBehavior, PathPattern: null }].map((b: any) => ({
      pathPattern: b.PathPattern === null ? null : String(b.PathPattern),
      cached: b.CachePolicyId !== undefined && b.CachePolicyId !== CACHING_DISABLED,
      compresses: b.Compress === true && policyCompresses(view, b.CachePolicyId),
      lambdaEdge: (b.LambdaFunctionAssociations ?? []).map((a: any) => ({
        eventType: a.EventType,
        functionId: view.lambdaBehind(a.LambdaFunctionARN),
      })),
      cloudFrontFunctions: (b.FunctionAssociations ?? []).map((a: any) => ({
        eventType: a.EventType,
        functionId: [...referencedIds(a.FunctionARN)][0],
      })),
    }));
    return [{ ...view.base(id, r), kind: 'cloudfront', priceClass: config.PriceClass ?? 'PriceClass_All', behaviors }];
  },
  usage(resource, { profile, traffic: stage, charge, cannotQuantify, distribution }) {
    const region = resource.region;
    const allowed = PRICE_CLASS_GROUPS[resource.priceClass];
    if (allowed === undefined) {
      cannotQuantify(resource, `unknown price class ${resource.priceClass}`);
      return;
    }
    const traffic = stage.edge.get(resource)!;
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
    distribution({
      resource: self,
      region,
      requests: traffic.requests,
      dataGb: traffic.viewerBytes / GB,
      flatRateExcluded:
        edgeFunctions.length > 0
          ? `flat-rate plans do not support Lambda@Edge, which its behaviours run (${[...new Set(edgeFunctions)].join(', ')})`
          : undefined,
    });
  },
};
