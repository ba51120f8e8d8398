/**
 * A gradual move of the SDK traffic between two stages behind CloudFront (autoscaled → fargate,
 * fargate → edge), inside the distribution that holds the public host name: the previous stage's.
 * Route 53 weights cannot do it (traffic-shift.ts): one alternate domain name belongs to one
 * distribution, and CloudFront picks the distribution by the host name, not by the address.
 *
 * - The next stage's distribution (`dxxxx.cloudfront.net`) becomes an origin of the previous one,
 *   over HTTPS; the previous distribution's behaviours forward what they forward today (never Host), and
 *   the next distribution applies its own behaviours, caching and origin protection.
 * - A CloudFront Function on every behaviour (traffic-split-router.ts) sends `share` percent of viewers'
 *   SDK requests to that origin, sticky per environment key and viewer IP.
 * - The share lives in a CloudFront KeyValueStore the function reads at each request. A custom resource
 *   (the traffic-share Lambda, service/shift/handler.ts) writes the deployed share; the same Lambda is
 *   the action of `ShiftAlarm`, on the next distribution's 5xx rate, and writes 0: every request back
 *   to the previous stage, within seconds of the alarm and without a deployment.
 *
 * | share | SDK requests to the next stage | everything else |
 * |-------|--------------------------------|-----------------|
 * | 0     | none (the origin, function and store exist) | previous stage |
 * | 1, 10, 50 | viewers whose bucket < share | previous stage |
 * | 100   | all                            | previous stage |
 *
 * docs/moves.md is the runbook.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Monitoring } from './monitoring';
import { cloudFront5xxErrorRate, TRAFFIC_SHARES, type TrafficShare } from './traffic-shift';
import { NEXT_ORIGIN_ID, NEXT_PREFIX, splitRouterCode } from './traffic-split-router';

/** A CloudFront distribution's own domain name: what `nextDomainName` must be. */
export const CLOUDFRONT_DOMAIN_PATTERN = '^d[a-z0-9]{6,20}\\.cloudfront\\.net$';
/** A CloudFront distribution's id: what `nextDistributionId` must be. */
export const DISTRIBUTION_ID_PATTERN = '^E[A-Z0-9]{6,20}$';

export const DEFAULT_SHIFT_BUNDLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'shift');

/** What a stage's settings say about a split toward the next stage (`shiftToOrigin`, `shiftToDistributionId`, `shiftShare`). */
export interface StageTrafficSplit {
  /** The next stage's CloudFront domain name, `dxxxx.cloudfront.net` (shiftToOrigin). */
  readonly nextDomainName: string;
  /** The next stage's distribution id, `E…`, whose 5xx rate the alarm watches (shiftToDistributionId). */
  readonly nextDistributionId: string;
  /** Percentage of SDK requests sent to the next stage (shiftShare). */
  readonly share: TrafficShare;
}

export interface TrafficSplitProps extends StageTrafficSplit {
  /** The previous stage's monitoring: `ShiftAlarm` notifies its topic and shows on its dashboard. */
  readonly monitoring: Monitoring;
  /**
   * The alarm fires, and the share goes to 0, above this percentage of 5xx responses from the next
   * distribution, two minutes running.
   * @default 1
   */
  readonly alarm5xxPercent?: number;
  /**
   * Directory of the traffic-share Lambda's bundle (index.js).
   * @default dist/shift at the repository root
   */
  readonly bundleDir?: string;
}

const DOMAIN = new RegExp(CLOUDFRONT_DOMAIN_PATTERN);
const DISTRIBUTION_ID = new RegExp(DISTRIBUTION_ID_PATTERN);

export class TrafficSplit extends Construct {
  /** The share this deployment writes. */
  readonly share: TrafficShare;
  /** Holds the share the router reads (key `share`). */
  readonly store: cloudfront.KeyValueStore;
  /** The viewer-request function: give it to every behaviour of the previous stage's distribution. */
  readonly router: cloudfront.Function;
  /** The next stage's distribution as an origin (id `shift-next`). */
  readonly nextOrigin: cloudfront.IOrigin;
  /**
   * `/_shift/next/*`, to the next stage whatever the share (prefix removed): add it to the previous
   * stage's distribution, which puts the origin there for the router to choose.
   */
  readonly behaviors: Readonly<Record<string, cloudfront.BehaviorOptions>>;
  /** Writes the share: the custom resource's provider and the alarm's action. */
  readonly shareFunction: lambda.Function;
  /** The deployed share, written to the store at each deployment that changes it. */
  readonly shareResource: CustomResource;
  /** On the next distribution's 5xx rate: notifies the topic and sets the share to 0. */
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TrafficSplitProps) {
    super(scope, id);
    const share = props.share;
    const threshold = props.alarm5xxPercent ?? 1;
    const bundleDir = props.bundleDir ?? DEFAULT_SHIFT_BUNDLE_DIR;
    const { region } = Stack.of(this);
    const problems = [
      ...(TRAFFIC_SHARES.includes(share) ? [] : [`share ${share} must be one of ${TRAFFIC_SHARES.join(', ')}`]),
      ...(DOMAIN.test(props.nextDomainName)
        ? []
        : [`nextDomainName "${props.nextDomainName}" must be the next distribution's own name, like d111111abcdef8.cloudfront.net`]),
      ...(DISTRIBUTION_ID.test(props.nextDistributionId)
        ? []
        : [`nextDistributionId "${props.nextDistributionId}" must be a distribution id, like E1A2B3C4D5E6F7`]),
      ...(threshold >= 0 && threshold <= 100 ? [] : [`alarm5xxPercent ${threshold} must be 0 to 100`]),
      ...(Token.isUnresolved(region) || region === 'us-east-1'
        ? []
        : [`the stack is in ${region}; CloudFront publishes the 5xx rate ShiftAlarm watches only in us-east-1`]),
      ...(fs.existsSync(path.join(bundleDir, 'index.js'))
        ? []
        : [`${path.join(bundleDir, 'index.js')} is missing; run \`npm run build\` first`]),
    ];
    if (problems.length > 0) throw new Error(`TrafficSplit: ${problems.join('; ')}`);
    this.share = share;

    this.store = new cloudfront.KeyValueStore(this, 'Store', {
      comment: 'flagstack traffic split: the share of SDK requests sent to the next stage',
    });
    this.router = new cloudfront.Function(this, 'Router', {
      comment: `flagstack traffic split: share of SDK requests to ${props.nextDomainName}, sticky per viewer`,
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(splitRouterCode()),
      keyValueStore: this.store,
    });

    this.nextOrigin = new origins.HttpOrigin(props.nextDomainName, {
      originId: NEXT_ORIGIN_ID,
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    this.behaviors = {
      [`${NEXT_PREFIX}/*`]: {
        origin: this.nextOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // Never Host: the next distribution answers to its own name.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [{ function: this.router, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
    };

    const logGroup = new logs.LogGroup(this, 'ShareLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'ShareRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:GetKey', 'cloudfront-keyvaluestore:PutKey'],
        resources: [this.store.keyValueStoreArn],
      }),
    );
    this.shareFunction = new lambda.Function(this, 'Share', {
      description: 'flagstack traffic split: writes the share of SDK requests sent to the next stage (deploys; 0 on ShiftAlarm)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleDir),
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: { FLAGSTACK_SHIFT_STORE_ARN: this.store.keyValueStoreArn },
    });
    this.shareResource = new CustomResource(this, 'ShareValue', {
      serviceToken: this.shareFunction.functionArn,
      resourceType: 'Custom::TrafficShare',
      properties: { KvsArn: this.store.keyValueStoreArn, Share: String(share) },
    });
    // The log group first, so that the Lambda's first answer to CloudFormation is logged.
    this.shareResource.node.addDependency(logGroup, role);

    this.alarm = props.monitoring.addAlarm('ShiftAlarm', {
      description: `More than ${threshold}% of the next stage's CloudFront responses are 5xx: the share of SDK requests sent there goes to 0`,
      metric: cloudFront5xxErrorRate(props.nextDistributionId),
      threshold,
      evaluationPeriods: 2,
      extraActions: [new actions.LambdaAction(this.shareFunction)],
    });

    const stack = Stack.of(this);
    new CfnOutput(stack, 'TrafficShare', {
      value: `${share}% of SDK requests to ${props.nextDomainName} (sticky per environment key and viewer IP) while ShiftAlarm is OK`,
      description: 'The traffic split: the share this deployment wrote; ShiftAlarm sets 0 in the store (ShiftStoreArn)',
    });
    new CfnOutput(stack, 'ShiftStoreArn', {
      value: this.store.keyValueStoreArn,
      description: 'The KeyValueStore holding the share (key "share"): aws cloudfront-keyvaluestore get-key --kvs-arn … --key share',
    });
  }
}
