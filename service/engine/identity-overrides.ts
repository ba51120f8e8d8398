/**
 * Identity overrides, indexed by identifier with exactly the outcome of Flagsmith's engine, which
 * turns them into synthetic segments named `identity_overrides`: identities whose overrides are
 * identical but for the feature states' keys share one segment, matching `$.identity.identifier IN
 * <their identifiers joined by commas>`, whose overrides are the first such identity's. So an
 * identifier holding a comma overrides the identities named by its parts, and a shared multivariate
 * override splits every identity by the first identity's feature state key. Those overrides rank
 * above every segment's (priority -Infinity); between two such segments the first wins.
 */
import type { DocumentFeatureState, DocumentIdentityOverride } from '../schemas/environment-document';
import { allocationOrder, compileState, type CompiledState } from './feature-states';
import { inListMembers } from './operators';

export const IDENTITY_OVERRIDES_REASON = 'TARGETING_MATCH; segment=identity_overrides';

/** One identity's overrides, by ascending feature index. */
export interface IdentityOverrides {
  readonly featureIndexes: readonly number[];
  readonly states: readonly CompiledState[];
}

interface Group {
  readonly identifiers: string[];
  /** The first identity's feature states, sorted by feature name. */
  readonly states: readonly DocumentFeatureState[];
}

/** Identity overrides by identifier; `featureIndex` gives the index of each environment feature's name. */
export function compileIdentityOverrides(
  identities: readonly DocumentIdentityOverride[],
  featureIndex: ReadonlyMap<string, number>,
): ReadonlyMap<string, IdentityOverrides> {
  const groups = new Map<string, Group>();
  for (const identity of identities) {
    if (identity.identity_features.length === 0) continue;
    const states = [...identity.identity_features].sort((a, b) => a.feature.name.localeCompare(b.feature.name));
    const key = groupKey(states);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { identifiers: [], states }));
    group.identifiers.push(identity.identifier);
  }

  const groupsByIdentifier = new Map<string, IdentityOverrides[]>();
  for (const group of groups.values()) {
    const overrides = compileGroup(group.states, featureIndex);
    if (overrides.featureIndexes.length === 0) continue;
    // An empty identifier is never in an IN list.
    for (const member of inListMembers(group.identifiers.join(','))) {
      if (member === '') continue;
      const memberGroups = groupsByIdentifier.get(member);
      if (memberGroups) memberGroups.push(overrides);
      else groupsByIdentifier.set(member, [overrides]);
    }
  }

  const byIdentifier = new Map<string, IdentityOverrides>();
  for (const [identifier, memberGroups] of groupsByIdentifier) {
    byIdentifier.set(identifier, memberGroups.length === 1 ? memberGroups[0] : merge(memberGroups));
  }
  return byIdentifier;
}

/** What Flagsmith tells identities' overrides apart by: all but the feature states' keys. */
const groupKey = (states: readonly DocumentFeatureState[]): string =>
  JSON.stringify(
    states.map((state) => ({
      name: state.feature.name,
      id: state.feature.id,
      enabled: state.enabled,
      value: state.feature_state_value,
      variants: state.multivariate_feature_state_values?.length
        ? state.multivariate_feature_state_values.map((allocation) => ({
            value: allocation.multivariate_feature_option.value,
            weight: allocation.percentage_allocation,
            order: allocationOrder(allocation),
          }))
        : undefined,
    })),
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );

/** A group's overrides of environment features; of two states of one feature, the first. */
function compileGroup(states: readonly DocumentFeatureState[], featureIndex: ReadonlyMap<string, number>): IdentityOverrides {
  const byFeature = new Map<number, CompiledState>();
  for (const state of states) {
    const index = featureIndex.get(state.feature.name);
    if (index !== undefined && !byFeature.has(index)) byFeature.set(index, compileState(state, IDENTITY_OVERRIDES_REASON));
  }
  return sortedByFeature(byFeature);
}

/** An identifier in several groups: for each feature, the first group's override. */
function merge(groups: readonly IdentityOverrides[]): IdentityOverrides {
  const byFeature = new Map<number, CompiledState>();
  for (const group of groups) {
    group.featureIndexes.forEach((index, i) => {
      if (!byFeature.has(index)) byFeature.set(index, group.states[i]);
    });
  }
  return sortedByFeature(byFeature);
}

function sortedByFeature(byFeature: ReadonlyMap<number, CompiledState>): IdentityOverrides {
  const featureIndexes = [...byFeature.keys()].sort((a, b) => a - b);
  return { featureIndexes, states: featureIndexes.map((index) => byFeature.get(index)!) };
}
