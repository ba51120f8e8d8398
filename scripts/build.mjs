// Bundles the project with esbuild: the service (runnable with plain `node`), the edge functions of
// the edge stage, the benchmark, the CDK app and the cost estimator.
import { build } from 'esbuild';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

await Promise.all([
  // The service: everything inlined but PGlite, which loads its WebAssembly and data files relative
  // to its own module, so it resolves from node_modules (and is only loaded without DATABASE_URL).
  // The whole-instance mover (`npm run move`) beside it, alike.
  build({
    ...node,
    entryPoints: { server: 'service/server.ts', migrate: 'service/migrate.ts', move: 'service/move/main.ts' },
    outdir: 'dist/service',
    sourcemap: true,
    external: ['@electric-sql/pglite', 'pg-native'],
  }),
  // The edge stage's function (Lambda, Node.js 24, ARM64): one minified file. The AWS SDK is bundled, not
  // taken from the runtime: the function runs the SDK version its tests ran, whatever the runtime ships,
  // and one minified file loads faster at cold start than the runtime's copy from node_modules. No
  // Fastify, pg or PGlite: the edge imports the engine, the response builders and the schemas only.
  build({
    ...node,
    entryPoints: { handler: 'service/edge/handler.ts' },
    outdir: 'dist/edge',
    minify: true,
    keepNames: true,
    legalComments: 'none',
  }),
  // Its Lambda@Edge companion, which adds the body hash CloudFront's signed requests need.
  build({
    ...node,
    entryPoints: { index: 'service/edge/content-hash.ts' },
    outdir: 'dist/edge-content-hash',
    minify: true,
    legalComments: 'none',
  }),
  // The traffic-share Lambda of a split between two CloudFront stages (lib/constructs/traffic-split.ts):
  // its KeyValueStore client and the pure-JS SigV4A signer bundled in, like the edge's SDK.
  build({
    ...node,
    entryPoints: { index: 'service/shift/handler.ts' },
    outdir: 'dist/shift',
    minify: true,
    keepNames: true,
    legalComments: 'none',
  }),
  // `npm run bench`: the runner and its baseline server; `npm run bench:move`: the mover's bench.
  build({
    ...node,
    entryPoints: { run: 'bench/run.ts', 'baseline-server': 'bench/baseline-server.ts', move: 'bench/move.ts' },
    outdir: 'dist/bench',
    packages: 'external',
  }),
  // The CDK app (cdk.json runs dist/infra/flagstack.js), next to node_modules for aws-cdk-lib.
  build({ ...node, entryPoints: { flagstack: 'bin/flagstack.ts' }, outdir: 'dist/infra', packages: 'external' }),
  // `npm run cost`: synthesises the same app in-process, so it sits beside it for the same reason.
  build({ ...node, entryPoints: { cost: 'bin/cost.ts' }, outdir: 'dist/cost', packages: 'external' }),
]);
