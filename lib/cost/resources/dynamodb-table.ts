/**
 * A DynamoDB table on demand (a global table's replicas each priced in its region): trait reads and
 * writes where the serving functions run, version checks of warm edge functions, replicated writes
 * and their transfer, storage and point-in-time recovery per replica.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS } from '../profile';
import type { PricedKind } from './kind';
import { literal, type ResourceBase } from './template';
import { GB, MILLION } from './units';

export interface DynamoDbTable extends ResourceBase {
  readonly kind: 'dynamodb-table';
  readonly billingMode: string;
  readonly replicaRegions: string[];
  /** The replicas with point-in-time recovery (continuous backups) on. */
  readonly pitrRegions: string[];
}

export const dynamoDbTable: PricedKind<DynamoDbTable> = {
  kind: 'dynamodb-table',
  cfnTypes: ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::DynamoDB::Table') {
      return [
        {
          ...view.base(id, r),
          kind: 'dynamodb-table',
          billingMode: p.BillingMode ?? 'PROVISIONED',
          replicaRegions: [view.region],
          pitrRegions: p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true ? [view.region] : [],
        },
      ];
    }
    const replicas: { region: string; pitr: boolean }[] = (p.Replicas ?? []).map((replica: any) => ({
      region: literal(replica.Region, 'replica Region'),
      pitr: replica.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true,
    }));
    return [
      {
        ...view.base(id, r),
        kind: 'dynamodb-table',
        billingMode: p.BillingMode ?? 'PROVISIONED',
        replicaRegions: replicas.length > 0 ? replicas.map((replica) => replica.region) : [view.region],
        pitrRegions: replicas.filter((replica) => replica.pitr).map((replica) => replica.region),
      },
    ];
  },
  usage(resource, { charge, cannotQuantify, of, traffic, profile }) {
    if (resource.billingMode !== 'PAY_PER_REQUEST') {
      cannotQuantify(resource, `billing mode ${resource.billingMode}: only on-demand tables are priced`);
      return;
    }
    const { servingFunctions, functionShares } = traffic;
    const tables = of('dynamodb-table').length;
    const replicas = resource.replicaRegions;
    // Requests land on the replica next to the function that serves them; without serving
    // functions (or none next to a replica), on the table's own region.
    const regionShares = new Map<string, number>();
    for (const fn of servingFunctions.filter((f) => replicas.includes(f.region))) {
      regionShares.set(fn.region, (regionShares.get(fn.region) ?? 0) + (functionShares.get(fn) ?? 0));
    }
    const served = [...regionShares.values()].reduce((a, b) => a + b, 0);
    const requestRegions: [string, number][] =
      served > 0 ? [...regionShares].map(([r, share]) => [r, share / served]) : [[resource.region, 1]];
    // Identity requests read their traits; warm edge functions check each cached environment's
    // version every few seconds, so flag lists cost (duration / refresh interval) half-unit reads.
    const versionChecks =
      servingFunctions.length > 0
        ? (traffic.originFlagRequests + traffic.originPollRequests) *
          (profile.lambdaDurationMs / 1000 / ASSUMPTIONS.edgeRefreshSeconds) *
          0.5
        : 0;
    const reads = (traffic.identityRequests * ASSUMPTIONS.dynamoReadUnitsPerIdentityRequest + versionChecks) / tables;
    const writes = (traffic.identityWrites * ASSUMPTIONS.dynamoWriteUnitsPerIdentityWrite) / tables;
    for (const [requestRegion, share] of requestRegions) {
      charge(
        resource,
        'Amazon DynamoDB',
        requestRegion,
        'dynamodb.read',
        'million RRU',
        (reads * share) / MILLION,
        'trait reads and version checks',
      );
      charge(resource, 'Amazon DynamoDB', requestRegion, 'dynamodb.write', 'million WRU', (writes * share) / MILLION, 'trait writes');
      // A global table sends each write made here to every other replica, at the inter-region transfer price.
      const others = replicas.filter((replica) => replica !== requestRegion).length;
      charge(
        resource,
        'Data transfer',
        requestRegion,
        'data-transfer.inter-region',
        'GB',
        (writes * share * others * ASSUMPTIONS.replicatedWriteBytes) / GB,
        `trait writes replicated to ${others} other region${others === 1 ? '' : 's'}`,
      );
    }
    for (const replica of replicas) {
      // Every write is replicated to every other replica: a replica receives the writes made elsewhere.
      const madeHere = requestRegions.find(([r]) => r === replica)?.[1] ?? 0;
      const received = writes * (1 - madeHere);
      charge(
        resource,
        'Amazon DynamoDB',
        replica,
        'dynamodb.replicated-write',
        'million rWRU',
        received / MILLION,
        `writes replicated into ${replica}`,
      );
      charge(resource, 'Amazon DynamoDB', replica, 'dynamodb.storage', 'GB-month', profile.dataSizeGb, `replica in ${replica}`);
      if (resource.pitrRegions.includes(replica))
        charge(
          resource,
          'Amazon DynamoDB',
          replica,
          'dynamodb.pitr',
          'GB-month',
          profile.dataSizeGb,
          `point-in-time recovery (continuous backups) in ${replica}`,
        );
    }
  },
};
