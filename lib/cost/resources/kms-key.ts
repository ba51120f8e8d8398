/** A customer managed KMS key: a flat monthly price. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface KmsKey extends ResourceBase {
  readonly kind: 'kms-key';
}

export const kmsKey: PricedKind<KmsKey> = {
  kind: 'kms-key',
  cfnTypes: ['AWS::KMS::Key'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'kms-key' }],
  usage(resource, { charge }) {
    charge(resource, 'AWS KMS', resource.region, 'kms.key', 'key-month', 1, 'customer managed key');
  },
};
