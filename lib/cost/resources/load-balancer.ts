/** An Elastic Load Balancing load balancer: its hours; for an ALB, LCUs by its busiest dimension and its nodes' public addresses. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS, HOURS_PER_MONTH } from '../profile';
import { perSecond } from '../traffic';
import type { PricedKind } from './kind';
import { referencedIds, type ResourceBase } from './template';
import { GB } from './units';

export interface LoadBalancer extends ResourceBase {
  readonly kind: 'load-balancer';
  readonly loadBalancerType: string;
  readonly internetFacing: boolean;
  readonly subnets: number;
  readonly rules: number;
}

export const loadBalancer: PricedKind<LoadBalancer> = {
  kind: 'load-balancer',
  cfnTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const listeners = view.referencing('AWS::ElasticLoadBalancingV2::Listener', id, 'LoadBalancerArn').map(([listenerId]) => listenerId);
    const rules = view
      .ofType('AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter(([, rule]) => listeners.some((l) => referencedIds(rule.Properties?.ListenerArn).has(l)));
    return [
      {
        ...view.base(id, r),
        kind: 'load-balancer',
        loadBalancerType: p.Type ?? 'application',
        internetFacing: (p.Scheme ?? 'internet-facing') === 'internet-facing',
        subnets: Array.isArray(p.Subnets) ? p.Subnets.length : Array.isArray(p.SubnetMappings) ? p.SubnetMappings.length : 2,
        rules: rules.length,
      },
    ];
  },
  usage(resource, { charge, of, traffic, profile }) {
    const { region } = resource;
    if (resource.loadBalancerType !== 'application') {
      charge(
        resource,
        'Elastic Load Balancing',
        region,
        `elb.${resource.loadBalancerType}.hour`,
        'LB-hour',
        HOURS_PER_MONTH,
        `${resource.loadBalancerType} load balancer`,
      );
      return;
    }
    charge(resource, 'Elastic Load Balancing', region, 'elb.alb.hour', 'ALB-hour', HOURS_PER_MONTH, 'Application Load Balancer');
    const { originRequests } = traffic;
    const rps = perSecond(originRequests) / of('load-balancer').length;
    const bytesPerRequest =
      profile.loadBalancerBytesPerRequest ??
      (originRequests > 0
        ? (traffic.originResponseBytes + traffic.identityRequests * profile.requestBodyBytes) / originRequests +
          ASSUMPTIONS.requestHeaderBytes
        : 0);
    const newConnections = rps / profile.requestsPerConnection;
    const dimensions = {
      'new connections': newConnections / 25,
      'active connections': (newConnections * ASSUMPTIONS.connectionSeconds) / 3000,
      'processed bytes': (rps * 3600 * bytesPerRequest) / GB,
      'rule evaluations': (rps * Math.max(0, resource.rules - 10)) / 1000,
    };
    const [dimension, lcus] = Object.entries(dimensions).reduce((a, b) => (b[1] > a[1] ? b : a));
    charge(
      resource,
      'Elastic Load Balancing',
      region,
      'elb.alb.lcu',
      'LCU-hour',
      lcus * HOURS_PER_MONTH,
      `${lcus.toFixed(2)} LCU (by ${dimension})`,
    );
    if (resource.internetFacing) {
      charge(
        resource,
        'Amazon VPC',
        region,
        'vpc.public-ipv4',
        'IP-hour',
        resource.subnets * HOURS_PER_MONTH,
        `${resource.subnets} public IPv4 addresses of the load balancer nodes`,
      );
    }
  },
};
