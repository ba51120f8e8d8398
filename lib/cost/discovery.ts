/**
 * Templates → resources: every `AWS::*` resource of every stack template of a stage is either read
 * by its priced kind (lib/cost/resources/) into the facts its price depends on (instance type and
 * count, ASG bounds, task size, DB class, Lambda memory, table replicas, …), or named in the free list
 * with the reason it costs nothing by itself, or listed as unpriced. Nothing is dropped silently, so a
 * new resource type in a stack shows up in the report until someone prices it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   A resource's Properties are whatever CloudFormation JSON the template holds. */
import { KIND_BY_CFN_TYPE, type Resource } from './resources/index';
import { TemplateView, Unreadable } from './resources/template';
import type { StackTemplate } from './templates';

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

/** Reads every resource of `stacks` (one stage's templates). */
export function discoverResources(stage: string, stacks: StackTemplate[]): StageResources {
  const resources: Resource[] = [];
  const free: FreeResource[] = [];
  const unpriced: UnpricedResource[] = [];
  for (const stack of stacks) {
    const view = new TemplateView(stack.stackName, stack.region, stack.template);
    for (const [id, resource] of Object.entries(view.resources)) {
      const where = { stage, stack: stack.stackName, id, type: resource.Type };
      const kind = KIND_BY_CFN_TYPE.get(resource.Type);
      if (kind) {
        try {
          resources.push(...kind.read(view, id, resource));
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
