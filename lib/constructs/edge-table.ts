/**
 * The edge stage's flag table: a DynamoDB global table (TableV2) in the home region with a replica in every
 * other edge region, on-demand, encrypted with the AWS managed key, point-in-time recovery, deletion
 * protection, and the TTL attribute that clears tombstones and (optionally) idle identities. Its item
 * layout is service/edge/flag-table.ts; the grants here allow exactly that layout, by partition-key
 * prefix, so the edge cannot touch environments and the publisher cannot touch identities.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EXPIRES_AT, KEY_PREFIXES, PARTITION_KEY, SORT_KEY } from '../../service/edge/flag-table';

export interface EdgeTableProps {
  /** The table's name: fixed, so that the edge functions and the publisher in other stacks find it without a reference. */
  readonly tableName: string;
  /**
   * Regions that get a replica (not the stack's own).
   * @default none
   */
  readonly replicaRegions?: readonly string[];
}

/** The table's ARN in one region (its replica there), built from the name: no cross-stack reference. */
export function edgeTableArn(scope: Construct, tableName: string): string {
  return Stack.of(scope).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });
}

const leadingKeys = (...prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) } });

/** What the edge function needs: read environments, keys and traits; write traits only. */
export function edgeFunctionStatements(tableArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [tableArn],
      conditions: leadingKeys(KEY_PREFIXES.environment, KEY_PREFIXES.sdkKey, KEY_PREFIXES.traits),
    }),
    new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [tableArn], conditions: leadingKeys(KEY_PREFIXES.traits) }),
  ];
}

/** What the control plane's publisher needs: environments, keys and the index; never identities. */
export function publisherStatements(tableArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [tableArn],
      conditions: leadingKeys(KEY_PREFIXES.environment, KEY_PREFIXES.sdkKey, KEY_PREFIXES.index),
    }),
    new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [tableArn], conditions: leadingKeys(KEY_PREFIXES.index) }),
  ];
}

export class EdgeTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: EdgeTableProps) {
    super(scope, id);
    const home = Stack.of(this).region;
    const replicas = props.replicaRegions ?? [];
    if (replicas.includes(home)) throw new Error(`EdgeTable: the stack's region (${home}) holds the table itself, not a replica`);
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: EXPIRES_AT,
      replicas: replicas.map((region) => ({ region })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
