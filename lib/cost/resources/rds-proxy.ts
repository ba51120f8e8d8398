/** An RDS Proxy: by the vCPUs (or Serverless v2 ACUs) of the databases it fronts, above its billed minimum. */
import { instanceTypeSpec } from '../../instance-types';
import { ASSUMPTIONS, HOURS_PER_MONTH } from '../profile';
import type { PricedKind } from './kind';
import { referencedIds, type ResourceBase } from './template';

export interface RdsProxy extends ResourceBase {
  readonly kind: 'rds-proxy';
  /** Logical ids of the clusters and instances it fronts. */
  readonly targets: string[];
}

export const rdsProxy: PricedKind<RdsProxy> = {
  kind: 'rds-proxy',
  cfnTypes: ['AWS::RDS::DBProxy'],
  read(view, id, r) {
    const targets = view
      .referencing('AWS::RDS::DBProxyTargetGroup', id, 'DBProxyName')
      .flatMap(([, group]) => [
        ...referencedIds(group.Properties?.DBClusterIdentifiers),
        ...referencedIds(group.Properties?.DBInstanceIdentifiers),
      ]);
    return [{ ...view.base(id, r), kind: 'rds-proxy', targets }];
  },
  // Priced once the databases it fronts are sized.
  usage: () => undefined,
  settle(proxy, { stage, serverlessAcus, charge, cannotQuantify }) {
    const targets = stage.resources.filter((r) => r.stack === proxy.stack && proxy.targets.includes(r.id));
    let acus = 0;
    let vcpus = 0;
    for (const target of targets) {
      if (target.kind === 'aurora-cluster') {
        acus += serverlessAcus.get(target.id) ?? 0;
        for (const instance of target.instances.filter((i) => i.instanceClass !== 'db.serverless'))
          vcpus += instanceTypeSpec(instance.instanceClass)?.vcpus ?? NaN;
      } else if (target.kind === 'rds-instance') {
        vcpus += instanceTypeSpec(target.instanceClass)?.vcpus ?? NaN;
      }
    }
    if (Number.isNaN(vcpus) || targets.length === 0) {
      cannotQuantify(
        proxy,
        targets.length === 0 ? 'its target database is not in the stack' : "a target's vCPU count is unknown (lib/instance-types.ts)",
      );
      return;
    }
    if (acus > 0)
      charge(
        proxy,
        'Amazon RDS',
        proxy.region,
        'rds.proxy.acu',
        'ACU-hour',
        Math.max(acus, ASSUMPTIONS.proxyMinimumAcus) * HOURS_PER_MONTH,
        `over ${acus} ACU (billed at least ${ASSUMPTIONS.proxyMinimumAcus})`,
      );
    if (vcpus > 0)
      charge(
        proxy,
        'Amazon RDS',
        proxy.region,
        'rds.proxy.vcpu',
        'vCPU-hour',
        Math.max(vcpus, ASSUMPTIONS.proxyMinimumVcpus) * HOURS_PER_MONTH,
        `over ${vcpus} vCPUs (billed at least ${ASSUMPTIONS.proxyMinimumVcpus})`,
      );
  },
};
