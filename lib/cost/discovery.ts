/**
 * Templates → resources: every `AWS::*` resource of every stack template of a stage is either read
 * by a registry entry into a typed billable resource (instance type and count, ASG bounds, task
 * size, DB class, Lambda memory, table replicas, …), or named in the free list with the reason it
 * costs nothing by itself, or listed as unpriced. Nothing is dropped silently, so a new resource
 * type in a stack shows up in the report until someone prices it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   A resource's Properties are whatever CloudFormation JSON the template holds; each reader below checks the shape it needs. */
import type { CfnTemplate, StackTemplate } from './templates';

/** The parts of a CloudFormation resource the registry reads. */
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly UpdatePolicy?: Record<string, any>;
}

interface ResourceBase {
  /** Logical id in its stack. */
  readonly id: string;
  readonly type: string;
  readonly stack: string;
  readonly region: string;
}

export interface Volume {
  readonly volumeType: string;
  readonly sizeGiB: number;
}

/** How an Auto Scaling group or ECS service tracks load: ALB requests per target per minute. */
export interface RequestScaling {
  readonly requestsPerTargetPerMinute: number;
}

export type Resource = ResourceBase &
  (
    | {
        kind: 'ec2-instance';
        instanceType: string;
        detailedMonitoring: boolean;
        volumes: Volume[];
        autoAssignedPublicIp: boolean;
        /** Service worker processes (WEB_CONCURRENCY in its user data); undefined: the service's default, 1. */
        workers?: number;
        /** Its user data configures a proxy that gzips responses (a Caddyfile `encode … gzip`). */
        compressesResponses: boolean;
      }
    | {
        kind: 'auto-scaling-group';
        instanceType: string;
        detailedMonitoring: boolean;
        volumes: Volume[];
        min: number;
        max: number;
        desired?: number;
        scaling?: RequestScaling;
        workers?: number;
        /** Instances kept in service during a rolling update (its UpdatePolicy); undefined without one. */
        rollingUpdateMinInService?: number;
      }
    | { kind: 'ebs-volume'; volume: Volume }
    | { kind: 'elastic-ip' }
    | { kind: 'nat-gateway' }
    | { kind: 'load-balancer'; loadBalancerType: string; internetFacing: boolean; subnets: number; rules: number }
    | { kind: 'cloudfront'; priceClass: string; behaviors: CacheBehavior[] }
    | { kind: 'cloudfront-function' }
    | {
        kind: 'aurora-cluster';
        storageType: string;
        serverless?: { min: number; max: number };
        instances: { id: string; instanceClass: string; followsWriter: boolean }[];
      }
    | { kind: 'rds-instance'; engine: string; instanceClass: string; multiAz: boolean; storageGiB: number; storageType: string }
    | { kind: 'rds-proxy'; targets: string[] }
    | {
        kind: 'fargate-service';
        /** Logical id of its ECS cluster. */
        clusterId: string;
        cpu: number;
        memoryMiB: number;
        architecture: 'arm64' | 'x86_64';
        desired: number;
        min: number;
        max: number;
        scaling?: RequestScaling;
        workers?: number;
        /** Deployed blue/green by ECS (DeploymentConfiguration.Strategy BLUE_GREEN), else rolling. */
        blueGreen?: boolean;
      }
    | { kind: 'ecs-cluster'; containerInsights: 'enabled' | 'enhanced' | 'disabled'; services: number }
    | { kind: 'log-group'; retentionDays?: number; carries: LogGroupContents }
    | { kind: 'metric-filter'; metrics: number; namespace?: string; metricName?: string }
    | { kind: 'alarm'; metrics: number; highResolution: boolean }
    | { kind: 'composite-alarm' }
    | { kind: 'dashboard' }
    | { kind: 'secret' }
    | { kind: 's3-bucket'; holdsBackups: boolean; expirationDays?: number }
    | { kind: 'kms-key' }
    | {
        kind: 'lambda-function';
        memoryMiB: number;
        architecture: 'arm64' | 'x86_64';
        serving: boolean;
        /** Runs as Lambda@Edge on a CloudFront behaviour (priced per invocation with the distribution). */
        edge: boolean;
        /** Retention of its log group; undefined when the log group never expires (Lambda's default). */
        logRetentionDays?: number;
        /** Concurrency reserved for it; undefined when it draws on the region's shared pool. */
        reservedConcurrency?: number;
      }
    | {
        kind: 'dynamodb-table';
        billingMode: string;
        replicaRegions: string[];
        /** The replicas with point-in-time recovery (continuous backups) on. */
        pitrRegions: string[];
      }
    | { kind: 'hosted-zone' }
    | { kind: 'dns-record'; routing: 'alias' | 'latency' | 'standard' }
  );

/** A function run by CloudFront on a behaviour's requests: Lambda@Edge or a CloudFront Function. */
export interface FunctionAssociation {
  readonly eventType: 'viewer-request' | 'viewer-response' | 'origin-request' | 'origin-response';
  /** Logical id of the function in the same template; undefined when it lives elsewhere. */
  readonly functionId?: string;
}

/** One CloudFront cache behaviour, in the order CloudFront matches them (the default last, pattern null). */
export interface CacheBehavior {
  readonly pathPattern: string | null;
  /** A cache policy other than CachingDisabled. */
  readonly cached: boolean;
  /**
   * CloudFront compresses its responses for viewers that accept gzip or Brotli: `Compress` on, and a
   * cache policy that caches and puts the encodings in the cache key (CachingDisabled does neither).
   */
  readonly compresses: boolean;
  readonly lambdaEdge: FunctionAssociation[];
  readonly cloudFrontFunctions: FunctionAssociation[];
}

/** What writes to a log group: the service's request log, a Lambda function (priced with it), VPC flow logs. */
export type LogGroupContents = 'service' | 'function' | 'flow-log' | 'unknown';

export type ResourceOf<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

/** A resource that costs nothing by itself, and why. */
export interface FreeResource {
  readonly id: string;
  readonly type: string;
  readonly stack: string;
  readonly reason: string;
}

/** A resource the estimate cannot price, and why. */
export interface UnpricedResource {
  readonly stage?: string;
  readonly stack: string;
  readonly id: string;
  readonly type: string;
  readonly reason: string;
}

/** What one stage's stacks create. */
export interface StageResources {
  readonly stage: string;
  readonly stacks: { readonly name: string; readonly region: string }[];
  readonly resources: Resource[];
  readonly free: FreeResource[];
  readonly unpriced: UnpricedResource[];
  /** Another stage this one cannot run without (edge serves what fargate's service publishes), and why. */
  readonly controlPlane?: { readonly reason: string; readonly resources: StageResources };
}

/** Types that cost nothing by themselves, each with the reason. */
export const FREE_TYPES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'IAM is free',
  'AWS::IAM::Policy': 'IAM is free',
  'AWS::IAM::ManagedPolicy': 'IAM is free',
  'AWS::IAM::InstanceProfile': 'IAM is free',
  'AWS::EC2::VPC': 'VPCs are free',
  'AWS::EC2::Subnet': 'subnets are free',
  'AWS::EC2::RouteTable': 'route tables are free',
  'AWS::EC2::Route': 'routes are free',
  'AWS::EC2::SubnetRouteTableAssociation': 'route table associations are free',
  'AWS::EC2::InternetGateway': 'internet gateways are free (data out is priced on the traffic)',
  'AWS::EC2::VPCGatewayAttachment': 'gateway attachments are free',
  'AWS::EC2::SecurityGroup': 'security groups are free',
  'AWS::EC2::SecurityGroupIngress': 'security group rules are free',
  'AWS::EC2::SecurityGroupEgress': 'security group rules are free',
  'AWS::EC2::LaunchTemplate': 'priced through the instances or Auto Scaling group that launch from it',
  'AWS::EC2::FlowLog': 'priced through the log group it writes to',
  'AWS::AutoScaling::ScalingPolicy': 'read with its Auto Scaling group (target tracking alarms are not priced)',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'read with its ECS service',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'read with its ECS service (target tracking alarms are not priced)',
  'AWS::ElasticLoadBalancingV2::Listener': 'priced with its load balancer',
  'AWS::ElasticLoadBalancingV2::ListenerRule': "counted in its load balancer's rule evaluations",
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'target groups are free',
  'AWS::CloudFront::CachePolicy': 'cache policies are free',
  'AWS::CloudFront::OriginRequestPolicy': 'origin request policies are free',
  'AWS::CloudFront::ResponseHeadersPolicy': 'response headers policies are free',
  'AWS::CloudFront::OriginAccessControl': 'origin access control is free',
  'AWS::RDS::DBSubnetGroup': 'subnet groups are free',
  'AWS::RDS::DBParameterGroup': 'parameter groups are free',
  'AWS::RDS::DBClusterParameterGroup': 'parameter groups are free',
  'AWS::RDS::DBProxyTargetGroup': 'read with its RDS Proxy',
  'AWS::ECS::TaskDefinition': 'priced through the Fargate service that runs it',
  'AWS::SecretsManager::SecretTargetAttachment': 'free',
  'AWS::SecretsManager::ResourcePolicy': 'free',
  'AWS::SecretsManager::RotationSchedule': 'rotation runs a Lambda function once a month: a fraction of a cent',
  'AWS::Serverless::Application':
    'the Secrets Manager rotation function from the Serverless Application Repository, invoked once per rotation: a fraction of a cent',
  'AWS::SNS::Topic': 'topics are free; publishes cost $0.50 per million and only alarms publish here',
  'AWS::SNS::TopicPolicy': 'free',
  'AWS::SNS::Subscription': 'email notifications of alarms: the first 1,000 a month are free',
  'AWS::S3::BucketPolicy': 'free',
  'AWS::KMS::Alias': 'aliases are free',
  'AWS::Lambda::Permission': 'free',
  'AWS::Lambda::Url': "function URLs cost nothing beyond the function's requests and duration",
  'AWS::Lambda::Version': 'versions are free',
  'AWS::Lambda::Alias': 'aliases are free',
  'AWS::Logs::ResourcePolicy': 'free',
  'AWS::SSM::Parameter': 'standard parameters are free',
  'AWS::CDK::Metadata': 'CDK bookkeeping, not an AWS resource',
  'AWS::CloudFormation::CustomResource': 'runs at deployment only',
  'AWS::CloudFormation::WaitConditionHandle': 'free',
  'AWS::CloudFormation::WaitCondition': 'free',
};

/** The managed CloudFront cache policy "CachingDisabled". */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/** Managed cache policies that cache with gzip and Brotli in the cache key ("CachingOptimized"). */
const MANAGED_COMPRESSING_POLICIES = new Set(['658327ea-f89d-4fab-a63d-7e88639e58f6']);

/** Whether a behaviour's cache policy (managed, or one in the template) caches and lets CloudFront compress. */
function policyCompresses(view: TemplateView, policyId: unknown): boolean {
  if (typeof policyId === 'string') return MANAGED_COMPRESSING_POLICIES.has(policyId);
  const config = view.get([...referencedIds(policyId)][0] ?? '')?.Properties?.CachePolicyConfig;
  const keyed = config?.ParametersInCacheKeyAndForwardedToOrigin;
  const caches = (num(config?.MaxTTL) ?? 0) > 0 || (num(config?.DefaultTTL) ?? 0) > 0;
  return caches && (keyed?.EnableAcceptEncodingGzip === true || keyed?.EnableAcceptEncodingBrotli === true);
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

/** Every logical id `value` points at through Ref or Fn::GetAtt, however deep. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') into.add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
      else referencedIds(inner, into);
    }
  }
  return into;
}

/** Service worker processes set in `value` (user data or container environment): WEB_CONCURRENCY, default 1. */
function workersIn(value: unknown): number {
  const text = JSON.stringify(value ?? null);
  const match = /WEB_CONCURRENCY=(\d+)/.exec(text) ?? /"Name":"WEB_CONCURRENCY","Value":"(\d+)"/.exec(text);
  return match ? Number(match[1]) : 1;
}

/** A template number, which CloudFormation lets be a string ("20"). */
function num(value: unknown, fallback?: number): number | undefined {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}

/** Thrown by a reader that cannot price a resource as written (an unresolved value, an unknown mode). */
class Unreadable extends Error {}

function required(value: number | undefined, what: string): number {
  if (value === undefined) throw new Unreadable(`${what} is not a literal number in the template`);
  return value;
}

function literal(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Unreadable(`${what} is not a literal string in the template`);
  return value;
}

/** One template with lookups across its resources. */
class TemplateView {
  readonly resources: Readonly<Record<string, CfnResource>>;

  constructor(
    readonly stack: string,
    readonly region: string,
    template: CfnTemplate,
  ) {
    this.resources = template.Resources ?? {};
  }

  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, resource]) => resource.Type === type);
  }

  /** Resources of `type` whose properties point at `id`. */
  referencing(type: string, id: string, property?: string): [string, CfnResource][] {
    return this.ofType(type).filter(([, resource]) =>
      referencedIds(property ? resource.Properties?.[property] : resource.Properties).has(id),
    );
  }

  get(id: string): CfnResource | undefined {
    return this.resources[id];
  }

  base(id: string, resource: CfnResource): ResourceBase {
    return { id, type: resource.Type, stack: this.stack, region: this.region };
  }
}

function volumesOf(mappings: unknown, what: string): Volume[] {
  if (!Array.isArray(mappings)) return [];
  return mappings
    .filter((mapping) => mapping?.Ebs !== undefined)
    .map((mapping) => ({
      volumeType: typeof mapping.Ebs.VolumeType === 'string' ? mapping.Ebs.VolumeType : 'gp2',
      sizeGiB: required(num(mapping.Ebs.VolumeSize), `${what} volume ${mapping.DeviceName} size`),
    }));
}

function requestScaling(configuration: any): RequestScaling | undefined {
  if (configuration?.PredefinedMetricSpecification?.PredefinedMetricType !== 'ALBRequestCountPerTarget') return undefined;
  const target = num(configuration.TargetValue);
  return target === undefined ? undefined : { requestsPerTargetPerMinute: target };
}

/** The Lambda function a Lambda@Edge association's ARN points at (directly, or through a version). */
function lambdaBehind(view: TemplateView, arn: unknown): string | undefined {
  for (const ref of referencedIds(arn)) {
    const target = view.get(ref);
    if (target?.Type === 'AWS::Lambda::Function') return ref;
    if (target?.Type === 'AWS::Lambda::Version') {
      const fn = [...referencedIds(target.Properties?.FunctionName)].find((f) => view.get(f)?.Type === 'AWS::Lambda::Function');
      if (fn) return fn;
    }
  }
  return undefined;
}

type Reader = (view: TemplateView, id: string, resource: CfnResource) => Resource[];

/** How each billable type is read. */
const READERS: Readonly<Record<string, Reader>> = {
  'AWS::EC2::Instance': (view, id, r) => {
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
  'AWS::AutoScaling::AutoScalingGroup': (view, id, r) => {
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
  'AWS::EC2::Volume': (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'ebs-volume',
      volume: { volumeType: r.Properties?.VolumeType ?? 'gp2', sizeGiB: required(num(r.Properties?.Size), 'Size') },
    },
  ],
  'AWS::EC2::EIP': (view, id, r) => [{ ...view.base(id, r), kind: 'elastic-ip' }],
  'AWS::EC2::NatGateway': (view, id, r) =>
    r.Properties?.ConnectivityType === 'private' ? [] : [{ ...view.base(id, r), kind: 'nat-gateway' }],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': (view, id, r) => {
    const p = r.Properties ?? {};
    const listeners = view.referencing('AWS::ElasticLoadBalancingV2::Listener', id, 'LoadBalancerArn').map(([listenerId]) => listenerId);
    const rules = view
      .ofType('AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter(([, rule]) => listeners.some((l) => referencedIds(rule.Properties?.ListenerArn).has(l)));
    return [
      {
        ...view.base(id, r),
        kind: 'load-balancer',
        loadBalancerType: p.Type ?? 'application',
        internetFacing: (p.Scheme ?? 'internet-facing') === 'internet-facing',
        subnets: Array.isArray(p.Subnets) ? p.Subnets.length : Array.isArray(p.SubnetMappings) ? p.SubnetMappings.length : 2,
        rules: rules.length,
      },
    ];
  },
  'AWS::CloudFront::Distribution': (view, id, r) => {
    const config = r.Properties?.DistributionConfig ?? {};
    const behaviors = [...(config.CacheBehaviors ?? []), { ...config.DefaultCacheBehavior, PathPattern: null }].map((b: any) => ({
      pathPattern: b.PathPattern === null ? null : String(b.PathPattern),
      cached: b.CachePolicyId !== undefined && b.CachePolicyId !== CACHING_DISABLED,
      compresses: b.Compress === true && policyCompresses(view, b.CachePolicyId),
      lambdaEdge: (b.LambdaFunctionAssociations ?? []).map((a: any) => ({
        eventType: a.EventType,
        functionId: lambdaBehind(view, a.LambdaFunctionARN),
      })),
      cloudFrontFunctions: (b.FunctionAssociations ?? []).map((a: any) => ({
        eventType: a.EventType,
        functionId: [...referencedIds(a.FunctionARN)][0],
      })),
    }));
    return [{ ...view.base(id, r), kind: 'cloudfront', priceClass: config.PriceClass ?? 'PriceClass_All', behaviors }];
  },
  'AWS::CloudFront::Function': (view, id, r) => [{ ...view.base(id, r), kind: 'cloudfront-function' }],
  'AWS::RDS::DBCluster': (view, id, r) => {
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
  'AWS::RDS::DBInstance': (view, id, r) => {
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
  'AWS::RDS::DBProxy': (view, id, r) => {
    const targets = view
      .referencing('AWS::RDS::DBProxyTargetGroup', id, 'DBProxyName')
      .flatMap(([, group]) => [
        ...referencedIds(group.Properties?.DBClusterIdentifiers),
        ...referencedIds(group.Properties?.DBInstanceIdentifiers),
      ]);
    return [{ ...view.base(id, r), kind: 'rds-proxy', targets }];
  },
  'AWS::ECS::Service': (view, id, r) => {
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
  'AWS::ECS::Cluster': (view, id, r) => {
    const setting = (r.Properties?.ClusterSettings ?? []).find((s: any) => s.Name === 'containerInsights')?.Value ?? 'disabled';
    const services = view.referencing('AWS::ECS::Service', id, 'Cluster').length;
    return [{ ...view.base(id, r), kind: 'ecs-cluster', containerInsights: setting, services }];
  },
  'AWS::Logs::LogGroup': (view, id, r) => {
    const writtenByService =
      view.ofType('AWS::EC2::Instance').some(([, i]) => referencedIds(i.Properties?.UserData).has(id)) ||
      view.ofType('AWS::EC2::LaunchTemplate').some(([, t]) => referencedIds(t.Properties?.LaunchTemplateData?.UserData).has(id)) ||
      view
        .ofType('AWS::ECS::TaskDefinition')
        .some(([, t]) => referencedIds((t.Properties?.ContainerDefinitions ?? []).map((c: any) => c.LogConfiguration)).has(id));
    const carries: LogGroupContents = writtenByService
      ? 'service'
      : view.referencing('AWS::Lambda::Function', id, 'LoggingConfig').length > 0
        ? 'function'
        : view.referencing('AWS::EC2::FlowLog', id).length > 0
          ? 'flow-log'
          : 'unknown';
    return [{ ...view.base(id, r), kind: 'log-group', retentionDays: num(r.Properties?.RetentionInDays), carries }];
  },
  'AWS::Logs::MetricFilter': (view, id, r) => {
    const transformations: any[] = r.Properties?.MetricTransformations ?? [];
    const first = transformations[0];
    return [
      {
        ...view.base(id, r),
        kind: 'metric-filter',
        metrics: transformations.length || 1,
        namespace: typeof first?.MetricNamespace === 'string' ? first.MetricNamespace : undefined,
        metricName: typeof first?.MetricName === 'string' ? first.MetricName : undefined,
      },
    ];
  },
  'AWS::CloudWatch::Alarm': (view, id, r) => {
    const p = r.Properties ?? {};
    const stats = Array.isArray(p.Metrics) ? p.Metrics.filter((m: any) => m.MetricStat !== undefined) : [];
    const periods = stats.length > 0 ? stats.map((m: any) => num(m.MetricStat.Period, 60) as number) : [num(p.Period, 60) as number];
    return [
      {
        ...view.base(id, r),
        kind: 'alarm',
        metrics: Math.max(stats.length, 1),
        highResolution: periods.some((period: number) => period < 60),
      },
    ];
  },
  'AWS::CloudWatch::CompositeAlarm': (view, id, r) => [{ ...view.base(id, r), kind: 'composite-alarm' }],
  'AWS::CloudWatch::Dashboard': (view, id, r) => [{ ...view.base(id, r), kind: 'dashboard' }],
  'AWS::SecretsManager::Secret': (view, id, r) => [{ ...view.base(id, r), kind: 'secret' }],
  'AWS::S3::Bucket': (view, id, r) => {
    const rules: any[] = r.Properties?.LifecycleConfiguration?.Rules ?? [];
    // A bucket the instances write to from user data holds the nightly database dumps.
    const holdsBackups = [
      ...view.ofType('AWS::EC2::Instance').map(([, i]) => i.Properties?.UserData),
      ...view.ofType('AWS::EC2::LaunchTemplate').map(([, t]) => t.Properties?.LaunchTemplateData?.UserData),
    ].some((userData) => referencedIds(userData).has(id));
    const expirations = rules
      .filter((rule) => rule.Status !== 'Disabled')
      .map((rule) => num(rule.ExpirationInDays))
      .filter((days): days is number => days !== undefined);
    return [
      {
        ...view.base(id, r),
        kind: 's3-bucket',
        holdsBackups,
        expirationDays: expirations.length > 0 ? Math.min(...expirations) : undefined,
      },
    ];
  },
  'AWS::KMS::Key': (view, id, r) => [{ ...view.base(id, r), kind: 'kms-key' }],
  'AWS::Lambda::Function': (view, id, r) => {
    const p = r.Properties ?? {};
    const architecture = (p.Architectures ?? ['x86_64'])[0] === 'arm64' ? 'arm64' : 'x86_64';
    // A function behind a function URL answers requests; a Lambda@Edge function runs on a CloudFront
    // behaviour's; any other runs at deployment or on events.
    const serving = view.referencing('AWS::Lambda::Url', id, 'TargetFunctionArn').length > 0;
    const edge = view
      .ofType('AWS::CloudFront::Distribution')
      .some(([, d]) =>
        [...(d.Properties?.DistributionConfig?.CacheBehaviors ?? []), d.Properties?.DistributionConfig?.DefaultCacheBehavior ?? {}].some(
          (b: any) => (b.LambdaFunctionAssociations ?? []).some((a: any) => lambdaBehind(view, a.LambdaFunctionARN) === id),
        ),
      );
    return [
      {
        ...view.base(id, r),
        kind: 'lambda-function',
        memoryMiB: required(num(p.MemorySize, 128), 'MemorySize'),
        architecture,
        serving,
        edge,
        logRetentionDays: num(view.get([...referencedIds(p.LoggingConfig?.LogGroup)][0] ?? '')?.Properties?.RetentionInDays),
        reservedConcurrency: num(p.ReservedConcurrentExecutions),
      },
    ];
  },
  'AWS::DynamoDB::GlobalTable': (view, id, r) => {
    const p = r.Properties ?? {};
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
  'AWS::DynamoDB::Table': (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'dynamodb-table',
      billingMode: r.Properties?.BillingMode ?? 'PROVISIONED',
      replicaRegions: [view.region],
      pitrRegions: r.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true ? [view.region] : [],
    },
  ],
  'AWS::Route53::HostedZone': (view, id, r) => [{ ...view.base(id, r), kind: 'hosted-zone' }],
  'AWS::Route53::RecordSet': (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'dns-record',
      routing: r.Properties?.AliasTarget ? 'alias' : r.Properties?.Region ? 'latency' : 'standard',
    },
  ],
};

/** Reads every resource of `stacks` (one stage's templates). */
export function discoverResources(stage: string, stacks: StackTemplate[]): StageResources {
  const resources: Resource[] = [];
  const free: FreeResource[] = [];
  const unpriced: UnpricedResource[] = [];
  for (const stack of stacks) {
    const view = new TemplateView(stack.stackName, stack.region, stack.template);
    for (const [id, resource] of Object.entries(view.resources)) {
      const where = { stage, stack: stack.stackName, id, type: resource.Type };
      const reader = READERS[resource.Type];
      if (reader) {
        try {
          resources.push(...reader(view, id, resource));
        } catch (error) {
          if (!(error instanceof Unreadable)) throw error;
          unpriced.push({ ...where, reason: error.message });
        }
      } else if (FREE_TYPES[resource.Type] !== undefined) {
        free.push({ id, type: resource.Type, stack: stack.stackName, reason: FREE_TYPES[resource.Type] });
      } else if (resource.Type.startsWith('Custom::')) {
        free.push({ id, type: resource.Type, stack: stack.stackName, reason: 'a custom resource: its provider runs at deployment only' });
      } else {
        unpriced.push({ ...where, reason: 'no price model for this resource type' });
      }
    }
  }
  return { stage, stacks: stacks.map((s) => ({ name: s.stackName, region: s.region })), resources, free, unpriced };
}

/**
 * The stacks among `candidates` that run a stage's control plane: those whose service is configured
 * with the name of a DynamoDB table the stage's stacks create (an ECS container's environment, or
 * instance user data). The fargate stage publishes every environment to the edge stage's table this way.
 */
export function controlPlaneStacks(
  stacks: StackTemplate[],
  candidates: StackTemplate[],
): { stacks: StackTemplate[]; reason: string } | undefined {
  const tableNames = stacks.flatMap((stack) =>
    Object.values(stack.template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::DynamoDB::GlobalTable' || r.Type === 'AWS::DynamoDB::Table')
      .map((r) => r.Properties?.TableName)
      .filter((name): name is string => typeof name === 'string'),
  );
  const configuredWith = (stack: StackTemplate) =>
    tableNames.find((name) =>
      Object.values(stack.template.Resources ?? {}).some((r) => {
        const p = r.Properties as Record<string, any> | undefined;
        if (r.Type === 'AWS::ECS::TaskDefinition')
          return (p?.ContainerDefinitions ?? []).some((c: any) => (c.Environment ?? []).some((e: any) => e.Value === name));
        const userData =
          r.Type === 'AWS::EC2::Instance'
            ? p?.UserData
            : r.Type === 'AWS::EC2::LaunchTemplate'
              ? p?.LaunchTemplateData?.UserData
              : undefined;
        return userData !== undefined && JSON.stringify(userData).includes(name);
      }),
    );
  const found = candidates.map((stack) => ({ stack, table: configuredWith(stack) })).filter((c) => c.table !== undefined);
  if (found.length === 0) return undefined;
  return {
    stacks: found.map((c) => c.stack),
    reason: found.map((c) => `${c.stack.stackName} publishes to the table ${c.table}`).join('; '),
  };
}
