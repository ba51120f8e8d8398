// Builds the flagstack app the way `cdk synth` does: cdk.json's context (availability zones), plus
// any overrides, with the default account and region.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addFlagstackStacks } from '../../lib/app';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

export function buildApp(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...cdkJson.context, ...context } });
  return { app, ...addFlagstackStacks(app) };
}
