/** A Route 53 record: the queries resolvers send it (alias records to AWS resources answer free). */
import { ASSUMPTIONS } from '../profile';
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';
import { MILLION } from './units';

export interface DnsRecord extends ResourceBase {
  readonly kind: 'dns-record';
  readonly routing: 'alias' | 'latency' | 'standard';
}

export const dnsRecord: PricedKind<DnsRecord> = {
  kind: 'dns-record',
  cfnTypes: ['AWS::Route53::RecordSet'],
  read: (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'dns-record',
      routing: r.Properties?.AliasTarget ? 'alias' : r.Properties?.Region ? 'latency' : 'standard',
    },
  ],
  usage(resource, { charge, requestsPerMonth }) {
    if (resource.routing === 'alias') return;
    charge(
      resource,
      'Amazon Route 53',
      resource.region,
      `route53.queries.${resource.routing}`,
      'million queries',
      (requestsPerMonth * ASSUMPTIONS.dnsQueriesPerRequest) / MILLION,
      `${resource.routing} DNS queries`,
    );
  },
};
