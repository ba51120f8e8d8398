/** A CloudWatch composite alarm: a flat monthly price. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface CompositeAlarm extends ResourceBase {
  readonly kind: 'composite-alarm';
}

export const compositeAlarm: PricedKind<CompositeAlarm> = {
  kind: 'composite-alarm',
  cfnTypes: ['AWS::CloudWatch::CompositeAlarm'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'composite-alarm' }],
  usage(resource, { charge }) {
    charge(resource, 'Amazon CloudWatch', resource.region, 'cloudwatch.composite-alarm', 'alarm-month', 1, 'composite alarm');
  },
};
