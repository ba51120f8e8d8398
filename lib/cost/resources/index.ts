/**
 * The priced resource kinds: one module each, read from the templates by discovery
 * (lib/cost/discovery.ts) and billed at a volume by the usage model (lib/cost/usage.ts). A
 * CloudFormation type no kind reads is either free (FREE_TYPES) or listed as unpriced.
 *
 * Listed in the order their `size` and `settle` hooks run: the Auto Scaling groups are sized before
 * the Fargate services, and RDS Proxy settles before the kinds after it.
 */
import { alarm, type Alarm } from './alarm';
import { auroraCluster, type AuroraCluster } from './aurora-cluster';
import { autoScalingGroup, type AutoScalingGroup } from './auto-scaling-group';
import { cloudFrontDistribution, type CloudFrontDistribution } from './cloudfront-distribution';
import { cloudFrontFunction, type CloudFrontFunction } from './cloudfront-function';
import { cloudFrontKeyValueStore, type CloudFrontKeyValueStore } from './cloudfront-key-value-store';
import { compositeAlarm, type CompositeAlarm } from './composite-alarm';
import { dashboard, type Dashboard } from './dashboard';
import { dnsRecord, type DnsRecord } from './dns-record';
import { dynamoDbTable, type DynamoDbTable } from './dynamodb-table';
import { ebsVolume, type EbsVolume } from './ebs-volume';
import { ec2Instance, type Ec2Instance } from './ec2-instance';
import { ecsCluster, type EcsCluster } from './ecs-cluster';
import { elasticIp, type ElasticIp } from './elastic-ip';
import { fargateService, type FargateService } from './fargate-service';
import { hostedZone, type HostedZone } from './hosted-zone';
import type { PricedKind } from './kind';
import { kmsKey, type KmsKey } from './kms-key';
import { lambdaFunction, type LambdaFunction } from './lambda-function';
import { loadBalancer, type LoadBalancer } from './load-balancer';
import { logGroup, type LogGroup } from './log-group';
import { metricFilter, type MetricFilter } from './metric-filter';
import { natGateway, type NatGateway } from './nat-gateway';
import { rdsInstance, type RdsInstance } from './rds-instance';
import { rdsProxy, type RdsProxy } from './rds-proxy';
import { route53HealthCheck, type Route53HealthCheck } from './route53-health-check';
import { s3Bucket, type S3Bucket } from './s3-bucket';
import { secret, type Secret } from './secret';

/** A priced resource: where it is, and the facts of its kind. */
export type Resource =
  | Ec2Instance
  | AutoScalingGroup
  | EbsVolume
  | ElasticIp
  | NatGateway
  | LoadBalancer
  | CloudFrontDistribution
  | CloudFrontFunction
  | CloudFrontKeyValueStore
  | AuroraCluster
  | RdsInstance
  | RdsProxy
  | FargateService
  | EcsCluster
  | LogGroup
  | MetricFilter
  | Alarm
  | CompositeAlarm
  | Dashboard
  | Secret
  | S3Bucket
  | KmsKey
  | LambdaFunction
  | DynamoDbTable
  | HostedZone
  | DnsRecord
  | Route53HealthCheck;

export type ResourceOf<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

/** Every priced kind, by its name. */
export const PRICED_KINDS: { readonly [K in Resource['kind']]: PricedKind<ResourceOf<K>> } = {
  'ebs-volume': ebsVolume,
  'elastic-ip': elasticIp,
  'nat-gateway': natGateway,
  'load-balancer': loadBalancer,
  cloudfront: cloudFrontDistribution,
  'cloudfront-function': cloudFrontFunction,
  'cloudfront-key-value-store': cloudFrontKeyValueStore,
  'aurora-cluster': auroraCluster,
  'rds-instance': rdsInstance,
  'rds-proxy': rdsProxy,
  'ecs-cluster': ecsCluster,
  'ec2-instance': ec2Instance,
  'auto-scaling-group': autoScalingGroup,
  'fargate-service': fargateService,
  'lambda-function': lambdaFunction,
  'dynamodb-table': dynamoDbTable,
  'log-group': logGroup,
  'metric-filter': metricFilter,
  alarm,
  'composite-alarm': compositeAlarm,
  dashboard,
  secret,
  's3-bucket': s3Bucket,
  'kms-key': kmsKey,
  'hosted-zone': hostedZone,
  'dns-record': dnsRecord,
  'route53-health-check': route53HealthCheck,
};

/** The kinds in the order their hooks run. */
export const PRICED_KIND_LIST: readonly PricedKind<Resource>[] = Object.values(PRICED_KINDS);

/** The kind of `resource`. */
export const kindOf = (resource: Resource): PricedKind<Resource> => PRICED_KINDS[resource.kind];

/** The kind that reads each CloudFormation type. */
export const KIND_BY_CFN_TYPE: ReadonlyMap<string, PricedKind<Resource>> = new Map(
  PRICED_KIND_LIST.flatMap((kind) => kind.cfnTypes.map((type) => [type, kind] as const)),
);
