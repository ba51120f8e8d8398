/** A Route 53 hosted zone: a flat monthly price. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface HostedZone extends ResourceBase {
  readonly kind: 'hosted-zone';
}

export const hostedZone: PricedKind<HostedZone> = {
  kind: 'hosted-zone',
  cfnTypes: ['AWS::Route53::HostedZone'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'hosted-zone' }],
  usage(resource, { charge }) {
    charge(resource, 'Amazon Route 53', resource.region, 'route53.hosted-zone', 'zone-month', 1, 'hosted zone');
  },
};
