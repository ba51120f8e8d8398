/**
 * The flagstack CDK app: the stage configuration from context, one stack per infrastructure round,
 * and cdk-nag's AWS Solutions checks on all of them (synth fails on any unacknowledged finding). Each
 * stack takes the props it needs, mapped here from the validated configuration.
 */
import { type App, Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfig } from './config';
import { AutoscaledStack } from './stages/autoscaled-stack';
import { EdgeRegionStack, type EdgeRegionStackProps } from './stages/edge-region-stack';
import { EdgeStack } from './stages/edge-stack';
import { FargateStack } from './stages/fargate-stack';
import type { LoadBalancedStackProps } from './stages/load-balanced-stack';
import { SingleBoxStack } from './stages/single-box-stack';

/** The stacks of the app, by round. */
export interface FlagstackStacks {
  readonly singleBox: SingleBoxStack;
  readonly autoscaled: AutoscaledStack;
  readonly fargate: FargateStack;
  /** Round 4 in the home region: table, edge function, CloudFront. */
  readonly edge: EdgeStack;
  /** Round 4 in every other edge region. */
  readonly edgeRegions: readonly EdgeRegionStack[];
}

/** The props of the load-balanced tier (rounds 2 and 3). */
const loadBalancedProps = (config: StageConfig): LoadBalancedStackProps => ({
  corsOrigins: config.corsOrigins,
  requestsPerTarget: config.requestsPerTarget,
  alarm5xxPercent: config.alarm5xxPercent,
  alarmP99Latency: Duration.millis(config.alarmP99LatencyMs),
  multiAz: config.multiAz,
  domainName: config.domainName,
  certificateArn: config.certificateArn,
  cloudFrontPrefixListId: config.cloudFrontPrefixListId,
  alarmEmail: config.alarmEmail,
});

/** The props of an edge region's stack (round 4). */
const edgeRegionProps = (config: StageConfig): EdgeRegionStackProps => ({
  edgeName: config.edgeName,
  memorySize: config.edgeMemoryMiB,
  timeout: Duration.seconds(config.edgeTimeoutSeconds),
  reservedConcurrency: config.edgeReservedConcurrency,
  refreshInterval: Duration.seconds(config.edgeRefreshSeconds),
  traitTtlDays: config.edgeTraitTtlDays,
  corsOrigins: config.corsOrigins,
  alarm5xxPercent: config.alarm5xxPercent,
  alarmP99Duration: Duration.millis(config.alarmP99LatencyMs),
  alarmEmail: config.alarmEmail,
});

/**
 * Adds every round's stack to `app`. Account and region come from context (`-c account=… -c
 * region=…`), else the CDK CLI's environment, else the defaults whose availability zones cdk.json
 * holds, so synth never calls AWS. Throws ContextSettingsError on a bad setting, before any stack exists.
 */
export function addFlagstackStacks(app: App): { config: StageConfig; stacks: FlagstackStacks } {
  const context = app.node.getAllContext() as Record<string, unknown>;
  const config = loadStageConfig({ account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION, ...context });
  const env = { account: config.account, region: config.region };
  // Round 4 spans regions: CloudFront in the home stack needs every region's function URL, which CDK
  // passes across regions through SSM parameters (crossRegionReferences).
  const edgeRegions = config.edgeRegions
    .filter((region) => region !== config.region)
    .map(
      (region) =>
        new EdgeRegionStack(app, `Flagstack-Edge-${region}`, {
          ...edgeRegionProps(config),
          env: { account: config.account, region },
          crossRegionReferences: true,
          description: `flagstack round 4 in ${region}: the edge function behind its function URL`,
        }),
    );
  const stacks: FlagstackStacks = {
    singleBox: new SingleBoxStack(app, 'Flagstack-SingleBox', {
      env,
      description: 'flagstack round 1: one Graviton instance with PostgreSQL, nightly backups to S3',
      instanceType: new ec2.InstanceType(config.singleBoxInstanceType),
      dataVolumeGiB: config.singleBoxDataVolumeGiB,
      backupRetention: Duration.days(config.backupRetentionDays),
      corsOrigins: config.corsOrigins,
      domainName: config.domainName,
      alarmEmail: config.alarmEmail,
    }),
    autoscaled: new AutoscaledStack(app, 'Flagstack-Autoscaled', {
      env,
      description: 'flagstack round 2: Auto Scaling group behind an ALB and CloudFront, Aurora PostgreSQL behind RDS Proxy',
      ...loadBalancedProps(config),
      instanceType: new ec2.InstanceType(config.autoscaledInstanceType),
      minInstances: config.autoscaledMinInstances,
      maxInstances: config.autoscaledMaxInstances,
      databaseInstanceClass: config.databaseProvisioned ? config.databaseInstanceClass : undefined,
      serverlessCapacity: { min: config.auroraMinCapacity, max: config.auroraMaxCapacity },
    }),
    fargate: new FargateStack(app, 'Flagstack-Fargate', {
      env,
      description: 'flagstack round 3: ECS Fargate blue/green behind an ALB and CloudFront, RDS PostgreSQL Multi-AZ behind RDS Proxy',
      ...loadBalancedProps(config),
      cpu: config.fargateCpu,
      memoryMiB: config.fargateMemoryMiB,
      minTasks: config.fargateMinTasks,
      maxTasks: config.fargateMaxTasks,
      databaseInstanceClass: config.databaseInstanceClass,
      // Round 4's table: named, not referenced (its stack may be deployed later).
      edgeTableName: config.fargatePublishesToEdge ? config.edgeName : undefined,
    }),
    edge: new EdgeStack(app, 'Flagstack-Edge', {
      env,
      description: 'flagstack round 4: SDK endpoints on Lambda in several regions behind CloudFront, from a DynamoDB global table',
      ...edgeRegionProps(config),
      crossRegionReferences: true,
      regions: edgeRegions.map((stack) => ({ region: stack.region, functionUrl: stack.edge.functionUrl.url })),
      domainName: config.domainName,
      certificateArn: config.certificateArn,
    }),
    edgeRegions,
  };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, stacks };
}
