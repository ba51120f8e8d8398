/** An Aurora cluster: its instances (provisioned, or Serverless v2 ACUs the load needs), storage and write I/O. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS, HOURS_PER_MONTH } from '../profile';
import type { PricedKind, StageSetting, UsageContext } from './kind';
import { literal, num, required, type ResourceBase, Unreadable } from './template';
import { MILLION } from './units';

export interface AuroraCluster extends ResourceBase {
  readonly kind: 'aurora-cluster';
  readonly storageType: string;
  readonly serverless?: { readonly min: number; readonly max: number };
  readonly instances: { readonly id: string; readonly instanceClass: string; readonly followsWriter: boolean }[];
}

/** The setting that bounds Serverless v2 (the autoscaled stage's). */
const MAX_SETTING: StageSetting = 'auroraMaxCapacity';

/** Rounds up to the next half ACU, Aurora Serverless v2's step. */
function halfSteps(acu: number): number {
  return Math.ceil(acu * 2 - 1e-9) / 2;
}

/** The ACUs the writer (and the readers that follow it) runs at for the cluster's share of the database load. */
function serverlessWriterAcus(cluster: AuroraCluster, { traffic, profile, stage, volume, note }: UsageContext): number {
  const { min, max } = cluster.serverless!;
  const needed = halfSteps(traffic.databaseVcpus / traffic.databases / ASSUMPTIONS.vcpusPerAcu / profile.targetCpuUtilisation);
  if (needed > max) {
    note(
      `${stage.stage}: at ${volume} requests/month ${cluster.id} needs ${needed} ACU, past its maximum of ${max} (${MAX_SETTING}); priced at ${needed}`,
    );
  }
  return Math.max(min, needed);
}

export const auroraCluster: PricedKind<AuroraCluster> = {
  kind: 'aurora-cluster',
  cfnTypes: ['AWS::RDS::DBCluster'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const scaling = p.ServerlessV2ScalingConfiguration;
    const instances = view.referencing('AWS::RDS::DBInstance', id, 'DBClusterIdentifier').map(([instanceId, instance]) => ({
      id: instanceId,
      instanceClass: literal(instance.Properties?.DBInstanceClass, `${instanceId} DBInstanceClass`),
      // Aurora: readers in promotion tiers 0 and 1 scale with the writer; the writer is tier 0.
      followsWriter: (num(instance.Properties?.PromotionTier) ?? 1) <= 1,
    }));
    if (!String(p.Engine ?? '').startsWith('aurora'))
      throw new Unreadable(`engine ${p.Engine} is not Aurora (Multi-AZ DB clusters are not priced)`);
    return [
      {
        ...view.base(id, r),
        kind: 'aurora-cluster',
        storageType: p.StorageType ?? 'aurora',
        serverless: scaling
          ? { min: required(num(scaling.MinCapacity), 'MinCapacity'), max: required(num(scaling.MaxCapacity), 'MaxCapacity') }
          : undefined,
        instances,
      },
    ];
  },
  usage(resource, context) {
    const { charge, traffic, profile } = context;
    const { region } = resource;
    const storage = resource.storageType; // 'aurora' (Standard) or 'aurora-iopt1' (I/O-Optimized)
    const writerAcus = resource.serverless ? serverlessWriterAcus(resource, context) : 0;
    const acus = new Map<string, number>();
    for (const instance of resource.instances) {
      if (instance.instanceClass === 'db.serverless') {
        const instanceAcus = instance.followsWriter ? writerAcus : (resource.serverless?.min ?? 0);
        acus.set(instance.id, instanceAcus);
        charge(
          resource,
          'Amazon RDS',
          region,
          `rds.${storage}.serverless-v2`,
          'ACU-hour',
          instanceAcus * HOURS_PER_MONTH,
          `${instance.id}: ${instanceAcus} ACU`,
        );
      } else {
        charge(
          resource,
          'Amazon RDS',
          region,
          `rds.${storage}.instance:${instance.instanceClass}`,
          'instance-hour',
          HOURS_PER_MONTH,
          `${instance.id}: ${instance.instanceClass}`,
        );
      }
    }
    context.serverlessAcus.set(
      resource.id,
      [...acus.values()].reduce((a, b) => a + b, 0),
    );
    charge(resource, 'Amazon RDS', region, `rds.${storage}.storage`, 'GB-month', profile.dataSizeGb, 'cluster storage');
    charge(
      resource,
      'Amazon RDS',
      region,
      `rds.${storage}.io`,
      'million I/O requests',
      (traffic.identityWrites * ASSUMPTIONS.auroraIosPerIdentityWrite) / MILLION / traffic.databases,
      'write I/O of trait writes',
    );
  },
};
