/**
 * Feature states compiled into the flag results they can produce: one for the state's own value and
 * one per multivariate variant. Results are built once per environment and shared by every evaluation.
 */
import type { DocumentFeatureState, FlagValue, MultivariateFeatureStateValue } from '../schemas/environment-document';
import { hashedPercentage } from './hashing';

export interface FlagResult {
  readonly featureId: number;
  readonly featureName: string;
  readonly featureType: 'STANDARD' | 'MULTIVARIATE';
  readonly enabled: boolean;
  readonly value: FlagValue;
  /** `DEFAULT`, `TARGETING_MATCH; segment=<name>` or `SPLIT; weight=<weight>`, as Flagsmith's engine says. */
  readonly reason: string;
  /** The feature state that won: the environment default, a segment override or an identity override. */
  readonly featureState: DocumentFeatureState;
}

interface CompiledVariant {
  /** The identity's percentage picks this variant when start <= percentage < limit. */
  readonly start: number;
  readonly limit: number;
  readonly result: FlagResult;
}

export interface CompiledState {
  /** The result when no variant is picked (or the state has none). */
  readonly result: FlagResult;
  /** What multivariate hashing keys the state by: its django_id, else its uuid. */
  readonly hashKey: string;
  /** Variants that can be picked (weight above 0), in Flagsmith's order. */
  readonly variants: readonly CompiledVariant[];
}

/** Compiles a state; `reason` is what its own value is served with. */
export function compileState(source: DocumentFeatureState, reason: string): CompiledState {
  const allocations = source.multivariate_feature_state_values ?? [];
  const flag = (value: FlagValue | undefined, why: string): FlagResult =>
    Object.freeze({
      featureId: source.feature.id,
      featureName: source.feature.name,
      featureType: source.feature.type ?? (allocations.length > 0 ? 'MULTIVARIATE' : 'STANDARD'),
      enabled: source.enabled,
      value: value ?? null,
      reason: why,
      featureState: source,
    });

  const variants: CompiledVariant[] = [];
  let start = 0;
  for (const allocation of sortedAllocations(allocations)) {
    const weight = allocation.percentage_allocation;
    const limit = start + weight;
    if (limit > start)
      variants.push({ start, limit, result: flag(allocation.multivariate_feature_option.value, `SPLIT; weight=${weight}`) });
    start = limit;
  }
  return {
    result: flag(source.feature_state_value, reason),
    hashKey: source.django_id != null ? String(source.django_id) : (source.featurestate_uuid ?? ''),
    variants,
  };
}

/** The result for an identity key: the variant its hashed percentage falls in, else the state's own. */
export function resultFor(state: CompiledState, identityKey: string): FlagResult {
  if (state.variants.length === 0) return state.result;
  const percentage = hashedPercentage(`${state.hashKey},${identityKey}`);
  for (const variant of state.variants) {
    if (variant.start <= percentage && percentage < variant.limit) return variant.result;
  }
  return state.result;
}

/**
 * Where Flagsmith puts an allocation in the split: by its id, else its uuid read as a number (without
 * either Flagsmith draws a random uuid; we put such allocations last).
 */
export function allocationOrder(allocation: MultivariateFeatureStateValue): number | bigint {
  if (allocation.id != null) return allocation.id;
  try {
    return BigInt(`0x${(allocation.mv_fs_value_uuid ?? '').replace(/-/g, '')}`);
  } catch {
    return Infinity;
  }
}

/**
 * Allocations, or things that carry one, in the order Flagsmith splits them; stable, so allocations
 * in the same place keep their document order.
 */
export function inSplitOrder<T>(items: readonly T[], allocationOf: (item: T) => MultivariateFeatureStateValue): T[] {
  return items
    .map((item) => ({ item, order: allocationOrder(allocationOf(item)) }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map(({ item }) => item);
}

const sortedAllocations = (allocations: readonly MultivariateFeatureStateValue[]) => inSplitOrder(allocations, (allocation) => allocation);
