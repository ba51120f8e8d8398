/**
 * A CloudFront KeyValueStore (a traffic split's share): per read from the CloudFront Functions
 * associated with it, counted as one read per invocation. That is an upper bound in general and exact
 * here: the split's router reads the share on SDK requests only, and the traffic the model sends
 * through its behaviours is SDK requests.
 */
import type { PricedKind } from './kind';
import { type ResourceBase } from './template';
import { MILLION } from './units';

export interface CloudFrontKeyValueStore extends ResourceBase {
  readonly kind: 'cloudfront-key-value-store';
  /** The functions associated with it, as stack/logical id. */
  readonly readers: readonly string[];
}

export const cloudFrontKeyValueStore: PricedKind<CloudFrontKeyValueStore> = {
  kind: 'cloudfront-key-value-store',
  cfnTypes: ['AWS::CloudFront::KeyValueStore'],
  read: (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'cloudfront-key-value-store',
      readers: view.referencing('AWS::CloudFront::Function', id, 'FunctionConfig').map(([fn]) => `${view.stack}/${fn}`),
    },
  ],
  usage(resource, { traffic, charge }) {
    const reads = resource.readers.reduce((sum, reader) => sum + (traffic.behaviorInvocations.get(reader) ?? 0), 0);
    charge(resource, 'Amazon CloudFront', resource.region, 'cloudfront.kvs.reads', 'million reads', reads / MILLION, 'KeyValueStore reads');
  },
};
