/** An Elastic IP address: public IPv4 hours. */
import { HOURS_PER_MONTH } from '../profile';
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface ElasticIp extends ResourceBase {
  readonly kind: 'elastic-ip';
}

export const elasticIp: PricedKind<ElasticIp> = {
  kind: 'elastic-ip',
  cfnTypes: ['AWS::EC2::EIP'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'elastic-ip' }],
  usage(resource, { charge }) {
    charge(resource, 'Amazon VPC', resource.region, 'vpc.public-ipv4', 'IP-hour', HOURS_PER_MONTH, 'Elastic IP address');
  },
};
