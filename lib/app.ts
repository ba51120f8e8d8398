/**
 * The flagstack CDK app: the stage configuration from context, one stack per infrastructure round,
 * and cdk-nag's AWS Solutions checks on all of them (synth fails on any unacknowledged finding).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfig } from './config';
import { AutoscaledStack } from './stages/autoscaled-stack';
import { EdgeRegionStack } from './stages/edge-region-stack';
import { EdgeStack } from './stages/edge-stack';
import { FargateStack } from './stages/fargate-stack';
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

/**
 * Adds every round's stack to `app`. Account and region come from context (`-c account=… -c
 * region=…`), else the CDK CLI's environment, else the defaults whose availability zones cdk.json
 * holds, so synth never calls AWS. Throws ContextSettingsError on a bad setting, before any stack exists.
 */
export function addFlagstackStacks(app: App): { config: StageConfig; stacks: FlagstackStacks } {
  const config = loadStageConfig({
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
    ...app.node.getAllContext(),
  });
  const env = { account: config.account, region: config.region };
  // Round 4 spans regions: CloudFront in the home stack needs every region's function URL, which CDK
  // passes across regions through SSM parameters (crossRegionReferences).
  const edgeRegions = config.edgeRegions
    .filter((region) => region !== config.region)
    .map(
      (region) =>
        new EdgeRegionStack(app, `Flagstack-Edge-${region}`, {
          env: { account: config.account, region },
          config,
          crossRegionReferences: true,
          description: `flagstack round 4 in ${region}: the edge function behind its function URL`,
        }),
    );
  const stacks: FlagstackStacks = {
    singleBox: new SingleBoxStack(app, 'Flagstack-SingleBox', {
      env,
      config,
      description: 'flagstack round 1: one Graviton instance with PostgreSQL, nightly backups to S3',
    }),
    autoscaled: new AutoscaledStack(app, 'Flagstack-Autoscaled', {
      env,
      config,
      description: 'flagstack round 2: Auto Scaling group behind an ALB and CloudFront, Aurora PostgreSQL behind RDS Proxy',
    }),
    fargate: new FargateStack(app, 'Flagstack-Fargate', {
      env,
      config,
      description: 'flagstack round 3: ECS Fargate blue/green behind an ALB and CloudFront, RDS PostgreSQL Multi-AZ behind RDS Proxy',
    }),
    edge: new EdgeStack(app, 'Flagstack-Edge', {
      env,
      config,
      crossRegionReferences: true,
      regions: edgeRegions.map((stack) => ({ region: stack.region, functionUrl: stack.edge.functionUrl.url })),
      description: 'flagstack round 4: SDK endpoints on Lambda in several regions behind CloudFront, from a DynamoDB global table',
    }),
    edgeRegions,
  };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, stacks };
}
