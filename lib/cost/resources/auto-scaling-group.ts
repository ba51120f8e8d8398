/** An Auto Scaling group: as many instances as its share of the load needs, within its bounds, priced as instances. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { instanceTypeSpec } from '../../instance-types';
import { instanceCharges, type RequestScaling, requestScaling, responsesToInternet, scaledCount, type Volume, volumesOf } from './compute';
import type { PricedKind, StageSetting } from './kind';
import { literal, num, referencedIds, required, type ResourceBase, Unreadable, workersIn } from './template';

export interface AutoScalingGroup extends ResourceBase {
  readonly kind: 'auto-scaling-group';
  readonly instanceType: string;
  readonly detailedMonitoring: boolean;
  readonly volumes: Volume[];
  readonly min: number;
  readonly max: number;
  readonly desired?: number;
  readonly scaling?: RequestScaling;
  readonly workers?: number;
  /** Instances kept in service during a rolling update (its UpdatePolicy); undefined without one. */
  readonly rollingUpdateMinInService?: number;
}

/** The setting that bounds the group (the autoscaled stage's). */
const MAX_SETTING: StageSetting = 'autoscaledMaxInstances';

export const autoScalingGroup: PricedKind<AutoScalingGroup> = {
  kind: 'auto-scaling-group',
  cfnTypes: ['AWS::AutoScaling::AutoScalingGroup'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const templateId = [...referencedIds(p.LaunchTemplate ?? p.MixedInstancesPolicy)][0];
    const data = templateId ? view.get(templateId)?.Properties?.LaunchTemplateData : undefined;
    if (data === undefined) throw new Unreadable('no launch template with LaunchTemplateData');
    const policy = view
      .referencing('AWS::AutoScaling::ScalingPolicy', id, 'AutoScalingGroupName')
      .map(([, s]) => requestScaling(s.Properties?.TargetTrackingConfiguration))
      .find(Boolean);
    return [
      {
        ...view.base(id, r),
        kind: 'auto-scaling-group',
        instanceType: literal(data.InstanceType, 'LaunchTemplateData.InstanceType'),
        detailedMonitoring: data.Monitoring?.Enabled === true,
        volumes: volumesOf(data.BlockDeviceMappings, id),
        min: required(num(p.MinSize), 'MinSize'),
        max: required(num(p.MaxSize), 'MaxSize'),
        desired: num(p.DesiredCapacity),
        scaling: policy,
        workers: workersIn(data.UserData),
        rollingUpdateMinInService: num(r.UpdatePolicy?.AutoScalingRollingUpdate?.MinInstancesInService),
      },
    ];
  },
  size(group, context) {
    const spec = instanceTypeSpec(group.instanceType);
    if (spec === undefined) context.cannotQuantify(group, `no vCPU count known for ${group.instanceType} (lib/instance-types.ts)`);
    else context.counts.set(group, scaledCount(group, spec.vcpus, group, MAX_SETTING, context));
  },
  usage(group, context) {
    const count = context.counts.get(group);
    if (count !== undefined) instanceCharges(group, group, count, context.traffic.serviceVcpus * context.traffic.computeShare, context);
  },
  settle: (group, context) => responsesToInternet(group, false, context),
};
