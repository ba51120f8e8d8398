// Bundles the service into dist/service/*.js, runnable with plain `node`.
import { build } from 'esbuild';

await build({
  entryPoints: { server: 'service/server.ts', migrate: 'service/migrate.ts' },
  outdir: 'dist/service',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // PGlite loads its WebAssembly and data files relative to its own module; keep it external
  // so those files resolve from node_modules. Everything else is inlined.
  external: ['@electric-sql/pglite', 'pg-native'],
  logLevel: 'warning',
});

// The benchmark runner and its baseline server (`npm run bench`).
await build({
  entryPoints: { run: 'bench/run.ts', 'baseline-server': 'bench/baseline-server.ts' },
  outdir: 'dist/bench',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  logLevel: 'warning',
});

// The CDK app (`cdk synth` runs dist/infra/flagstack.js; see cdk.json). aws-cdk-lib and the other
// packages stay external: the app runs from the repository, next to node_modules.
await build({
  entryPoints: { flagstack: 'bin/flagstack.ts' },
  outdir: 'dist/infra',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  logLevel: 'warning',
});
