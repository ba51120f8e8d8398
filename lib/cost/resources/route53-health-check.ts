/** A Route 53 health check (a traffic shift's, bound to an alarm): a flat monthly price, by what it checks. */
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface Route53HealthCheck extends ResourceBase {
  readonly kind: 'route53-health-check';
  /** Whether it checks an endpoint outside AWS (an IP address or host name of its own), which costs more. */
  readonly outsideAws: boolean;
}

/** Health check types that watch something in AWS: an alarm, other health checks, or nothing (recovery control). */
const AWS_TYPES = new Set(['CLOUDWATCH_METRIC', 'CALCULATED', 'RECOVERY_CONTROL']);

export const route53HealthCheck: PricedKind<Route53HealthCheck> = {
  kind: 'route53-health-check',
  cfnTypes: ['AWS::Route53::HealthCheck'],
  read: (view, id, r) => [
    { ...view.base(id, r), kind: 'route53-health-check', outsideAws: !AWS_TYPES.has(String(r.Properties?.HealthCheckConfig?.Type)) },
  ],
  usage(resource, { charge }) {
    const price = resource.outsideAws ? 'route53.health-check.non-aws' : 'route53.health-check.aws';
    charge(resource, 'Amazon Route 53', resource.region, price, 'health-check-month', 1, 'health check');
  },
};
