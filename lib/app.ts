/**
 * The flagstack CDK app: the stage configuration from context, every stage's stacks (the stage
 * registry, lib/stages/index.ts), and cdk-nag's AWS Solutions checks on all of them (synth fails on
 * any unacknowledged finding).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfig } from './config';
import { addStages, type FlagstackStacks } from './stages';

export type { FlagstackStacks };

/**
 * Adds every stage's stacks to `app`. Account and region come from context (`-c account=… -c
 * region=…`), else the CDK CLI's environment, else the defaults whose availability zones cdk.json
 * holds, so synth never calls AWS. Throws ContextSettingsError on a bad setting, before any stack exists.
 */
export function addFlagstackStacks(app: App): { config: StageConfig; stacks: FlagstackStacks } {
  const context = app.node.getAllContext() as Record<string, unknown>;
  const config = loadStageConfig({ account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION, ...context });
  const stacks = addStages(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, stacks };
}
