/** A public NAT gateway: its hours, and the log data the private subnets ship through it. */
import { HOURS_PER_MONTH } from '../profile';
import { containerInsightsBytes } from './ecs-cluster';
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';
import { GB } from './units';

export interface NatGateway extends ResourceBase {
  readonly kind: 'nat-gateway';
}

export const natGateway: PricedKind<NatGateway> = {
  kind: 'nat-gateway',
  cfnTypes: ['AWS::EC2::NatGateway'],
  read: (view, id, r) => (r.Properties?.ConnectivityType === 'private' ? [] : [{ ...view.base(id, r), kind: 'nat-gateway' }]),
  usage(resource, context) {
    const { region } = resource;
    context.charge(resource, 'Amazon VPC', region, 'vpc.nat-gateway.hour', 'gateway-hour', HOURS_PER_MONTH, 'NAT gateway');
    // The service's log lines (and Container Insights events) leave the private subnets through it.
    const gateways = context.of('nat-gateway').length;
    const bytes = context.traffic.originRequests * context.profile.logBytesPerRequest + containerInsightsBytes(context);
    context.charge(
      resource,
      'Amazon VPC',
      region,
      'vpc.nat-gateway.data',
      'GB',
      bytes / GB / gateways,
      'log data shipped to CloudWatch Logs',
    );
  },
};
