/**
 * The load-balanced tier the autoscaled and fargate stages share, as the base class of their stacks
 * (modelled on aws-ecs-patterns' ApplicationLoadBalancedServiceBase: the base builds what the
 * variants share, each variant adds its service): a VPC across two AZs, PostgreSQL behind an RDS
 * Proxy, CloudFront in front of an ALB that admits only CloudFront, and a dashboard with an alarm
 * topic. A variant adds the service (instances in an Auto Scaling group, Fargate tasks) as the
 * listener's target, with the health check, environment and alarms this class gives it.
 *
 * A base stack rather than a child construct: the tier's resources keep the logical ids they had when
 * each stack built them itself, so a deployed stack updates in place (a database under a new logical
 * id would be a new, empty database).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { Database, type DatabaseProps } from '../constructs/database';
import { attachCertificateWithoutName, cloudFrontDomainOf, FrontDoor, serviceUrlOf } from '../constructs/front-door';
import { Monitoring } from '../constructs/monitoring';
import { Network } from '../constructs/network';
import { shiftTrafficToDistribution, type StageTrafficShift, type TrafficShift } from '../constructs/traffic-shift';
import { type StageTrafficSplit, TrafficSplit } from '../constructs/traffic-split';
import { SERVICE_PORT } from '../constants';

export interface LoadBalancedStackProps extends StackProps {
  /** Web origins whose pages may call the SDK and OFREP endpoints, or `*` for any (FLAGSTACK_CORS_ORIGINS). */
  readonly corsOrigins: readonly string[];
  /** Scale out to keep each target under this many requests a minute (requestsPerTarget). */
  readonly requestsPerTarget: number;
  /** Alarm when more than this share of responses are 5xx, in percent (alarm5xxPercent). */
  readonly alarm5xxPercent: number;
  /** Alarm when the p99 target response time exceeds this (alarmP99LatencyMs). */
  readonly alarmP99Latency: Duration;
  /**
   * A standby database in a second AZ that takes over if the primary fails.
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * Public host name; CloudFront serves it only with `certificateArn`.
   * @default the distribution's cloudfront.net name
   */
  readonly domainName?: string;
  /**
   * ACM certificate in us-east-1 for `domainName`.
   * @default none
   */
  readonly certificateArn?: string;
  /**
   * An ACM certificate in us-east-1 for the public host name, attached without the name (given only
   * without `domainName`): the stage of a split's next side is then ready to take the name from the
   * previous stage's distribution with `aws cloudfront update-domain-association` (docs/moves.md).
   * @default none
   */
  readonly handoverCertificateArn?: string;
  /**
   * CloudFront's origin-facing managed prefix list in the stack's region.
   * @default known for us-east-1, looked up by name elsewhere (FrontDoor)
   */
  readonly cloudFrontPrefixListId?: string;
  /**
   * Email address subscribed to the alarm topic.
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Take a share of `domainName` from the previous stage by Route 53 weighted records, handed back
   * while the distribution's 5xx rate is above `alarm5xxPercent` (TrafficShift; needs `certificateArn`).
   * @default none: no records, the name is left as it is
   */
  readonly trafficShift?: StageTrafficShift;
  /**
   * Send a share of the SDK requests this stage's distribution receives on to the next stage's
   * distribution, set back to 0 when the next distribution's 5xx rate is above `alarm5xxPercent`
   * (TrafficSplit: this stage holds `domainName`, the next one is reached by its cloudfront.net name).
   * @default none: every request is served here
   */
  readonly trafficSplit?: StageTrafficSplit;
}

/** What a variant decides about the tier. */
export interface LoadBalancedTierOptions {
  /** Name of the CloudWatch dashboard. */
  readonly dashboardName: string;
  /** The database: engine and size (the tier gives it the VPC and `multiAz`). */
  readonly database: Omit<DatabaseProps, 'vpc' | 'multiAz'>;
}

/**
 * How the load balancer reaches and checks the service, in every variant: its port over HTTP; healthy
 * once `/ready` answers 200 twice, 10 s apart (the service fails /ready only once it is shutting down:
 * without its database it still serves flags from memory); 30 s for a leaving target's requests to
 * finish.
 */
export const SERVICE_TARGET = {
  port: SERVICE_PORT,
  protocol: elbv2.ApplicationProtocol.HTTP,
  deregistrationDelay: Duration.seconds(30),
  healthCheck: { path: '/ready', healthyHttpCodes: '200', interval: Duration.seconds(10), healthyThresholdCount: 2 },
} as const;

/**
 * How long the service, sent SIGTERM, keeps answering with /ready failing before it closes its
 * listener (FLAGSTACK_SHUTDOWN_DELAY_MS), so the load balancer stops sending it requests before it
 * stops taking them. The hosts give it 40 s to stop and the tasks 45 s: room for the delay and the
 * requests in flight.
 */
const SHUTDOWN_DELAY = Duration.seconds(15);

export abstract class LoadBalancedStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly monitoring: Monitoring;
  readonly database: Database;
  /** CloudFront, the ALB and its listener: the only way in. */
  readonly frontDoor: FrontDoor;
  /** The move of the public host name toward this stage, when `trafficShift` is given. */
  readonly trafficShift?: TrafficShift;
  /** The split of the SDK traffic toward the next stage, when `trafficSplit` is given. */
  readonly trafficSplit?: TrafficSplit;
  /** The service's environment every variant sets: the shutdown delay and the CORS origins. */
  protected readonly serviceEnvironment: Readonly<Record<string, string>>;
  /** Scale out to keep each target under this many requests a minute. */
  protected readonly requestsPerTarget: number;
  private readonly alarmThresholds: { readonly errorPercent: number; readonly p99LatencyMs: number };

  constructor(scope: Construct, id: string, props: LoadBalancedStackProps, tier: LoadBalancedTierOptions) {
    super(scope, id, props);
    if (props.requestsPerTarget < 1) throw new Error(`${id}: requestsPerTarget ${props.requestsPerTarget} must be at least 1`);
    if (props.certificateArn !== undefined && props.domainName === undefined) throw new Error(`${id}: certificateArn needs domainName`);
    if (props.trafficShift !== undefined && props.trafficSplit !== undefined) {
      throw new Error(`${id}: trafficShift (toward this stage) and trafficSplit (away from it): one move at a time`);
    }

    this.vpc = new Network(this, 'Network').vpc;
    this.monitoring = new Monitoring(this, 'Monitoring', { dashboardName: tier.dashboardName, alarmEmail: props.alarmEmail });
    this.database = new Database(this, 'Database', { vpc: this.vpc, multiAz: props.multiAz, ...tier.database });
    if (props.trafficSplit !== undefined) {
      this.trafficSplit = new TrafficSplit(this, 'TrafficSplit', {
        ...props.trafficSplit,
        monitoring: this.monitoring,
        alarm5xxPercent: props.alarm5xxPercent,
      });
    }
    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      vpc: this.vpc,
      originFacingPrefixListId: props.cloudFrontPrefixListId,
      ...cloudFrontDomainOf(props),
      viewerRequestFunction: this.trafficSplit?.router,
      additionalBehaviors: this.trafficSplit?.behaviors,
    });

    if (props.handoverCertificateArn !== undefined) {
      if (props.domainName !== undefined) throw new Error(`${id}: handoverCertificateArn is for a distribution without domainName`);
      attachCertificateWithoutName(this.frontDoor.distribution, props.handoverCertificateArn);
    }

    if (props.trafficShift !== undefined) {
      this.trafficShift = shiftTrafficToDistribution(this, {
        shift: props.trafficShift,
        distribution: this.frontDoor.distribution,
        domainName: cloudFrontDomainOf(props).domainName,
        monitoring: this.monitoring,
        alarm5xxPercent: props.alarm5xxPercent,
      });
    }

    this.serviceEnvironment = {
      FLAGSTACK_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY.toMilliseconds()),
      FLAGSTACK_CORS_ORIGINS: props.corsOrigins.join(','),
    };
    this.requestsPerTarget = props.requestsPerTarget;
    this.alarmThresholds = { errorPercent: props.alarm5xxPercent, p99LatencyMs: props.alarmP99Latency.toMilliseconds() };

    new CfnOutput(this, 'ServiceUrl', { value: serviceUrlOf(props, this.frontDoor.distribution) });
  }

  /** Where a listener rule that forwards to the service goes: its priority, and only what came through CloudFront. */
  protected get serviceRule(): { readonly priority: number; readonly conditions: elbv2.ListenerCondition[] } {
    return { priority: 10, conditions: [this.frontDoor.originCondition] };
  }

  /**
   * The alarms on the service behind the load balancer: the share of 5xx responses and the p99 target
   * response time, from the load balancer's or a target group's metrics.
   */
  protected addLoadBalancerAlarms(
    metrics: Parameters<Monitoring['addLoadBalancerAlarms']>[0],
    evaluationPeriods?: number,
  ): { errorRate: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
    return this.monitoring.addLoadBalancerAlarms(metrics, this.alarmThresholds, evaluationPeriods);
  }
}
