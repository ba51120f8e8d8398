/**
 * CloudFront in front of the regional edge functions: every region's function URL is an origin,
 * reached through origin access control (CloudFront signs each request; the URLs accept nothing
 * unsigned). A viewer-request CloudFront Function routes each viewer to the nearest region and the
 * next nearest as its failover (edge-router.ts); a Lambda@Edge function adds the body hash that a
 * signed POST needs (service/edge/content-hash.ts). Flag lists are cached a few seconds per
 * environment key and web origin; identities, OFREP and the environment document are never cached.
 *
 * CloudFront fails over GET, HEAD and OPTIONS only: a POST (identities with traits, OFREP) goes to the
 * viewer's nearest region and gets that region's answer, error or not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Fn, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { REGION_LOCATIONS } from '../edge-regions';
import { FAILOVER_STATUS_CODES, PINNED_PREFIX, routerFunctionCode } from './edge-router';
import { CORS_PREFLIGHT_HEADERS, customDomain, flagsCaching } from './front-door';

export interface EdgeOrigin {
  readonly region: string;
  /** The function URL (`https://….lambda-url.<region>.on.aws/`), a token in the template. */
  readonly functionUrl: string;
}

export interface EdgeDistributionProps {
  /** One per region: the home region first, then the others in failover order. */
  readonly origins: readonly EdgeOrigin[];
  /** Name of the Lambda@Edge function that hashes request bodies. */
  readonly contentHashFunctionName: string;
  /**
   * How long flag lists (`/api/v1/flags/`) are cached per environment key and query; 0 caches nothing.
   * @default Duration.seconds(5)
   */
  readonly flagsCacheTtl?: Duration;
  /**
   * Custom domain; needs `certificateArn`.
   * @default the distribution's cloudfront.net name
   */
  readonly domainName?: string;
  /**
   * ACM certificate in us-east-1 for `domainName`.
   * @default none
   */
  readonly certificateArn?: string;
  /**
   * Directory of the Lambda@Edge bundle (index.js).
   * @default dist/edge-content-hash at the repository root
   */
  readonly contentHashBundleDir?: string;
}

export const DEFAULT_CONTENT_HASH_BUNDLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'edge-content-hash');

/** A function URL origin signed through an origin access control, wherever the function lives. */
class SignedFunctionUrlOrigin extends cloudfront.OriginBase {
  // FunctionUrlOrigin.withOriginAccessControl also grants CloudFront in this stack's region, which
  // cannot reach a function in another; each EdgeRegion grants CloudFront itself.
  constructor(
    functionUrl: string,
    private readonly oac: cloudfront.IOriginAccessControl,
    props: cloudfront.OriginProps,
  ) {
    // `https://host/` → `host`
    super(Fn.select(2, Fn.split('/', functionUrl)), props);
  }

  protected renderCustomOriginConfig(): cloudfront.CfnDistribution.CustomOriginConfigProperty {
    return { originProtocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY, originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2] };
  }

  bind(scope: Construct, options: cloudfront.OriginBindOptions): cloudfront.OriginBindConfig {
    const config = super.bind(scope, options);
    return { ...config, originProperty: { ...config.originProperty!, originAccessControlId: this.oac.originAccessControlId } };
  }
}

export class EdgeDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** Routes viewers to their nearest region. */
  readonly router: cloudfront.Function;
  /** Adds the body hash to signed requests. */
  readonly contentHash: cloudfront.experimental.EdgeFunction;
  readonly flagsCachePolicy: cloudfront.ICachePolicy;

  constructor(scope: Construct, id: string, props: EdgeDistributionProps) {
    super(scope, id);
    if (props.origins.length === 0) throw new Error('EdgeDistribution: at least one region');
    for (const { region } of props.origins) {
      if (REGION_LOCATIONS[region] === undefined) throw new Error(`EdgeDistribution: no location known for region ${region}`);
    }
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new Error('EdgeDistribution: domainName and certificateArn go together');
    }
    const bundleDir = props.contentHashBundleDir ?? DEFAULT_CONTENT_HASH_BUNDLE_DIR;
    if (!fs.existsSync(path.join(bundleDir, 'index.js'))) {
      throw new Error(`EdgeDistribution: ${path.join(bundleDir, 'index.js')} is missing; run \`npm run build\` first`);
    }

    const oac = new cloudfront.FunctionUrlOriginAccessControl(this, 'OriginAccess', { signing: cloudfront.Signing.SIGV4_ALWAYS });
    const origin = (functionUrl: string, originId: string) =>
      new SignedFunctionUrlOrigin(functionUrl, oac, {
        originId,
        // A dead region is left quickly for the next (GET, HEAD, OPTIONS).
        connectionAttempts: 2,
        connectionTimeout: Duration.seconds(3),
      });
    // One origin per region, which the router chooses from (by id) and the pinned paths use; and,
    // for viewers without a location, a group of the home region failing over to the next.
    const regional = props.origins.map(({ region, functionUrl }) => origin(functionUrl, `edge-${region}`));
    const [home, next] = props.origins;
    const homeFirst: cloudfront.IOrigin =
      next === undefined
        ? origin(home.functionUrl, `default-${home.region}`)
        : new origins.OriginGroup({
            primaryOrigin: origin(home.functionUrl, `default-${home.region}`),
            fallbackOrigin: origin(next.functionUrl, `default-${next.region}`),
            fallbackStatusCodes: FAILOVER_STATUS_CODES,
          });

    this.router = new cloudfront.Function(this, 'Router', {
      comment: 'flagstack edge: nearest region, pinned-region paths, OFREP bearer keys',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(
        routerFunctionCode(props.origins.map(({ region }) => ({ originId: `edge-${region}`, ...REGION_LOCATIONS[region] }))),
      ),
    });

    // Lambda@Edge functions live in us-east-1: in this stack if it is there, else in a stack of their own.
    const here = Stack.of(this);
    const edgeStackId = `${here.stackName}-LambdaEdge`;
    const edgeStack =
      here.region === 'us-east-1'
        ? here
        : ((Stage.of(this)!.node.tryFindChild(edgeStackId) as Stack | undefined) ??
          new Stack(Stage.of(this), edgeStackId, {
            env: { account: here.account, region: 'us-east-1' },
            description: `flagstack edge: the Lambda@Edge function of ${here.stackName}'s distribution (Lambda@Edge lives in us-east-1)`,
          }));
    this.contentHash = new cloudfront.experimental.EdgeFunction(this, 'ContentHash', {
      functionName: props.contentHashFunctionName,
      description: 'flagstack edge: SHA-256 of request bodies for requests signed to the function URLs',
      // Lambda@Edge runs x86_64 functions only, and only some of Lambda's runtimes: CloudFront's
      // "Restrictions on Lambda@Edge" names Node.js 22 as the newest Node.js (supported by Lambda until
      // April 2027), not 24. A runtime it does not take fails the deployment (InvalidLambdaFunction-
      // Association), which synth cannot see: move to Node.js 24 once that list names it.
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleDir),
      memorySize: 128,
      timeout: Duration.seconds(5),
      role: this.contentHashRole(edgeStack === here ? this : edgeStack, props.contentHashFunctionName),
      stackId: edgeStackId,
    });
    Validations.of(this.contentHash.lambda).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Lambda@Edge supports fewer runtimes than Lambda; Node.js 22 is the newest it documents.',
    });

    const ttl = props.flagsCacheTtl ?? Duration.seconds(5);
    const flags = flagsCaching(this, ttl);
    this.flagsCachePolicy = flags.cachePolicy;
    // The viewer's location reaches the router only through a policy that names it.
    const location = ['CloudFront-Viewer-Latitude', 'CloudFront-Viewer-Longitude'];
    const flagsRequests = new cloudfront.OriginRequestPolicy(this, 'FlagsRequests', {
      comment: "Flag lists: the viewer's location, for the nearest-region router, and what the cache key does not forward",
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...flags.forwardedHeaders, ...location),
      queryStringBehavior: flags.forwardedQueryStrings,
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    // What the edge function reads, and nothing else (never Host: the URL answers to its own name
    // only). Ten headers, CloudFront's most for one policy.
    const sdkRequests = new cloudfront.OriginRequestPolicy(this, 'SdkRequests', {
      comment: 'SDK requests: keys, content type, ETag, request id, CORS, viewer location',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
        'X-Environment-Key',
        'X-API-Key',
        'Content-Type',
        'If-None-Match',
        'X-Request-Id',
        'Origin',
        ...CORS_PREFLIGHT_HEADERS,
        ...location,
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    const routed = [{ function: this.router, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }];
    const base = { viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY, functionAssociations: routed, compress: true };
    const pinned: Record<string, cloudfront.BehaviorOptions> = {};
    props.origins.forEach(({ region }, i) => {
      pinned[`${PINNED_PREFIX}${region}/*`] = {
        ...base,
        origin: regional[i],
        // OPTIONS too: a region's CORS preflight can be checked through CloudFront like its GETs.
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: sdkRequests,
      };
    });

    // CORS: the edge function answers it (FLAGSTACK_CORS_ORIGINS), preflights included, so every
    // behaviour allows OPTIONS and forwards Origin and the preflight headers. The function URLs have no
    // CORS configuration of their own, which leaves OPTIONS and the Access-Control-* response headers to
    // the function; no response headers policy here, so they reach the browser as the function sent them.
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'flagstack edge',
      defaultBehavior: {
        // Identities (GET and POST), OFREP, analytics: never cached (so no answer can reach another
        // origin's page); bodies hashed for the signature.
        ...base,
        origin: homeFirst,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: sdkRequests,
        edgeLambdas: [
          { functionVersion: this.contentHash.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST, includeBody: true },
        ],
      },
      additionalBehaviors: {
        '/api/v1/flags/*': {
          ...base,
          origin: homeFirst,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          // GET and HEAD are cached per origin; every preflight reaches a function.
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
          cachePolicy: flags.cachePolicy,
          originRequestPolicy: flagsRequests,
        },
        '/api/v1/environment-document/*': {
          ...base,
          origin: homeFirst,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: sdkRequests,
        },
        // Each region's origin is also a behaviour of its own, which puts it in the distribution for
        // the router to choose, and gives a way to check one region through CloudFront.
        ...pinned,
      },
      ...customDomain(this, props),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Viewers everywhere, regions on several continents: every edge location.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
    });
    const acknowledge = (ruleId: string, reason: string) => Validations.of(this.distribution).acknowledge({ id: ruleId, reason });
    acknowledge('AwsSolutions-CFR1', 'Feature flags are served worldwide; there is no country to block.');
    acknowledge(
      'AwsSolutions-CFR2',
      'No WAF by default: a web ACL costs $5 a month, $1 per rule and $0.60 per million requests inspected, so at volume its request fee dominates ($1,800 a month at 3B requests; npm run cost notes the price per stage). The origins accept only requests CloudFront signed.',
    );
    acknowledge(
      'AwsSolutions-CFR3',
      'Request metrics come from CloudWatch and the edge functions log to CloudWatch Logs; standard logs would duplicate them.',
    );
    if (props.domainName === undefined) {
      acknowledge(
        'AwsSolutions-CFR4',
        'Without a domain the distribution uses the default cloudfront.net certificate, whose TLS policy cannot be raised; with a domain TLS 1.2 is the minimum.',
      );
    }
  }

  /**
   * The role of the Lambda@Edge function, next to it: it may write its logs and nothing else. Lambda@Edge
   * logs to a group named after the function in whichever region serves the request.
   */
  private contentHashRole(scope: Construct, functionName: string): iam.Role {
    const role = new iam.Role(scope, scope === this ? 'ContentHashRole' : `${this.node.id}ContentHashRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const stack = Stack.of(role);
    const logGroups = `arn:${stack.partition}:logs:*:${stack.account}:log-group:/aws/lambda/us-east-1.${functionName}:*`;
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroups] }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:*:${stack.account}:log-group:/aws/lambda/us-east-1.${functionName}:*]`,
      reason:
        'Lambda@Edge logs to a group of its own name in whichever region serves the request; the region and the streams are the only wildcards.',
    });
    return role;
  }
}
