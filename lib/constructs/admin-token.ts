/**
 * The service's bootstrap admin token (FLAGSTACK_ADMIN_TOKEN), generated in Secrets Manager so it
 * never appears in a template.
 */
import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export class AdminToken extends secretsmanager.Secret {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'flagstack bootstrap admin token',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A bootstrap token, stored hashed by the service; operators issue and revoke tokens through the admin API instead of rotating this one.',
    });
  }
}
