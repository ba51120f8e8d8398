/**
 * Compiles an environment document once per change into what evaluation needs: the features in
 * order, segments as predicate trees in Flagsmith's order, overrides by feature, identity overrides by
 * identifier.
 */
import type { DocumentFeatureState, EnvironmentDocument, FlagValue, SegmentRule } from '../schemas/environment-document';
import { compileCondition, type IdentityContext, type Predicate } from './conditions';

export interface CompiledVariant {
  readonly value: FlagValue;
  readonly weight: number;
}

/** A feature state ready to evaluate: the environment default, a segment override or an identity override. */
export interface CompiledState {
  readonly source: DocumentFeatureState;
  readonly featureId: number;
  readonly featureName: string;
  readonly featureType: 'STANDARD' | 'MULTIVARIATE';
  /** The key multivariate hashing uses: the django_id, else the uuid. */
  readonly hashKey: string;
  readonly enabled: boolean;
  readonly value: FlagValue;
  /** Sorted by their allocation's id, the order Flagsmith walks them in. */
  readonly variants: readonly CompiledVariant[];
  /** Lower wins; identity overrides are -Infinity, a missing priority +Infinity. */
  readonly priority: number;
}

export interface CompiledSegment {
  readonly name: string;
  readonly matches: Predicate;
  readonly overrides: readonly CompiledState[];
}

export interface CompiledEnvironment {
  readonly document: EnvironmentDocument;
  readonly apiKey: string;
  readonly name: string;
  readonly serverKeyOnlyFeatureIds: ReadonlySet<number>;
  /** Environment defaults by feature name, in document order. */
  readonly features: ReadonlyMap<string, CompiledState>;
  /** Segments in ascending id order, as Flagsmith evaluates them. */
  readonly segments: readonly CompiledSegment[];
  /** Identity overrides by identifier, each by feature name. */
  readonly identityOverrides: ReadonlyMap<string, ReadonlyMap<string, CompiledState>>;
  /** Features whose value can depend on an identity's hash (a split, or a segment with a percentage split). */
  readonly hashedFeatures: ReadonlySet<string>;
}

function compileState(source: DocumentFeatureState, priority: number): CompiledState {
  const variants = [...(source.multivariate_feature_state_values ?? [])]
    .map((mv) => ({ order: mv.id ?? uuidOrder(mv.mv_fs_value_uuid), value: mv.multivariate_feature_option.value, weight: mv.percentage_allocation }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map(({ value, weight }) => ({ value, weight }));
  return {
    source,
    featureId: source.feature.id,
    featureName: source.feature.name,
    featureType: source.feature.type ?? 'STANDARD',
    hashKey: source.django_id != null ? String(source.django_id) : (source.featurestate_uuid ?? ''),
    enabled: source.enabled,
    value: source.feature_state_value ?? null,
    variants,
    priority,
  };
}

/** Allocations without an id are ordered by their uuid read as a number, as Flagsmith does. */
const uuidOrder = (uuid: string | undefined): bigint => (uuid ? BigInt(`0x${uuid.replace(/-/g, '')}`) : 0n);

/** A rule matches when its conditions and its sub-rules both satisfy its type (ALL, ANY or NONE). */
function compileRule(rule: SegmentRule, segmentKey: string): Predicate {
  const conditions = rule.conditions.map((condition) => compileCondition(condition, segmentKey));
  const rules = rule.rules.map((sub) => compileRule(sub, segmentKey));
  const combine = (predicates: Predicate[]): Predicate => {
    if (predicates.length === 0) return () => true;
    switch (rule.type) {
      case 'ALL':
        return (identity) => predicates.every((p) => p(identity));
      case 'ANY':
        return (identity) => predicates.some((p) => p(identity));
      case 'NONE':
        return (identity) => !predicates.some((p) => p(identity));
    }
  };
  const conditionsMatch = combine(conditions);
  const rulesMatch = combine(rules);
  return (identity: IdentityContext) => conditionsMatch(identity) && rulesMatch(identity);
}

export function compileEnvironment(document: EnvironmentDocument): CompiledEnvironment {
  const features = new Map<string, CompiledState>();
  for (const state of document.feature_states) features.set(state.feature.name, compileState(state, Infinity));

  // Flagsmith keys segments by id, so they are evaluated in ascending id order (a repeated id: the last wins).
  const byId = new Map(document.project.segments.map((segment) => [segment.id, segment]));
  const segments = [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .filter((segment) => segment.rules.length > 0)
    .map((segment): CompiledSegment => {
      const rules = segment.rules.map((rule) => compileRule(rule, String(segment.id)));
      return {
        name: segment.name,
        matches: (identity) => rules.every((rule) => rule(identity)),
        overrides: segment.feature_states.map((state) => compileState(state, state.feature_segment?.priority ?? Infinity)),
      };
    });

  const identityOverrides = new Map<string, Map<string, CompiledState>>();
  for (const identity of document.identity_overrides ?? []) {
    if (identity.identity_features.length === 0) continue;
    const overrides = new Map(identity.identity_features.map((state) => [state.feature.name, compileState(state, -Infinity)]));
    identityOverrides.set(identity.identifier, overrides);
  }

  const hashedFeatures = new Set<string>();
  for (const state of features.values()) if (state.variants.length > 0) hashedFeatures.add(state.featureName);
  for (const segment of document.project.segments) {
    const splits = segment.rules.some(hasPercentageSplit);
    for (const state of segment.feature_states) {
      if (splits || (state.multivariate_feature_state_values ?? []).length > 0) hashedFeatures.add(state.feature.name);
    }
  }

  return {
    document,
    apiKey: document.api_key,
    name: document.name,
    serverKeyOnlyFeatureIds: new Set(document.project.server_key_only_feature_ids ?? []),
    features,
    segments,
    identityOverrides,
    hashedFeatures,
  };
}

const hasPercentageSplit = (rule: SegmentRule): boolean =>
  rule.conditions.some((condition) => condition.operator === 'PERCENTAGE_SPLIT') || rule.rules.some(hasPercentageSplit);
