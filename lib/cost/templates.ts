/**
 * Where templates come from: the CDK app synthesised in-process (cdk.json's context plus any
 * overrides, no AWS calls), or a cloud assembly (`cdk.out`) already on disk; and which stacks make
 * up each stage (lib/stages/index.ts, the stage registry).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addFlagstackStacks } from '../app';
import { isStackOfStage, STAGES, type StageId } from '../stages';

/** The parts of a CloudFormation template the estimator reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, unknown>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

/** The stacks of `stage` among `stacks`: `Flagstack-Edge`, `Flagstack-Edge-eu-west-1`, … (the stage registry says which). */
export function stacksOfStage(stage: StageId, stacks: StackTemplate[]): StackTemplate[] {
  return stacks.filter((stack) => isStackOfStage(stage, stack.stackName));
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Synthesises the flagstack app the way `cdk synth` does, in a temporary directory. */
export function synthesiseApp(context: Record<string, string> = {}): { stacks: StackTemplate[]; homeRegion: string } {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cost-'));
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
    const { config } = addFlagstackStacks(app);
    const assembly = app.synth();
    const stacks = assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      region: stack.environment.region,
      template: stack.template as CfnTemplate,
    }));
    return { stacks, homeRegion: config.region };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The stacks of a cloud assembly on disk (`cdk synth` output). */
export function readCloudAssembly(directory: string): { stacks: StackTemplate[]; homeRegion: string } {
  if (!fs.existsSync(path.join(directory, 'manifest.json'))) {
    throw new Error(`${directory} is not a cloud assembly (no manifest.json); run \`npx cdk synth\` or pass the cdk.out directory`);
  }
  const assembly = new CloudAssembly(directory);
  const stacks = assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    region: stack.environment.region,
    template: stack.template as CfnTemplate,
  }));
  if (stacks.length === 0) throw new Error(`${directory} holds no stacks`);
  // Every stage's main stack is in the home region.
  const home = stacks.find((stack) => STAGES.some((stage) => stage.stackName === stack.stackName)) ?? stacks[0];
  return { stacks, homeRegion: home.region };
}
