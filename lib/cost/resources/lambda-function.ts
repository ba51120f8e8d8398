/**
 * A Lambda function: behind a function URL, its share of the origin requests (invocations, duration,
 * cold starts' INIT, logs, and without CloudFront its responses); as Lambda@Edge, the invocations of
 * the behaviours that run it; any other runs outside the request path.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { REGION_LOCATIONS } from '../../edge-regions';
import { ASSUMPTIONS, REGION_GROUP_LOCATIONS, type RegionGroup, type TrafficProfile } from '../profile';
import type { Resource } from './index';
import type { PricedKind, UsageContext } from './kind';
import { retainedMonths } from './log-group';
import { num, referencedIds, required, type ResourceBase } from './template';
import { GB, MILLION } from './units';

export interface LambdaFunction extends ResourceBase {
  readonly kind: 'lambda-function';
  readonly memoryMiB: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly serving: boolean;
  /** Runs as Lambda@Edge on a CloudFront behaviour (priced per invocation with the distribution). */
  readonly edge: boolean;
  /** Retention of its log group; undefined when the log group never expires (Lambda's default). */
  readonly logRetentionDays?: number;
  /** Concurrency reserved for it; undefined when it draws on the region's shared pool. */
  readonly reservedConcurrency?: number;
}

/** Great-circle distance, km. */
/** A month's `gb` of a function's logs: ingested, and kept (compressed) for its log group's retention. */
function chargeLogs(charge: UsageContext['charge'], resource: LambdaFunction, region: string, gb: number, what: string): void {
  charge(resource, 'Amazon CloudWatch', region, 'logs.ingestion', 'GB', gb, what);
  const kept = gb * ASSUMPTIONS.logStorageCompression * retainedMonths(resource.logRetentionDays);
  charge(resource, 'Amazon CloudWatch', region, 'logs.storage', 'GB-month', kept, `${what} kept`);
}

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
export function shareByNearestRegion(functions: LambdaFunction[], profile: TrafficProfile): Map<Resource, number> {
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

export const lambdaFunction: PricedKind<LambdaFunction> = {
  kind: 'lambda-function',
  cfnTypes: ['AWS::Lambda::Function'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const architecture = (p.Architectures ?? ['x86_64'])[0] === 'arm64' ? 'arm64' : 'x86_64';
    // A function behind a function URL answers requests; a Lambda@Edge function runs on a CloudFront
    // behaviour's; any other runs at deployment or on events.
    const serving = view.referencing('AWS::Lambda::Url', id, 'TargetFunctionArn').length > 0;
    const edge = view
      .ofType('AWS::CloudFront::Distribution')
      .some(([, d]) =>
        [...(d.Properties?.DistributionConfig?.CacheBehaviors ?? []), d.Properties?.DistributionConfig?.DefaultCacheBehavior ?? {}].some(
          (b: any) => (b.LambdaFunctionAssociations ?? []).some((a: any) => view.lambdaBehind(a.LambdaFunctionARN) === id),
        ),
      );
    return [
      {
        ...view.base(id, r),
        kind: 'lambda-function',
        memoryMiB: required(num(p.MemorySize, 128), 'MemorySize'),
        architecture,
        serving,
        edge,
        logRetentionDays: num(view.get([...referencedIds(p.LoggingConfig?.LogGroup)][0] ?? '')?.Properties?.RetentionInDays),
        reservedConcurrency: num(p.ReservedConcurrentExecutions),
      },
    ];
  },
  usage(resource, { charge, note, stage, traffic, profile }) {
    const { region } = resource;
    if (resource.edge) {
      const invocations = traffic.behaviorInvocations.get(`${resource.stack}/${resource.id}`) ?? 0;
      const gbSeconds = invocations * (ASSUMPTIONS.lambdaEdgeDurationMs / 1000) * (resource.memoryMiB / 1024);
      charge(resource, 'AWS Lambda', region, 'lambda-edge.requests', 'million requests', invocations / MILLION, 'Lambda@Edge invocations');
      charge(
        resource,
        'AWS Lambda',
        region,
        'lambda-edge.duration',
        'GB-second',
        gbSeconds,
        `Lambda@Edge, ${resource.memoryMiB} MB, ${ASSUMPTIONS.lambdaEdgeDurationMs} ms`,
      );
      chargeLogs(charge, resource, region, (invocations * ASSUMPTIONS.lambdaPlatformLogBytes) / GB, 'Lambda@Edge logs');
      return;
    }
    if (!resource.serving) {
      note(`${stage.stage}: ${resource.id} runs outside the request path (deployment or events): not priced per request`);
      return;
    }
    const functionShare = traffic.functionShares.get(resource) ?? 0;
    const invocations = traffic.originRequests * functionShare;
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
    chargeLogs(charge, resource, region, logGb, 'function logs');
    if (!traffic.viaCloudFront)
      charge(
        resource,
        'Data transfer',
        region,
        'data-transfer.internet-out',
        'GB',
        (traffic.originResponseBytes * functionShare) / GB,
        'responses to the internet',
      );
  },
};
