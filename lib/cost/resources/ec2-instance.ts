/** A single EC2 instance: its hours, CPU credits above a burstable baseline, volumes, public address and, without CloudFront, its responses. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { instanceTypeSpec } from '../../instance-types';
import { HOURS_PER_MONTH } from '../profile';
import { instanceCharges, responsesToInternet, type Volume, volumesOf } from './compute';
import type { PricedKind } from './kind';
import { literal, referencedIds, type ResourceBase, workersIn } from './template';

export interface Ec2Instance extends ResourceBase {
  readonly kind: 'ec2-instance';
  readonly instanceType: string;
  readonly detailedMonitoring: boolean;
  readonly volumes: Volume[];
  readonly autoAssignedPublicIp: boolean;
  /** Service worker processes (WEB_CONCURRENCY in its user data); undefined: the service's default, 1. */
  readonly workers?: number;
  /** Its user data configures a proxy that gzips responses (a Caddyfile `encode … gzip`). */
  readonly compressesResponses: boolean;
}

/** Every string in a user data value (Fn::Base64 of an Fn::Join, usually), joined. */
function userDataText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(userDataText).join('');
  if (value !== null && typeof value === 'object') return Object.values(value).map(userDataText).join('');
  return '';
}

/** A Caddyfile `encode` directive with gzip among its encodings, as user data writes it. */
const COMPRESSING_PROXY = /(^|\n)\s*encode\s[^\n]*\bgzip\b/;

export const ec2Instance: PricedKind<Ec2Instance> = {
  kind: 'ec2-instance',
  cfnTypes: ['AWS::EC2::Instance'],
  read(view, id, r) {
    const p = r.Properties ?? {};
    const template = p.LaunchTemplate ? view.get([...referencedIds(p.LaunchTemplate)][0] ?? '')?.Properties?.LaunchTemplateData : undefined;
    const subnet = view.get([...referencedIds(p.SubnetId)][0] ?? '');
    const hasElasticIp =
      view.referencing('AWS::EC2::EIP', id, 'InstanceId').length + view.referencing('AWS::EC2::EIPAssociation', id, 'InstanceId').length >
      0;
    return [
      {
        ...view.base(id, r),
        kind: 'ec2-instance',
        instanceType: literal(p.InstanceType ?? template?.InstanceType ?? 'm1.small', 'InstanceType'),
        detailedMonitoring: p.Monitoring === true || template?.Monitoring?.Enabled === true,
        volumes: volumesOf(p.BlockDeviceMappings ?? template?.BlockDeviceMappings, id),
        // The EIP (priced on its own) replaces the address the subnet would assign.
        autoAssignedPublicIp: subnet?.Properties?.MapPublicIpOnLaunch === true && !hasElasticIp,
        workers: workersIn(p.UserData ?? template?.UserData),
        compressesResponses: COMPRESSING_PROXY.test(userDataText(p.UserData ?? template?.UserData)),
      },
    ];
  },
  usage(resource, context) {
    const { traffic, profile, stage, volume } = context;
    const spec = instanceTypeSpec(resource.instanceType);
    const demand = traffic.serviceVcpus * traffic.computeShare;
    if (spec !== undefined && demand / profile.targetCpuUtilisation > spec.vcpus) {
      context.overCapacity(
        `${stage.stage}: at ${volume} requests/month ${resource.id} (${resource.instanceType}, ${spec.vcpus} vCPUs) needs ` +
          `${(demand / profile.targetCpuUtilisation).toFixed(1)} vCPUs at ${profile.targetCpuUtilisation * 100}% CPU: it cannot carry this volume`,
      );
    }
    instanceCharges(resource, resource, 1, demand, context);
    if (resource.autoAssignedPublicIp)
      context.charge(resource, 'Amazon VPC', resource.region, 'vpc.public-ipv4', 'IP-hour', HOURS_PER_MONTH, 'public IPv4 address');
  },
  settle: (resource, context) => responsesToInternet(resource, resource.compressesResponses, context),
};
