/** A CloudFront Function: per invocation, on the behaviours that run it. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';
import { MILLION } from './units';

export interface CloudFrontFunction extends ResourceBase {
  readonly kind: 'cloudfront-function';
}

export const cloudFrontFunction: PricedKind<CloudFrontFunction> = {
  kind: 'cloudfront-function',
  cfnTypes: ['AWS::CloudFront::Function'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'cloudfront-function' }],
  usage(resource, { traffic, charge }) {
    const key = `${resource.stack}/${resource.id}`;
    charge(
      resource,
      'Amazon CloudFront',
      resource.region,
      'cloudfront.functions',
      'million invocations',
      (traffic.behaviorInvocations.get(key) ?? 0) / MILLION,
      'CloudFront Functions invocations',
      traffic.functionDistribution.get(key),
    );
  },
};
