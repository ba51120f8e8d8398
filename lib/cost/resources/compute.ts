/**
 * What the compute kinds share: EBS volumes and request-count scaling as templates write them, how
 * many instances or tasks a volume needs, burstable CPU credits, the charges of running instances,
 * and responses sent straight to the internet by a stage without CloudFront.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { instanceTypeSpec } from '../../instance-types';
import { ASSUMPTIONS, HOURS_PER_MONTH } from '../profile';
import { perSecond, responseSizes } from '../traffic';
import type { Resource } from './index';
import type { UsageContext } from './kind';
import { num, required } from './template';
import { GB } from './units';

export interface Volume {
  readonly volumeType: string;
  readonly sizeGiB: number;
}

/** How an Auto Scaling group or ECS service tracks load: ALB requests per target per minute. */
export interface RequestScaling {
  readonly requestsPerTargetPerMinute: number;
}

export function volumesOf(mappings: unknown, what: string): Volume[] {
  if (!Array.isArray(mappings)) return [];
  return mappings
    .filter((mapping) => mapping?.Ebs !== undefined)
    .map((mapping) => ({
      volumeType: typeof mapping.Ebs.VolumeType === 'string' ? mapping.Ebs.VolumeType : 'gp2',
      sizeGiB: required(num(mapping.Ebs.VolumeSize), `${what} volume ${mapping.DeviceName} size`),
    }));
}

export function requestScaling(configuration: any): RequestScaling | undefined {
  if (configuration?.PredefinedMetricSpecification?.PredefinedMetricType !== 'ALBRequestCountPerTarget') return undefined;
  const target = num(configuration.TargetValue);
  return target === undefined ? undefined : { requestsPerTargetPerMinute: target };
}

/** Instances a group needs for its share of the service's CPU at the target utilisation, and what request-count scaling would run. */
export function scaledCount(
  resource: Resource,
  vcpusEach: number,
  bounds: { min: number; max: number; desired?: number; scaling?: RequestScaling },
  settingName: string,
  { traffic, profile, stage, volume, note }: UsageContext,
): number {
  const floor = Math.max(bounds.min, bounds.desired ?? 0);
  const forCpu = Math.ceil((traffic.serviceVcpus * traffic.computeShare) / profile.targetCpuUtilisation / vcpusEach - 1e-9);
  const requestsPerMinute = perSecond(traffic.originRequests) * traffic.computeShare * 60;
  const forPolicy = bounds.scaling
    ? Math.min(bounds.max, Math.ceil(requestsPerMinute / bounds.scaling.requestsPerTargetPerMinute - 1e-9))
    : 0;
  const count = Math.max(floor, forCpu, forPolicy);
  if (forCpu > bounds.max) {
    note(
      `${stage.stage}: at ${volume} requests/month ${resource.id} needs ${forCpu} to stay under ${profile.targetCpuUtilisation * 100}% CPU, ` +
        `past the template's maximum of ${bounds.max} (${settingName}); priced at ${forCpu}`,
    );
  }
  return count;
}

/** CPU above a burstable type's baseline, billed as surplus credits (T types run unlimited by default). */
export function surplusVcpuHours(instanceType: string, count: number, demandVcpus: number): number {
  const spec = instanceTypeSpec(instanceType);
  if (spec?.burstableBaseline === undefined) return 0;
  return Math.max(0, demandVcpus - count * spec.vcpus * spec.burstableBaseline) * HOURS_PER_MONTH;
}

/** `count` EC2 instances running a month: instance-hours, surplus CPU credits, their volumes, detailed monitoring. */
export function instanceCharges(
  resource: Resource,
  instance: { instanceType: string; detailedMonitoring: boolean; volumes: readonly Volume[] },
  count: number,
  demandVcpus: number,
  { charge, note, stage, volume }: UsageContext,
): void {
  const { region } = resource;
  const { instanceType } = instance;
  charge(
    resource,
    'Amazon EC2',
    region,
    `ec2.instance:${instanceType}`,
    'instance-hour',
    count * HOURS_PER_MONTH,
    `${count} × ${instanceType}`,
  );
  const surplus = surplusVcpuHours(instanceType, count, demandVcpus);
  charge(resource, 'Amazon EC2', region, 'ec2.cpu-credits.surplus', 'vCPU-hour', surplus, `CPU above the ${instanceType} baseline`);
  if (surplus > 0) {
    note(
      `${stage.stage}: at ${volume} requests/month ${resource.id} runs above the ${instanceType} CPU baseline: ${Math.round(surplus)} surplus vCPU-hours a month`,
    );
  }
  for (const disk of instance.volumes) {
    charge(
      resource,
      'Amazon EBS',
      region,
      `ebs.${disk.volumeType}.storage`,
      'GB-month',
      count * disk.sizeGiB,
      `${count} × ${disk.sizeGiB} GiB ${disk.volumeType}`,
    );
  }
  if (instance.detailedMonitoring) {
    const metrics = count * ASSUMPTIONS.detailedMonitoringMetrics;
    charge(resource, 'Amazon CloudWatch', region, 'cloudwatch.metric', 'metric-month', metrics, `detailed monitoring, ${metrics} metrics`);
  }
}

/**
 * Without CloudFront, responses leave the serving hosts straight to the internet; a proxy on the host
 * that compresses (the single box's Caddy with a domain) sends the compressed sizes.
 */
export function responsesToInternet(resource: Resource, compressed: boolean, { traffic, profile, charge }: UsageContext): void {
  if (traffic.viaCloudFront) return;
  const sizes = responseSizes(profile, compressed);
  const bytes =
    traffic.originFlagRequests * sizes.flagList + traffic.identityRequests * sizes.identity + traffic.originPollRequests * sizes.document;
  charge(
    resource,
    'Data transfer',
    resource.region,
    'data-transfer.internet-out',
    'GB',
    (bytes * traffic.computeShare) / GB,
    compressed ? 'responses to the internet, gzipped' : 'responses to the internet, uncompressed',
  );
}
