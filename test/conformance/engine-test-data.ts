/**
 * Flagsmith's public conformance cases (github.com/Flagsmith/engine-test-data, `test_cases/`): each an
 * evaluation context (environment, features, segments, identity) and the flags Flagsmith's engines
 * must give. Here each is turned into the environment document Flagsmith would have served for it,
 * which is what this service imports and what SDKs evaluate locally.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import type { DocumentFeatureState, EnvironmentDocument, SegmentRule } from '../../service/schemas/environment-document';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface ContextVariant {
  value: Json;
  weight: number;
  priority?: number;
}
interface ContextFeature {
  key: string;
  name: string;
  enabled: boolean;
  value: Json;
  metadata?: { id?: number };
  variants?: ContextVariant[];
}
interface ContextOverride extends ContextFeature {
  priority?: number | null;
}
interface ContextRule {
  type: 'ALL' | 'ANY' | 'NONE';
  conditions?: Array<{ operator: string; property?: string | null; value?: Json }>;
  rules?: ContextRule[];
}
interface ContextSegment {
  key: string;
  name: string;
  rules: ContextRule[];
  overrides?: ContextOverride[];
}
export interface ConformanceCase {
  /** The file's name. */
  name: string;
  context: {
    environment: { key: string; name: string };
    features?: Record<string, ContextFeature>;
    segments?: Record<string, ContextSegment>;
    identity?: { identifier: string; key?: string; traits?: Record<string, Json> };
  };
  result: { flags: Record<string, { enabled: boolean; value: Json }> };
}

/** Every case in a `test_cases` folder (JSON with JSON5 comments), by file name. */
export function readCases(folder: string): ConformanceCase[] {
  return readdirSync(folder)
    .filter((file) => /\.jsonc?$/.test(file))
    .sort()
    .map((file) => ({ name: file, ...(JSON5.parse(readFileSync(join(folder, file), 'utf8')) as Omit<ConformanceCase, 'name'>) }));
}

/**
 * Whether the case hashes its identity by a key other than `<environment key>_<identifier>`: a
 * database id, which no SDK path sends, so no SDK (Flagsmith's own included) can reproduce its splits.
 */
export function hashedByDatabaseKey(testCase: ConformanceCase): boolean {
  const { context } = testCase;
  const identity = context.identity;
  return identity?.key !== undefined && identity.key !== `${context.environment.key}_${identity.identifier}`;
}

/** The environment document Flagsmith would serve for the case's context. */
export function toDocument(testCase: ConformanceCase): EnvironmentDocument {
  const { context } = testCase;
  const features = Object.values(context.features ?? {});
  let nextFeatureId = 1_000_000;
  let nextSegmentId = 1_000_000;
  const featureIds = new Map(features.map((feature) => [feature.name, feature.metadata?.id ?? nextFeatureId++]));
  const state = (feature: ContextFeature, priority?: number | null): DocumentFeatureState => {
    const numericKey = /^\d+$/.test(feature.key);
    const variants = feature.variants ?? [];
    return {
      feature: { id: featureIds.get(feature.name)!, name: feature.name, type: variants.length > 0 ? 'MULTIVARIATE' : 'STANDARD' },
      enabled: feature.enabled,
      django_id: numericKey ? Number(feature.key) : null,
      featurestate_uuid: numericKey ? undefined : feature.key,
      feature_state_value: flagValue(feature.value),
      ...(priority === undefined ? {} : { feature_segment: { priority } }),
      // A variant's priority orders it in the split, as an allocation's id does in a document.
      multivariate_feature_state_values: variants.map((variant, i) => ({
        id: variant.priority ?? i + 1,
        multivariate_feature_option: { id: variant.priority ?? i + 1, value: flagValue(variant.value) },
        percentage_allocation: variant.weight,
      })),
    };
  };
  return {
    id: 1,
    api_key: context.environment.key,
    name: context.environment.name,
    project: {
      id: 1,
      name: 'engine-test-data',
      organisation: { id: 1, name: 'Flagsmith', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments: Object.values(context.segments ?? {}).map((segment) => ({
        // A segment key that is not a number (a document's segment ids are) gets one; the oracle then
        // says whether the case still holds (a percentage split hashes the segment's id).
        id: /^\d+$/.test(segment.key) ? Number(segment.key) : nextSegmentId++,
        name: segment.name,
        rules: segment.rules.map(toRule),
        feature_states: (segment.overrides ?? [])
          .filter((override) => featureIds.has(override.name))
          .map((override) => state(override, override.priority ?? null)),
      })),
    },
    feature_states: features.map((feature) => state(feature)),
  };
}

const flagValue = (value: Json): string | number | boolean | null =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : value;

function toRule(rule: ContextRule): SegmentRule {
  return {
    type: rule.type,
    rules: (rule.rules ?? []).map(toRule),
    conditions: (rule.conditions ?? []).map((condition) => ({
      operator: condition.operator as SegmentRule['conditions'][number]['operator'],
      property_: condition.property ?? null,
      // A document's condition values are text: a list travels as its JSON.
      value:
        condition.value === undefined || condition.value === null
          ? null
          : typeof condition.value === 'string'
            ? condition.value
            : JSON.stringify(condition.value),
    })),
  };
}
