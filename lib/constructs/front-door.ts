/**
 * CloudFront in front of an internet-facing Application Load Balancer (created here, with an HTTP
 * listener that answers 403 unless a rule matches), the load balancer closed to everything but
 * CloudFront: its security group admits only CloudFront's origin-facing managed prefix list, and
 * the listener forwards only requests carrying a secret header that CloudFront adds (the secret lives
 * in Secrets Manager; templates hold only a dynamic reference). Flag lists are cached for a few
 * seconds per environment key and web origin; everything else, identities above all, is never cached.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The name of CloudFront's origin-facing managed prefix list, the same in every region. */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST_NAME = 'com.amazonaws.global.cloudfront.origin-facing';

/**
 * Its id in the regions where it is known, so that synth there needs no lookup (the defaults synth
 * with no AWS credentials); elsewhere the CDK CLI looks it up by name once and caches it in
 * cdk.context.json, as it does availability zones.
 */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS: Readonly<Record<string, string>> = {
  'us-east-1': 'pl-3b927c52',
};

/** The header CloudFront adds and the listener requires. */
export const ORIGIN_SECRET_HEADER = 'X-Flagstack-Origin-Secret';

/**
 * What the service needs to answer CORS besides `Origin`: a preflight's questions. Behaviours that
 * cache only GET and HEAD send every preflight (OPTIONS) on to the origin, so these are forwarded,
 * never part of a cache key.
 */
export const CORS_PREFLIGHT_HEADERS = ['Access-Control-Request-Method', 'Access-Control-Request-Headers'];

/**
 * What a flag list's answer depends on besides its query: the environment key, and the page's
 * origin, which Access-Control-Allow-Origin names when corsOrigins lists origins (one origin's cached
 * answer must never reach a page of another).
 */
export const FLAGS_CACHE_KEY_HEADERS = ['X-Environment-Key', 'Origin'];

/** How a flag-list behaviour caches, and what its origin request policy must forward besides. */
export interface FlagsCaching {
  readonly cachePolicy: cloudfront.ICachePolicy;
  /** Headers that reach the origin only through the origin request policy. */
  readonly forwardedHeaders: string[];
  /** Query strings the origin request policy forwards (the cache key forwards them when it holds them). */
  readonly forwardedQueryStrings: cloudfront.OriginRequestQueryStringBehavior;
}

/**
 * The caching of flag lists (`/api/v1/flags/`), shared by every stage's CloudFront: cached for `ttl`
 * per environment key, origin and query string; a zero `ttl` caches nothing, and then everything the
 * key would hold is forwarded instead (a policy that caches nothing can have no cache key).
 */
export function flagsCaching(scope: Construct, ttl: Duration): FlagsCaching {
  if (ttl.toSeconds() === 0) {
    return {
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      forwardedHeaders: [...FLAGS_CACHE_KEY_HEADERS, ...CORS_PREFLIGHT_HEADERS],
      forwardedQueryStrings: cloudfront.OriginRequestQueryStringBehavior.all(),
    };
  }
  const cachePolicy = new cloudfront.CachePolicy(scope, 'FlagsCache', {
    comment: 'Flag lists: a few seconds per environment key, origin and query',
    defaultTtl: ttl,
    minTtl: Duration.seconds(0),
    maxTtl: ttl,
    headerBehavior: cloudfront.CacheHeaderBehavior.allowList(...FLAGS_CACHE_KEY_HEADERS),
    queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  });
  return {
    cachePolicy,
    forwardedHeaders: [...CORS_PREFLIGHT_HEADERS],
    forwardedQueryStrings: cloudfront.OriginRequestQueryStringBehavior.none(),
  };
}

/**
 * The custom domain a stage's CloudFront distribution takes from the configuration: the domain only
 * with its certificate (single-box needs none: Caddy gets one).
 */
export function cloudFrontDomainOf(config: { readonly domainName?: string; readonly certificateArn?: string }): {
  domainName?: string;
  certificateArn?: string;
} {
  return config.certificateArn !== undefined ? { domainName: config.domainName, certificateArn: config.certificateArn } : {};
}

/** Where SDKs point: the custom domain when CloudFront serves it, else the distribution's own name. */
export function serviceUrlOf(
  config: { readonly domainName?: string; readonly certificateArn?: string },
  distribution: cloudfront.IDistribution,
): string {
  return `https://${cloudFrontDomainOf(config).domainName ?? distribution.distributionDomainName}`;
}

/** A distribution's own domain and certificate (TLS 1.2 at least), when both are given; else nothing. */
export function customDomain(
  scope: Construct,
  { domainName, certificateArn }: { readonly domainName?: string; readonly certificateArn?: string },
): Pick<cloudfront.DistributionProps, 'domainNames' | 'certificate' | 'minimumProtocolVersion'> {
  if (domainName === undefined || certificateArn === undefined) return {};
  return {
    domainNames: [domainName],
    certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', certificateArn),
    minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
  };
}

/**
 * Attaches an ACM certificate (us-east-1) to a distribution built without domain names (it would
 * replace their certificate): how
 * CloudFront wants the target of a name's move set up ("Move an alternate domain name", CloudFront
 * Developer Guide). The distribution then takes the name from the one holding it in one step,
 * `aws cloudfront update-domain-association` (or `associate-alias`), with no gap in between, and asks
 * for nothing while the other holds it. CDK's Distribution takes a certificate only with domain names,
 * hence the override. CloudFront serves the certificate only to viewers asking for a name it covers (SNI):
 * the cloudfront.net name keeps CloudFront's own.
 */
export function attachCertificateWithoutName(distribution: cloudfront.Distribution, certificateArn: string): void {
  if (!/^arn:aws:acm:us-east-1:[0-9]{12}:certificate\/[0-9a-f-]+$/.test(certificateArn)) {
    throw new Error(
      `attachCertificateWithoutName: "${certificateArn}" is not an ACM certificate in us-east-1, the only region CloudFront takes one from`,
    );
  }
  (distribution.node.defaultChild as cloudfront.CfnDistribution).addPropertyOverride('DistributionConfig.ViewerCertificate', {
    AcmCertificateArn: certificateArn,
    SslSupportMethod: 'sni-only',
    MinimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
  });
}

export interface FrontDoorProps {
  /** The VPC of the load balancer (in its public subnets). */
  readonly vpc: ec2.IVpc;
  /**
   * CloudFront's origin-facing managed prefix list in the load balancer's region.
   * @default from CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS for the stack's region, else looked up by name
   */
  readonly originFacingPrefixListId?: string;
  /**
   * Port the load balancer listens on (HTTP).
   * @default 80
   */
  readonly originPort?: number;
  /**
   * How long flag lists (`/api/v1/flags/`) are cached per environment key; 0 caches nothing.
   * @default 5 seconds
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
   * A viewer-request CloudFront Function on every behaviour (a traffic split's router, TrafficSplit).
   * @default none
   */
  readonly viewerRequestFunction?: cloudfront.IFunction;
  /**
   * More behaviours, by path pattern, after the flag lists' (a traffic split's `/_shift/next/*`).
   * @default none
   */
  readonly additionalBehaviors?: Readonly<Record<string, cloudfront.BehaviorOptions>>;
}

export class FrontDoor extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Forward to the service with rules that include `originCondition`; anything else gets 403. */
  readonly listener: elbv2.ApplicationListener;
  /** The value CloudFront sends in ORIGIN_SECRET_HEADER. */
  readonly originSecret: secretsmanager.Secret;
  /** Add this condition to every listener rule that forwards to the service. */
  readonly originCondition: elbv2.ListenerCondition;
  /** The cache policy of flag lists. */
  readonly flagsCachePolicy: cloudfront.ICachePolicy;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (props.originFacingPrefixListId !== undefined && !/^pl-[0-9a-f]+$/.test(props.originFacingPrefixListId)) {
      throw new Error(`FrontDoor: originFacingPrefixListId "${props.originFacingPrefixListId}" is not a prefix list id (pl-…)`);
    }
    const prefixListId =
      props.originFacingPrefixListId ??
      CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS[region] ??
      ec2.PrefixList.fromLookup(this, 'CloudFrontOriginFacing', { prefixListName: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST_NAME }).prefixListId;
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new Error('FrontDoor: domainName and certificateArn go together');
    }
    const ttl = props.flagsCacheTtl ?? Duration.seconds(5);
    const originPort = props.originPort ?? 80;

    // Idle connections: CloudFront closes its connections to the ALB after 5 idle seconds (the
    // origin's keep-alive timeout), the ALB its connections to the service after 60 (its default idle
    // timeout), the service after 65 (FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS). Each hop's client gives up
    // first, so none sends a request on a connection its server is closing (a 502).
    // test/infra/keep-alive.test.ts holds the ALB's side to that.
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'CloudFront is the only client; per-request records come from the service log in CloudWatch Logs.',
    });
    this.listener = this.loadBalancer.addListener('Http', {
      port: originPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, { contentType: 'text/plain', messageBody: 'Forbidden' }),
    });
    this.loadBalancer.connections.allowFrom(
      ec2.Peer.prefixList(prefixListId),
      ec2.Port.tcp(originPort),
      'CloudFront origin-facing servers only',
    );

    this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      description: `Value of ${ORIGIN_SECRET_HEADER}: proves a request came through CloudFront`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    Validations.of(this.originSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating it would need CloudFront and the listener updated in lockstep; it only complements the prefix-list rule and is replaced by redeploying.',
    });
    const secretValue = this.originSecret.secretValue.unsafeUnwrap(); // a {{resolve:secretsmanager:…}} reference, not the value
    this.originCondition = elbv2.ListenerCondition.httpHeader(ORIGIN_SECRET_HEADER, [secretValue]);

    const origin = new origins.LoadBalancerV2Origin(this.loadBalancer, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort: originPort,
      customHeaders: { [ORIGIN_SECRET_HEADER]: secretValue },
    });
    const flags = flagsCaching(this, ttl);
    this.flagsCachePolicy = flags.cachePolicy;
    const flagsRequests = new cloudfront.OriginRequestPolicy(this, 'FlagsRequests', {
      comment: 'Flag lists: the request headers their cache key does not forward',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...flags.forwardedHeaders),
      queryStringBehavior: flags.forwardedQueryStrings,
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    // CORS: the service answers it (FLAGSTACK_CORS_ORIGINS), preflights included, so every behaviour
    // allows OPTIONS and forwards Origin and the preflight headers. No response headers policy: the
    // service's Access-Control-* and Vary headers reach the browser as sent, cached ones included.
    const functions =
      props.viewerRequestFunction !== undefined
        ? { functionAssociations: [{ function: props.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }] }
        : {};
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'flagstack',
      defaultBehavior: {
        // Identities, OFREP, the admin API, health: never cached (so no answer can reach another
        // origin's page), every viewer header forwarded, Origin and Access-Control-Request-* too.
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        ...functions,
      },
      additionalBehaviors: {
        '/api/v1/flags/*': {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          // GET and HEAD are cached per origin; every preflight reaches the service.
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
          cachePolicy: flags.cachePolicy,
          originRequestPolicy: flagsRequests,
          ...functions,
        },
        ...props.additionalBehaviors,
      },
      ...customDomain(this, props),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    const acknowledge = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge('AwsSolutions-CFR1', 'Feature flags are served worldwide; there is no country to block.');
    acknowledge(
      'AwsSolutions-CFR2',
      'No WAF by default: a web ACL costs $5 a month, $1 per rule and $0.60 per million requests inspected, so at volume its request fee dominates ($1,800 a month at 3B requests; npm run cost notes the price per stage). The origin is closed to all but CloudFront.',
    );
    acknowledge(
      'AwsSolutions-CFR3',
      'Request metrics come from CloudWatch and the service logs every request to CloudWatch Logs; standard logs would duplicate them.',
    );
    acknowledge(
      'AwsSolutions-CFR5',
      'CloudFront reaches the ALB over HTTP on port 80, admitted only from the origin-facing prefix list and with the secret header; the ALB has no certificate without a domain.',
    );
    if (props.domainName === undefined) {
      acknowledge(
        'AwsSolutions-CFR4',
        'Without a domain the distribution uses the default cloudfront.net certificate, whose TLS policy cannot be raised; with a domain TLS 1.2 is the minimum.',
      );
    }
  }
}
