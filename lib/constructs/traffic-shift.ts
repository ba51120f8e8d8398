/**
 * A gradual move of the public SDK host name from the previous stage to this one, by Route 53 weighted
 * routing: two weighted A records for the name, one for the previous stage's address (no health check:
 * it is always the fallback), one for this stage's endpoint, given `share` percent of the answers and a
 * health check of type CLOUDWATCH_METRIC bound to an alarm on this stage's errors. When the alarm fires
 * the health check turns unhealthy and Route 53 stops answering with this stage's record, so new
 * lookups go back to the previous stage; once the alarm clears, the weights apply again. At share 100
 * the previous record keeps weight 0, which Route 53 answers with only while every non-zero record is
 * unhealthy: the way back stays open after the move.
 *
 * | share | previous stage's record | this stage's record |
 * |-------|-------------------------|---------------------|
 * | 0     | 100                     | 0 (never answered)  |
 * | 1     | 99                      | 1                   |
 * | 10    | 90                      | 10                  |
 * | 50    | 50                      | 50                  |
 * | 100   | 0 (fallback only)       | 100                 |
 *
 * Clients and resolvers keep an answer for its TTL: the previous stage's record has `ttl` (60 s by
 * default); an alias record to CloudFront has Route 53's fixed 60 s. docs/moves.md is the runbook.
 */
import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { Monitoring } from './monitoring';

/** The steps of a move: the percentage of DNS answers given to the new stage. */
export const TRAFFIC_SHARES = [0, 1, 10, 50, 100] as const;
export type TrafficShare = (typeof TRAFFIC_SHARES)[number];

/** The TTL of the previous stage's record when none is given: how long a resolver may keep an answer. */
export const DEFAULT_SHIFT_TTL = Duration.seconds(60);

/**
 * The regions whose CloudWatch alarms a Route 53 health check can watch (AlarmIdentifier.Region in the
 * Route 53 API reference, commercial regions).
 */
export const ROUTE53_ALARM_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'ap-east-1',
  'me-south-1',
  'me-central-1',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'sa-east-1',
  'af-south-1',
];

/** A dotted-quad IPv4 address, each part 0 to 255: what `previousEndpoint` must be. */
export const IPV4_ADDRESS_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$';
const IPV4 = new RegExp(IPV4_ADDRESS_PATTERN);
const HOST_NAME = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;
const HOSTED_ZONE_ID = /^Z[0-9A-Z]{1,32}$/;

export interface TrafficShiftProps {
  /** The Route 53 public hosted zone holding `recordName`, by id (`Z…`). */
  readonly hostedZoneId: string;
  /** The public SDK host name both records answer for (`flags.example.com`), in the zone. */
  readonly recordName: string;
  /**
   * The previous stage's IPv4 address (the single box's Elastic IP): an A record, so that it sits in
   * one weighted set with this stage's alias A record.
   */
  readonly previousEndpoint: string;
  /** This stage's endpoint: an alias target answering A queries (a CloudFront distribution). */
  readonly target: route53.RecordTarget;
  /**
   * The alarm on this stage's errors the health check follows. Route 53 reads its metric itself: one
   * standard-resolution metric with a plain statistic (no metric math, no percentiles), in a region
   * of ROUTE53_ALARM_REGIONS.
   */
  readonly alarm: cloudwatch.Alarm;
  /**
   * Percentage of DNS answers given to this stage: 0, 1, 10, 50 or 100.
   * @default 0: the records exist, every answer is still the previous stage
   */
  readonly share?: TrafficShare;
  /**
   * TTL of the previous stage's record (an alias record's TTL is Route 53's: 60 s for CloudFront).
   * @default 60 seconds
   */
  readonly ttl?: Duration;
  /**
   * This stage's record's set identifier in the weighted set (the previous one's is `previous`).
   * @default 'next'
   */
  readonly setIdentifier?: string;
}

export class TrafficShift extends Construct {
  /** The percentage of answers this stage gets. */
  readonly share: TrafficShare;
  /** The previous stage's weighted record (weight 100 − share, no health check). */
  readonly previousRecord: route53.ARecord;
  /** This stage's weighted alias record (weight share, health-checked). */
  readonly record: route53.ARecord;
  /** The CLOUDWATCH_METRIC health check bound to `alarm`. */
  readonly healthCheck: route53.HealthCheck;

  constructor(scope: Construct, id: string, props: TrafficShiftProps) {
    super(scope, id);
    const share = props.share ?? 0;
    const ttl = props.ttl ?? DEFAULT_SHIFT_TTL;
    const setIdentifier = props.setIdentifier ?? 'next';
    const alarmRegion = Stack.of(props.alarm).region;
    const problems = [
      ...(TRAFFIC_SHARES.includes(share) ? [] : [`share ${share} must be one of ${TRAFFIC_SHARES.join(', ')}`]),
      ...(HOSTED_ZONE_ID.test(props.hostedZoneId) ? [] : [`hostedZoneId "${props.hostedZoneId}" must look like Z0123456789ABCDEFGHIJ`]),
      ...(HOST_NAME.test(props.recordName)
        ? []
        : [`recordName "${props.recordName}" must be a lower-case host name such as flags.example.com`]),
      ...(IPV4.test(props.previousEndpoint)
        ? []
        : [`previousEndpoint "${props.previousEndpoint}" must be an IPv4 address (an A record beside this stage's alias A record)`]),
      ...(ttl.toSeconds() >= 1 && ttl.toSeconds() <= 300
        ? []
        : [`ttl ${ttl.toSeconds()} s must be 1 to 300 seconds: a move needs answers that expire soon`]),
      ...(setIdentifier !== 'previous' ? [] : ['setIdentifier "previous" is the previous stage\'s record']),
      ...(Token.isUnresolved(alarmRegion) || ROUTE53_ALARM_REGIONS.includes(alarmRegion)
        ? []
        : [`the alarm is in ${alarmRegion}, where Route 53 health checks cannot watch alarms (${ROUTE53_ALARM_REGIONS.join(', ')})`]),
    ];
    if (problems.length > 0) throw new Error(`TrafficShift: ${problems.join('; ')}`);
    this.share = share;

    // The record name ends in a dot: fully qualified, so the zone's name is not needed (only its id).
    const zone = route53.HostedZone.fromHostedZoneId(this, 'Zone', props.hostedZoneId);
    const recordName = `${props.recordName}.`;

    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: props.alarm.alarmName, region: alarmRegion },
      // While CloudWatch has too little data (no traffic yet), keep the last status: healthy at first.
      insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });

    this.previousRecord = new route53.ARecord(this, 'PreviousRecord', {
      zone,
      recordName,
      target: route53.RecordTarget.fromIpAddresses(props.previousEndpoint),
      ttl,
      weight: 100 - share,
      setIdentifier: 'previous',
      comment: `flagstack traffic shift: the previous stage, ${100 - share}% (the fallback when the next stage's alarm fires)`,
    });
    this.record = new route53.ARecord(this, 'Record', {
      zone,
      recordName,
      target: props.target,
      weight: share,
      setIdentifier,
      healthCheck: this.healthCheck,
      comment: `flagstack traffic shift: this stage, ${share}% while its alarm is OK`,
    });
  }
}

/** What a stage's settings say about a move toward it (`shiftHostedZoneId`, `shiftFromEndpoint`, `shiftShare`). */
export interface StageTrafficShift {
  /** The Route 53 hosted zone of the public host name (shiftHostedZoneId). */
  readonly hostedZoneId: string;
  /** The previous stage's IPv4 address (shiftFromEndpoint). */
  readonly previousEndpoint: string;
  /** Percentage of DNS answers given to this stage (shiftShare). */
  readonly share: TrafficShare;
}

export interface DistributionTrafficShiftProps {
  /** The move, from the settings. */
  readonly shift: StageTrafficShift;
  /** The stage's CloudFront distribution, serving `domainName` with its certificate. */
  readonly distribution: cloudfront.IDistribution;
  /** The public SDK host name: the record name, an alternate domain name of `distribution`. */
  readonly domainName: string | undefined;
  /** The stage's monitoring: the health check's alarm notifies its topic and shows on its dashboard. */
  readonly monitoring: Monitoring;
  /**
   * The alarm fires, and the share returns to the previous stage, above this percentage of 5xx responses.
   * @default 1
   */
  readonly alarm5xxPercent?: number;
}

/**
 * A distribution's share of 5xx responses, in percent, each minute (the distribution, or its id). Built here rather than by the
 * distribution's `metric5xxErrorRate()`, which leaves out the `Region: Global` dimension CloudFront
 * publishes its metrics with (aws/aws-cdk#19245): an alarm on that metric would never see data.
 */
export function cloudFront5xxErrorRate(distribution: cloudfront.IDistribution | string): cloudwatch.Metric {
  const distributionId = typeof distribution === 'string' ? distribution : distribution.distributionId;
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName: '5xxErrorRate',
    dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
}

/**
 * Moves a share of the public host name to a stage fronted by CloudFront. The health check's alarm
 * watches the distribution's `5xxErrorRate`: one standard metric, already a percentage (Route 53 cannot
 * follow the stages' metric-math error-rate alarms), counting everything the stage's viewers see fail,
 * the origin's 5xx and CloudFront's own. CloudFront publishes it in us-east-1 only, where the alarm must
 * be: the stack must be there.
 */
export function shiftTrafficToDistribution(scope: Construct, props: DistributionTrafficShiftProps): TrafficShift {
  const { region } = Stack.of(scope);
  if (!Token.isUnresolved(region) && region !== 'us-east-1') {
    throw new Error(
      `TrafficShift: the stack is in ${region}; CloudFront publishes its metrics, the health check's alarm's, only in us-east-1`,
    );
  }
  if (props.domainName === undefined) throw new Error('TrafficShift: needs domainName, the public host name to shift');
  const threshold = props.alarm5xxPercent ?? 1;
  const alarm = props.monitoring.addAlarm('ShiftAlarm', {
    description: `More than ${threshold}% of this stage's CloudFront responses are 5xx: Route 53 sends ${props.domainName} back to the previous stage`,
    metric: cloudFront5xxErrorRate(props.distribution),
    threshold,
    evaluationPeriods: 2,
  });
  const shift = new TrafficShift(scope, 'TrafficShift', {
    hostedZoneId: props.shift.hostedZoneId,
    recordName: props.domainName,
    previousEndpoint: props.shift.previousEndpoint,
    target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(props.distribution)),
    alarm,
    share: props.shift.share,
    setIdentifier: Stack.of(scope).stackName,
  });
  new CfnOutput(scope, 'TrafficShare', {
    value: `${shift.share}% of ${props.domainName} here, ${100 - shift.share}% at ${props.shift.previousEndpoint}`,
    description: 'The traffic shift: DNS answers given to this stage while its ShiftAlarm is OK',
  });
  new CfnOutput(scope, 'ShiftHealthCheckId', {
    value: shift.healthCheck.healthCheckId,
    description: 'The Route 53 health check bound to ShiftAlarm',
  });
  return shift;
}
