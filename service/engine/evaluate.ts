/**
 * Evaluation: which feature state wins for an identity, and which of its prebuilt results it serves.
 * Precedence, as in Flagsmith: identity override, then segment override, then environment default.
 */
import type { TraitValue } from '../schemas/environment-document';
import type { CompiledEnvironment } from './compile';
import { resultFor, type FlagResult } from './feature-states';
import type { IdentityContext } from './properties';

/** Flags without an identity: the environment defaults, reason DEFAULT, no splits; in document order. */
export function evaluateEnvironmentFlags(env: CompiledEnvironment): FlagResult[] {
  return env.environmentFlags.slice();
}

// Which segments matched in the current evaluation, evaluated lazily, at most once each: slot i holds
// +run or -run once segment i was evaluated in evaluation number `run`. Shared by all environments
// (evaluation is synchronous), so an evaluation allocates nothing to remember them.
let run = 0;
let segmentOutcomes = new Float64Array(64);

/** Flags for an identity with these traits, in document order. */
export function evaluateIdentityFlags(
  env: CompiledEnvironment,
  identifier: string,
  traits: Readonly<Record<string, TraitValue>>,
): FlagResult[] {
  const identity: IdentityContext = { identifier, key: `${env.apiKey}_${identifier}`, traits };
  const segments = env.segments;
  if (segmentOutcomes.length < segments.length) segmentOutcomes = new Float64Array(segments.length * 2);
  const outcomes = segmentOutcomes;
  const current = ++run;

  const overrides = env.identityOverrides.get(identifier);
  let nextOverride = 0;
  const flags: FlagResult[] = [];
  for (let i = 0; i < env.features.length; i++) {
    const feature = env.features[i];
    let state = feature.state;
    if (overrides !== undefined && overrides.featureIndexes[nextOverride] === i) {
      state = overrides.states[nextOverride++];
    } else {
      for (const candidate of feature.candidates) {
        const segment = candidate.segment;
        let outcome = outcomes[segment];
        if (outcome !== current && outcome !== -current) {
          outcome = segments[segment](identity) ? current : -current;
          outcomes[segment] = outcome;
        }
        if (outcome === current) {
          state = candidate.state;
          break;
        }
      }
    }
    flags.push(resultFor(state, identity.key));
  }
  return flags;
}
