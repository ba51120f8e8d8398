/** In-process engine benchmark: full identity evaluations (all 50 flags) per second on one core. */
import { compileEnvironment, evaluateIdentityFlags } from '../service/engine';
import { benchmarkDocument, traitsOf } from './workload';

export function benchmarkEngine(durationMs: number): { evaluationsPerSecond: number; microsecondsPerEvaluation: number } {
  const env = compileEnvironment(benchmarkDocument('bench_engine_key'));
  const identities = Array.from({ length: 10_000 }, (_, n) => [`user-${n}`, traitsOf(n)] as const);
  let sink = 0;
  const run = (rounds: number) => {
    for (let r = 0; r < rounds; r++)
      for (const [identifier, traits] of identities) sink += evaluateIdentityFlags(env, identifier, traits).length;
  };
  run(2); // warm up the JIT
  let evaluations = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    run(1);
    evaluations += identities.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink === 0) throw new Error('no flags evaluated');
  return { evaluationsPerSecond: evaluations / seconds, microsecondsPerEvaluation: (seconds * 1e6) / evaluations };
}
