/** A Secrets Manager secret: a flat monthly price. */
import type { PricedKind } from './kind';
import type { ResourceBase } from './template';

export interface Secret extends ResourceBase {
  readonly kind: 'secret';
}

export const secret: PricedKind<Secret> = {
  kind: 'secret',
  cfnTypes: ['AWS::SecretsManager::Secret'],
  read: (view, id, r) => [{ ...view.base(id, r), kind: 'secret' }],
  usage(resource, { charge }) {
    charge(resource, 'AWS Secrets Manager', resource.region, 'secretsmanager.secret', 'secret-month', 1, 'secret');
  },
};
