/** A CloudWatch dashboard: a flat monthly price. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface Dashboard extends ResourceBase {
  readonly kind: 'dashboard';
}

export const dashboard: PricedKind<Dashboard> = {
  kind: 'dashboard',
  cfnTypes: ['AWS::CloudWatch::Dashboard'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'dashboard' }],
  usage(resource, { charge }) {
    charge(resource, 'Amazon CloudWatch', resource.region, 'cloudwatch.dashboard', 'dashboard-month', 1, 'dashboard');
  },
};
