/** A CloudWatch alarm: per metric it watches, at the high-resolution price when a period is under a minute. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import type { PricedKind } from './kind';
import { num, type ResourceBase } from './template';

export interface Alarm extends ResourceBase {
  readonly kind: 'alarm';
  readonly metrics: number;
  readonly highResolution: boolean;
}

export const alarm: PricedKind<Alarm> = {
  kind: 'alarm',
  cfnTypes: ['AWS::CloudWatch::Alarm'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const stats = Array.isArray(p.Metrics) ? p.Metrics.filter((m: any) => m.MetricStat !== undefined) : [];
    const periods = stats.length > 0 ? stats.map((m: any) => num(m.MetricStat.Period, 60) as number) : [num(p.Period, 60) as number];
    return [
      {
        ...view.base(id, r),
        kind: 'alarm',
        metrics: Math.max(stats.length, 1),
        highResolution: periods.some((period: number) => period < 60),
      },
    ];
  },
  usage(resource, { charge }) {
    charge(
      resource,
      'Amazon CloudWatch',
      resource.region,
      resource.highResolution ? 'cloudwatch.alarm.high-resolution' : 'cloudwatch.alarm',
      'alarm-metric-month',
      resource.metrics,
      `alarm on ${resource.metrics} metric(s)`,
    );
  },
};
