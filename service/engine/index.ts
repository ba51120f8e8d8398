/**
 * The evaluation engine: a pure module (no I/O) that evaluates flags exactly as Flagsmith's engine
 * does. Compile an environment document once per change, then evaluate per request.
 */
export { compileEnvironment, type CompiledEnvironment } from './compile';
export { evaluateEnvironmentFlags, evaluateIdentityFlags } from './evaluate';
export { inSplitOrder, type FlagResult } from './feature-states';
export { firstRefusedCondition } from './segments';
