/** A CloudWatch Logs metric filter: the custom metrics it publishes. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface MetricFilter extends ResourceBase {
  readonly kind: 'metric-filter';
  readonly metrics: number;
  readonly namespace?: string;
  readonly metricName?: string;
}

export const metricFilter: PricedKind<MetricFilter> = {
  kind: 'metric-filter',
  cfnTypes: ['AWS::Logs::MetricFilter'],
  read(view, id, r) {
    const transformations: any[] = r.Properties?.MetricTransformations ?? [];
    const first = transformations[0];
    return [
      {
        ...view.base(id, r),
        kind: 'metric-filter',
        metrics: transformations.length || 1,
        namespace: typeof first?.MetricNamespace === 'string' ? first.MetricNamespace : undefined,
        metricName: typeof first?.MetricName === 'string' ? first.MetricName : undefined,
      },
    ];
  },
  usage(resource, { charge }) {
    charge(
      resource,
      'Amazon CloudWatch',
      resource.region,
      'cloudwatch.metric',
      'metric-month',
      resource.metrics,
      'metric from a log filter',
    );
  },
};
