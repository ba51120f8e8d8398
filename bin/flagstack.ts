#!/usr/bin/env node
// The CDK app entry point (cdk.json runs its esbuild bundle, dist/infra/flagstack.js). A bad setting
// is the operator's input, not a bug: its message alone, on stderr, and exit status 1 (the CDK CLI
// then reports the failed app); anything else keeps its stack trace.
import { App } from 'aws-cdk-lib';
import { addFlagstackStacks } from '../lib/app';
import { ContextSettingsError } from '../lib/context-settings';

// Synthesised here rather than on exit (autoSynth), so that a rejected configuration writes nothing.
const app = new App({ autoSynth: false });
try {
  addFlagstackStacks(app);
  app.synth();
} catch (error) {
  if (!(error instanceof ContextSettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
