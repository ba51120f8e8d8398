/**
 * Compiles an environment document, once per change, into what evaluation walks: the features in
 * document order, each with its default and its segment overrides in precedence order; segments as
 * predicates; identity overrides by identifier; every flag result prebuilt.
 */
import type { DocumentFeatureState, DocumentSegment, EnvironmentDocument } from '../schemas/environment-document';
import { compileState, type CompiledState, type FlagResult } from './feature-states';
import { compileIdentityOverrides, type IdentityOverrides } from './identity-overrides';
import type { EnvironmentContext } from './properties';
import { compileSegment, usesPercentageSplit, type Predicate } from './segments';

/** A segment override that applies when segment number `segment` matches. */
export interface Candidate {
  readonly segment: number;
  readonly state: CompiledState;
}

export interface CompiledFeature {
  /** The environment default. */
  readonly state: CompiledState;
  /** Segment overrides, the winner first: the first whose segment matches wins. */
  readonly candidates: readonly Candidate[];
}

export interface CompiledEnvironment {
  /** The source document, untouched. */
  readonly document: EnvironmentDocument;
  readonly apiKey: string;
  readonly name: string;
  readonly serverKeyOnlyFeatureIds: ReadonlySet<number>;
  /** Names of the features whose value can hang on an identity's hash (a split, or a segment with a percentage split). */
  readonly hashedFeatures: ReadonlySet<string>;
  /** One per feature name, in document order. */
  readonly features: readonly CompiledFeature[];
  /** The segments candidates refer to. */
  readonly segments: readonly Predicate[];
  readonly identityOverrides: ReadonlyMap<string, IdentityOverrides>;
  /** Flags without an identity, computed once. */
  readonly environmentFlags: readonly FlagResult[];
}

interface RankedCandidate extends Candidate {
  readonly priority: number;
  /** Flagsmith's visiting order: segment order, then the segment's feature states in order. */
  readonly order: number;
  /** Its segment matches every identity: no later candidate can win. */
  readonly always: boolean;
}

export function compileEnvironment(document: EnvironmentDocument): CompiledEnvironment {
  const environment: EnvironmentContext = { key: document.api_key, name: document.name };

  // Flagsmith keys features by name: one flag per name, at the name's first place, with its last state.
  const featureIndex = new Map<string, number>();
  const defaults: DocumentFeatureState[] = [];
  for (const state of document.feature_states) {
    const index = featureIndex.get(state.feature.name);
    if (index === undefined) featureIndex.set(state.feature.name, defaults.push(state) - 1);
    else defaults[index] = state;
  }

  const hashedFeatures = new Set<string>();
  const segments: Predicate[] = [];
  const candidates: RankedCandidate[][] = defaults.map(() => []);
  let order = 0;
  for (const segment of inFlagsmithOrder(document.project.segments)) {
    const overrides = segment.feature_states.filter((state) => featureIndex.has(state.feature.name));
    if (overrides.length === 0) continue;
    const matches = compileSegment(segment, environment);
    if (matches === false) continue;
    const index = segments.push(matches === true ? () => true : matches) - 1;
    const reason = `TARGETING_MATCH; segment=${segment.name}`;
    const splits = usesPercentageSplit(segment);
    for (const state of overrides) {
      const compiled = compileState(state, reason);
      if (splits || compiled.variants.length > 0) hashedFeatures.add(state.feature.name);
      candidates[featureIndex.get(state.feature.name)!].push({
        segment: index,
        state: compiled,
        priority: state.feature_segment?.priority ?? Infinity,
        order: order++,
        always: matches === true,
      });
    }
  }

  const features = defaults.map((state, i): CompiledFeature => {
    const compiled = compileState(state, 'DEFAULT');
    if (compiled.variants.length > 0) hashedFeatures.add(state.feature.name);
    return { state: compiled, candidates: byPrecedence(candidates[i]) };
  });

  return {
    document,
    apiKey: document.api_key,
    name: document.name,
    serverKeyOnlyFeatureIds: new Set(document.project.server_key_only_feature_ids ?? []),
    hashedFeatures,
    features,
    segments,
    identityOverrides: compileIdentityOverrides(document.identity_overrides ?? [], featureIndex),
    environmentFlags: features.map((feature) => feature.state.result),
  };
}

/**
 * Segments in the order Flagsmith's engine visits them: it keys them by id in a plain object, so ids
 * that are array indexes come first, ascending, then the others as inserted; a repeated id keeps its
 * first place and its last definition. A plain object reproduces exactly that.
 */
function inFlagsmithOrder(segments: readonly DocumentSegment[]): DocumentSegment[] {
  const byId: Record<string, DocumentSegment> = {};
  for (const segment of segments) byId[String(segment.id)] = segment;
  return Object.values(byId);
}

/**
 * The lowest priority wins (none counts as +Infinity); on a tie, the first visited. Sorted so, the
 * first candidate whose segment matches is the winner, and nothing after an always-matching one counts.
 */
function byPrecedence(ranked: RankedCandidate[]): Candidate[] {
  ranked.sort((a, b) => (a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : a.order - b.order));
  const always = ranked.findIndex((candidate) => candidate.always);
  return (always < 0 ? ranked : ranked.slice(0, always + 1)).map(({ segment, state }) => ({ segment, state }));
}
