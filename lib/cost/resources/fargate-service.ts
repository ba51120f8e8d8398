/** An ECS service on Fargate: as many tasks as its share of the load needs, within its bounds, by vCPU and memory hours. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { HOURS_PER_MONTH } from '../profile';
import { type RequestScaling, requestScaling, responsesToInternet, scaledCount } from './compute';
import type { PricedKind, StageSetting } from './kind';
import { num, referencedIds, required, type ResourceBase, Unreadable, workersIn } from './template';

export interface FargateService extends ResourceBase {
  readonly kind: 'fargate-service';
  /** Logical id of its ECS cluster. */
  readonly clusterId: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly desired: number;
  readonly min: number;
  readonly max: number;
  readonly scaling?: RequestScaling;
  readonly workers?: number;
  /** Deployed blue/green by ECS (DeploymentConfiguration.Strategy BLUE_GREEN), else rolling. */
  readonly blueGreen?: boolean;
}

/** The setting that bounds the service (the fargate stage's). */
const MAX_SETTING: StageSetting = 'fargateMaxTasks';

export const fargateService: PricedKind<FargateService> = {
  kind: 'fargate-service',
  cfnTypes: ['AWS::ECS::Service'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const fargate = p.LaunchType === 'FARGATE' || (p.CapacityProviderStrategy ?? []).some((s: any) => s.CapacityProvider === 'FARGATE');
    if (!fargate) throw new Unreadable('only Fargate (on-demand) services are priced');
    const task = view.get([...referencedIds(p.TaskDefinition)][0] ?? '')?.Properties;
    if (task === undefined) throw new Unreadable('task definition not found in the template');
    const [targetId, target] = view.referencing('AWS::ApplicationAutoScaling::ScalableTarget', id, 'ResourceId')[0] ?? [];
    const policy = targetId
      ? view
          .referencing('AWS::ApplicationAutoScaling::ScalingPolicy', targetId, 'ScalingTargetId')
          .map(([, s]) => requestScaling(s.Properties?.TargetTrackingScalingPolicyConfiguration))
          .find(Boolean)
      : undefined;
    const desired = num(p.DesiredCount, 1) as number;
    const architecture = String(task.RuntimePlatform?.CpuArchitecture ?? 'X86_64').toUpperCase() === 'ARM64' ? 'arm64' : 'x86_64';
    return [
      {
        ...view.base(id, r),
        kind: 'fargate-service',
        clusterId: [...referencedIds(p.Cluster)][0] ?? '',
        cpu: required(num(task.Cpu), 'task Cpu'),
        memoryMiB: required(num(task.Memory), 'task Memory'),
        architecture,
        desired,
        min: num(target?.Properties?.MinCapacity, desired) as number,
        max: num(target?.Properties?.MaxCapacity, desired) as number,
        scaling: policy,
        workers: workersIn(task.ContainerDefinitions),
        blueGreen: p.DeploymentConfiguration?.Strategy === 'BLUE_GREEN',
      },
    ];
  },
  size(service, context) {
    context.counts.set(service, scaledCount(service, service.cpu / 1024, service, MAX_SETTING, context));
  },
  usage(resource, { counts, charge }) {
    const vcpusEach = resource.cpu / 1024;
    const count = counts.get(resource) as number;
    const taskHours = count * HOURS_PER_MONTH;
    const size = `${count} × ${vcpusEach} vCPU / ${resource.memoryMiB / 1024} GB ${resource.architecture}`;
    const { region, architecture } = resource;
    charge(resource, 'AWS Fargate', region, `fargate.vcpu:${architecture}`, 'vCPU-hour', taskHours * vcpusEach, size);
    charge(resource, 'AWS Fargate', region, `fargate.memory:${architecture}`, 'GB-hour', (taskHours * resource.memoryMiB) / 1024, size);
  },
  settle: (service, context) => responsesToInternet(service, false, context),
};
