#!/usr/bin/env node
// `npm run cost`: runs the cost estimator's command line (its esbuild bundle is dist/cost/cost.js).
import { runCli } from '../lib/cost/cli';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
