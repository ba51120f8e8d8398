// CORS through every stage: the service (and the edge function) answers it from FLAGSTACK_CORS_ORIGINS,
// so each stage must pass the setting on, and each CloudFront behaviour must let preflights through,
// forward what the answer depends on, and never serve one origin's cached answer to another.
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { FrontDoor } from '../../lib/constructs/front-door';
import { buildApp } from './app';

const ORIGINS = 'https://shop.example,http://localhost:3000';
const { stacks } = buildApp({ corsOrigins: ORIGINS });
const CORS_REQUEST_HEADERS = ['origin', 'access-control-request-method', 'access-control-request-headers'];

/** One cache behaviour of a distribution, its policies resolved. */
interface Behaviour {
  readonly path: string;
  readonly allowedMethods: string[];
  readonly cachedMethods: string[];
  /** Whether responses are cached (its cache policy keeps them more than 0 s). */
  readonly caches: boolean;
  /** Lower-case headers in the cache key. */
  readonly cacheKeyHeaders: string[];
  /** Lower-case headers that reach the origin: the cache key's and the origin request policy's; 'all' for every viewer header. */
  readonly forwardedHeaders: string[] | 'all';
  readonly responseHeadersPolicyId?: unknown;
}

const MANAGED_CACHE_POLICIES: Record<string, { caches: boolean; headers: string[] }> = {
  [cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId]: { caches: false, headers: [] },
};
const MANAGED_ORIGIN_REQUEST_POLICIES: Record<string, string[] | 'all'> = {
  [cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId]: 'all',
};

function behavioursOf(template: Template): Behaviour[] {
  const distributions = Object.values(template.findResources('AWS::CloudFront::Distribution'));
  expect(distributions).toHaveLength(1);
  const config = distributions[0].Properties.DistributionConfig;
  const resource = (type: string, id: unknown) => {
    const logicalId = (id as { Ref?: string }).Ref;
    const found = logicalId === undefined ? undefined : template.findResources(type)[logicalId];
    if (found === undefined) throw new Error(`no ${type} ${JSON.stringify(id)} in the template`);
    return found.Properties;
  };
  const lower = (headers: string[] | undefined) => (headers ?? []).map((header) => header.toLowerCase());
  return [{ ...config.DefaultCacheBehavior, PathPattern: '*' }, ...(config.CacheBehaviors ?? [])].map((behaviour) => {
    const cache =
      typeof behaviour.CachePolicyId === 'string'
        ? MANAGED_CACHE_POLICIES[behaviour.CachePolicyId]
        : (({ CachePolicyConfig: c }) => ({
            caches: c.MaxTTL > 0,
            headers: lower(c.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers),
          }))(resource('AWS::CloudFront::CachePolicy', behaviour.CachePolicyId));
    expect(cache).toBeDefined();
    let requested: string[] | 'all' = [];
    if (typeof behaviour.OriginRequestPolicyId === 'string') requested = MANAGED_ORIGIN_REQUEST_POLICIES[behaviour.OriginRequestPolicyId];
    else if (behaviour.OriginRequestPolicyId !== undefined) {
      const { HeadersConfig } = resource('AWS::CloudFront::OriginRequestPolicy', behaviour.OriginRequestPolicyId).OriginRequestPolicyConfig;
      requested = HeadersConfig.HeaderBehavior === 'allViewer' ? 'all' : lower(HeadersConfig.Headers);
    }
    expect(requested).toBeDefined();
    return {
      path: behaviour.PathPattern,
      allowedMethods: behaviour.AllowedMethods ?? ['GET', 'HEAD'],
      cachedMethods: behaviour.CachedMethods ?? ['GET', 'HEAD'],
      caches: cache.caches,
      cacheKeyHeaders: cache.headers,
      forwardedHeaders: requested === 'all' ? 'all' : [...cache.headers, ...requested],
      responseHeadersPolicyId: behaviour.ResponseHeadersPolicyId,
    };
  });
}

const withCloudFront: [string, () => Template][] = [
  ['Flagstack-Autoscaled', () => Template.fromStack(stacks.autoscaled)],
  ['Flagstack-Fargate', () => Template.fromStack(stacks.fargate)],
  ['Flagstack-Edge', () => Template.fromStack(stacks.edge.home)],
];

describe('CORS through CloudFront', () => {
  it.each(withCloudFront)('%s: every behaviour lets preflights (OPTIONS) through', (_stack, template) => {
    for (const behaviour of behavioursOf(template()))
      expect([behaviour.path, behaviour.allowedMethods]).toEqual([behaviour.path, expect.arrayContaining(['OPTIONS'])]);
  });

  it.each(withCloudFront)('%s: every behaviour forwards Origin and the Access-Control-Request-* headers', (_stack, template) => {
    for (const behaviour of behavioursOf(template())) {
      if (behaviour.forwardedHeaders === 'all') continue;
      expect([behaviour.path, behaviour.forwardedHeaders]).toEqual([behaviour.path, expect.arrayContaining(CORS_REQUEST_HEADERS)]);
    }
  });

  it.each(withCloudFront)('%s: a behaviour that caches keys its answers on Origin, and preflights on what they ask', (_stack, template) => {
    const cached = behavioursOf(template()).filter((behaviour) => behaviour.caches);
    expect(cached.map((behaviour) => behaviour.path)).toContain('/api/v1/flags/*');
    for (const behaviour of cached) {
      expect([behaviour.path, behaviour.cacheKeyHeaders]).toEqual([behaviour.path, expect.arrayContaining(['origin'])]);
      if (behaviour.cachedMethods.includes('OPTIONS')) {
        expect([behaviour.path, behaviour.cacheKeyHeaders]).toEqual([behaviour.path, expect.arrayContaining(CORS_REQUEST_HEADERS)]);
      }
    }
  });

  it.each(withCloudFront)("%s: no response headers policy rewrites the service's Access-Control-* headers", (_stack, template) => {
    for (const behaviour of behavioursOf(template()))
      expect([behaviour.path, behaviour.responseHeadersPolicyId]).toEqual([behaviour.path, undefined]);
    template().resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 0);
  });

  it('with flag lists not cached, forwards to the origin what their cache key would have held', () => {
    const stack = new Stack(undefined, 'Uncached', { env: { account: '123456789012', region: 'us-east-1' } });
    new FrontDoor(stack, 'FrontDoor', { vpc: new ec2.Vpc(stack, 'Vpc'), flagsCacheTtl: Duration.seconds(0) });
    const flags = behavioursOf(Template.fromStack(stack)).find((behaviour) => behaviour.path === '/api/v1/flags/*')!;
    expect(flags.caches).toBe(false);
    expect(flags.forwardedHeaders).toEqual(expect.arrayContaining(['x-environment-key', ...CORS_REQUEST_HEADERS]));
  });
});

describe('FLAGSTACK_CORS_ORIGINS', () => {
  const userDataOf = (template: Template, type: string) => JSON.stringify(template.findResources(type));

  it('reaches the service in every stage', () => {
    expect(userDataOf(Template.fromStack(stacks['single-box']), 'AWS::EC2::Instance')).toContain(
      `Environment=FLAGSTACK_CORS_ORIGINS=${ORIGINS}`,
    );
    expect(userDataOf(Template.fromStack(stacks.autoscaled), 'AWS::EC2::LaunchTemplate')).toContain(
      `Environment=FLAGSTACK_CORS_ORIGINS=${ORIGINS}`,
    );
    const task = Object.values(Template.fromStack(stacks.fargate).findResources('AWS::ECS::TaskDefinition'))[0];
    expect(task.Properties.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'FLAGSTACK_CORS_ORIGINS', Value: ORIGINS });
  });

  it('reaches the edge function in every region', () => {
    for (const stack of [stacks.edge.home, ...stacks.edge.regions]) {
      const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
        (fn) => fn.Properties.FunctionName === 'flagstack-edge',
      );
      expect(functions.map((fn) => fn.Properties.Environment.Variables.FLAGSTACK_CORS_ORIGINS)).toEqual([ORIGINS]);
    }
  });
});
