/** An RDS DB instance outside a cluster: instance hours, storage, and CPU credits above a burstable class's baseline. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { instanceTypeSpec } from '../../instance-types';
import { HOURS_PER_MONTH } from '../profile';
import { surplusVcpuHours } from './compute';
import type { PricedKind } from './kind';
import { literal, num, required, type ResourceBase } from './template';

export interface RdsInstance extends ResourceBase {
  readonly kind: 'rds-instance';
  readonly engine: string;
  readonly instanceClass: string;
  readonly multiAz: boolean;
  readonly storageGiB: number;
  readonly storageType: string;
}

export const rdsInstance: PricedKind<RdsInstance> = {
  kind: 'rds-instance',
  cfnTypes: ['AWS::RDS::DBInstance'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    if (p.DBClusterIdentifier !== undefined) return []; // priced with its Aurora cluster
    return [
      {
        ...view.base(id, r),
        kind: 'rds-instance',
        engine: literal(p.Engine, 'Engine'),
        instanceClass: literal(p.DBInstanceClass, 'DBInstanceClass'),
        multiAz: p.MultiAZ === true || p.MultiAZ === 'true',
        storageGiB: required(num(p.AllocatedStorage), 'AllocatedStorage'),
        storageType: p.StorageType ?? 'gp2',
      },
    ];
  },
  usage(resource, { charge, cannotQuantify, overCapacity, traffic, profile, stage, volume }) {
    const { region, engine } = resource;
    const az = resource.multiAz ? 'multi-az' : 'single-az';
    charge(
      resource,
      'Amazon RDS',
      region,
      `rds.${engine}.instance:${resource.instanceClass}:${az}`,
      'instance-hour',
      HOURS_PER_MONTH,
      `${resource.instanceClass} ${az}`,
    );
    charge(
      resource,
      'Amazon RDS',
      region,
      `rds.${engine}.storage:${resource.storageType}:${az}`,
      'GB-month',
      resource.storageGiB,
      `${resource.storageGiB} GiB ${resource.storageType} ${az}`,
    );
    const spec = instanceTypeSpec(resource.instanceClass);
    const demand = traffic.databaseVcpus / traffic.databases;
    if (spec === undefined) {
      cannotQuantify(resource, `no vCPU count known for ${resource.instanceClass}: its CPU credits cannot be priced`);
      return;
    }
    if (demand / profile.targetCpuUtilisation > spec.vcpus) {
      overCapacity(
        `${stage.stage}: at ${volume} requests/month ${resource.id} (${resource.instanceClass}, ${spec.vcpus} vCPUs) needs ${(demand / profile.targetCpuUtilisation).toFixed(1)} vCPUs: it cannot carry this volume`,
      );
    }
    const surplus = surplusVcpuHours(resource.instanceClass, 1, demand);
    charge(
      resource,
      'Amazon RDS',
      region,
      'rds.cpu-credits.surplus',
      'vCPU-hour',
      surplus,
      `CPU above the ${resource.instanceClass} baseline`,
    );
  },
};
