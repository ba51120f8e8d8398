/** Evaluation: which feature state wins for an identity, and which value it serves. */
import type { DocumentFeatureState, FlagValue, TraitValue } from '../schemas/environment-document';
import type { CompiledEnvironment, CompiledState } from './compile';
import type { IdentityContext } from './conditions';
import { hashedPercentage } from './hashing';

export interface FlagResult {
  readonly featureId: number;
  readonly featureName: string;
  readonly featureType: 'STANDARD' | 'MULTIVARIATE';
  readonly enabled: boolean;
  readonly value: FlagValue;
  /** `DEFAULT`, `TARGETING_MATCH; segment=<name>` or `SPLIT; weight=<weight>`. */
  readonly reason: string;
  /** The feature state that won: the environment default, a segment override or an identity override. */
  readonly featureState: DocumentFeatureState;
}

/** The name Flagsmith gives the segment that carries identity overrides. */
const IDENTITY_OVERRIDES_SEGMENT = 'identity_overrides';

const result = (state: CompiledState, value: FlagValue, reason: string): FlagResult => ({
  featureId: state.featureId,
  featureName: state.featureName,
  featureType: state.featureType,
  enabled: state.enabled,
  value,
  reason,
  featureState: state.source,
});

/** Flags without an identity: environment defaults, no splits. */
export function evaluateEnvironmentFlags(env: CompiledEnvironment): FlagResult[] {
  return [...env.features.values()].map((state) => result(state, state.value, 'DEFAULT'));
}

export function evaluateIdentityFlags(
  env: CompiledEnvironment,
  identifier: string,
  traits: Readonly<Record<string, TraitValue>>,
): FlagResult[] {
  const identity: IdentityContext = {
    identifier,
    key: `${env.apiKey}_${identifier}`,
    traits,
    environmentKey: env.apiKey,
    environmentName: env.name,
  };

  // Segment overrides by feature name: the lowest priority wins; on a tie, the first segment.
  const overrides = new Map<string, { state: CompiledState; segment: string }>();
  for (const segment of env.segments) {
    if (segment.overrides.length === 0 || !segment.matches(identity)) continue;
    for (const state of segment.overrides) {
      const current = overrides.get(state.featureName);
      if (!current || state.priority < current.state.priority) overrides.set(state.featureName, { state, segment: segment.name });
    }
  }
  // Identity overrides beat every segment (Flagsmith matches them by identifier; a comma would split it).
  const identityOverrides = identifier && !identifier.includes(',') ? env.identityOverrides.get(identifier) : undefined;
  if (identityOverrides) {
    for (const [name, state] of identityOverrides) overrides.set(name, { state, segment: IDENTITY_OVERRIDES_SEGMENT });
  }

  const flags: FlagResult[] = [];
  for (const [name, defaultState] of env.features) {
    const override = overrides.get(name);
    const state = override?.state ?? defaultState;
    const reason = override ? `TARGETING_MATCH; segment=${override.segment}` : 'DEFAULT';
    flags.push(state.variants.length > 0 ? splitResult(state, identity.key, reason) : result(state, state.value, reason));
  }
  return flags;
}

/** A multivariate state: the identity's hashed percentage picks a variant, or the state's own value. */
function splitResult(state: CompiledState, identityKey: string, fallbackReason: string): FlagResult {
  const percentage = hashedPercentage([state.hashKey, identityKey]);
  let start = 0;
  for (const variant of state.variants) {
    const limit = start + variant.weight;
    if (start <= percentage && percentage < limit) return result(state, variant.value, `SPLIT; weight=${variant.weight}`);
    start = limit;
  }
  return result(state, state.value, fallbackReason);
}
