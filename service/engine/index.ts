/**
 * The evaluation engine: a pure module (no I/O) that reproduces Flagsmith's flag evaluation exactly.
 * Compile an environment document once per change, then evaluate per request.
 */
export { compileEnvironment, type CompiledEnvironment } from './compile';
export { evaluateEnvironmentFlags, evaluateIdentityFlags, type FlagResult } from './evaluate';
export { hashedPercentage } from './hashing';
