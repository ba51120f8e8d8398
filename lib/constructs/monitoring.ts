/**
 * Monitoring of one stage: a CloudWatch dashboard, an encrypted SNS topic (optionally emailed) and
 * alarms that notify it. Stacks add their own metrics and alarms; every alarm also lands on the
 * dashboard.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

export interface MonitoringProps {
  /** Name of the CloudWatch dashboard. */
  readonly dashboardName: string;
  /**
   * Email address subscribed to the alarm topic.
   * @default no subscription (subscribe to `alarmTopic` later)
   */
  readonly alarmEmail?: string;
}

/** One alarm: what it watches and when it fires. */
export interface ServiceAlarmProps {
  /** What the alarm means, shown in notifications. */
  readonly description: string;
  /** The metric (or math expression) watched. */
  readonly metric: cloudwatch.IMetric;
  /** The threshold compared with the metric. */
  readonly threshold: number;
  /**
   * How the metric is compared with the threshold.
   * @default GREATER_THAN_THRESHOLD
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Consecutive periods breaching before the alarm fires.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Missing data: treated as not breaching by default, so an idle service stays green.
   * @default NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Extra actions on alarm besides notifying the topic (an EC2 recover action, for instance).
   * @default none
   */
  readonly extraActions?: cloudwatch.IAlarmAction[];
}

/** What an ALB and its target groups both offer as metrics. */
type LoadBalancedMetrics = Pick<elbv2.IApplicationTargetGroupMetrics, 'requestCount' | 'httpCodeTarget' | 'targetResponseTime'>;

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm notifies this topic. */
  readonly alarmTopic: sns.Topic;
  /** The alarms created through `addAlarm`, in order. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)) {
      throw new Error(`Monitoring: dashboardName "${props.dashboardName}" may hold only letters, digits, - and _`);
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
  }

  /** Creates an alarm that notifies the topic (and runs `extraActions`), and graphs it. */
  addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: props.evaluationPeriods ?? 3,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic), ...(props.extraActions ?? []));
    this.alarms.push(alarm);
    this.dashboard.addWidgets(new cloudwatch.AlarmWidget({ title: props.description, alarm, width: 12 }));
    return alarm;
  }

  /**
   * The two alarms of a tier behind a load balancer (autoscaled, fargate): the share of 5xx responses and
   * the p99 target response time, from the load balancer's or a target group's metrics.
   */
  addLoadBalancerAlarms(
    metrics: LoadBalancedMetrics,
    thresholds: { readonly errorPercent: number; readonly p99LatencyMs: number },
    evaluationPeriods?: number,
  ): { errorRate: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
    const everyMinute = { period: Duration.minutes(1), statistic: 'Sum' };
    return {
      errorRate: this.addAlarm('ErrorRateAlarm', {
        description: `More than ${thresholds.errorPercent}% of responses are 5xx`,
        metric: Monitoring.percentOf(
          metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, everyMinute),
          metrics.requestCount(everyMinute),
        ),
        threshold: thresholds.errorPercent,
        evaluationPeriods,
      }),
      latency: this.addAlarm('LatencyAlarm', {
        description: `p99 target response time above ${thresholds.p99LatencyMs} ms`,
        metric: metrics.targetResponseTime({ period: Duration.minutes(1), statistic: 'p99' }),
        threshold: thresholds.p99LatencyMs / 1000,
        evaluationPeriods,
      }),
    };
  }

  /** The share of `errors` in `requests`, in percent (0 when there are no requests). */
  static percentOf(errors: cloudwatch.IMetric, requests: cloudwatch.IMetric, period = Duration.minutes(1)): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({ expression: '100 * errors / MAX([requests, 1])', usingMetrics: { errors, requests }, period });
  }

  /** Adds a graph of `metrics` to the dashboard. */
  addGraph(title: string, metrics: cloudwatch.IMetric[], period = Duration.minutes(1)): void {
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title, left: metrics, period, width: 12 }));
  }
}
