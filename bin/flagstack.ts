#!/usr/bin/env node
// The CDK app entry point (cdk.json runs its esbuild bundle, dist/infra/flagstack.js).
import { App } from 'aws-cdk-lib';
import { addFlagstackStacks } from '../lib/app';

addFlagstackStacks(new App());
