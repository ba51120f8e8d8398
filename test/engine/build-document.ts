/** Small environment documents for engine tests. */
import { compileEnvironment, evaluateIdentityFlags } from '../../service/engine';
import type {
  DocumentFeatureState,
  DocumentSegment,
  EnvironmentDocument,
  SegmentCondition,
  SegmentRule,
  TraitValue,
} from '../../service/schemas/environment-document';

/** A feature state of feature `id`, keyed (django_id) `id * 100` unless `extra` says otherwise. */
export const state = (
  id: number,
  name: string,
  value: DocumentFeatureState['feature_state_value'],
  extra: Partial<DocumentFeatureState> = {},
): DocumentFeatureState => ({
  feature: { id, name, type: 'STANDARD' },
  enabled: true,
  django_id: id * 100,
  feature_state_value: value,
  featurestate_uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  feature_segment: null,
  multivariate_feature_state_values: [],
  ...extra,
});

/** An override of feature `f` (id 1) by a segment, with a priority. */
export const override = (value: string, priority: number | null, django_id: number, extra: Partial<DocumentFeatureState> = {}) =>
  state(1, 'f', value, { django_id, feature_segment: priority === null ? null : { priority }, ...extra });

export const segment = (id: number, name: string, rules: SegmentRule[], feature_states: DocumentFeatureState[]): DocumentSegment => ({
  id,
  name,
  rules,
  feature_states,
});

export function documentWith(parts: Partial<EnvironmentDocument> & { segments?: DocumentSegment[] } = {}): EnvironmentDocument {
  const { segments = [], ...rest } = parts;
  return {
    id: 1,
    api_key: 'env_key',
    name: 'Test',
    project: {
      id: 1,
      name: 'p',
      organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments,
      server_key_only_feature_ids: [],
    },
    feature_states: [state(1, 'f', 'off')],
    identity_overrides: [],
    ...rest,
  };
}

export const rule = (type: SegmentRule['type'], conditions: SegmentCondition[], rules: SegmentRule[] = []): SegmentRule => ({
  type,
  conditions,
  rules,
});

export const condition = (
  operator: SegmentCondition['operator'],
  value: string | null | undefined,
  property_: string | null = 't',
): SegmentCondition => (value === undefined ? { operator, property_ } : { operator, property_, value });

/** A document whose one segment (id 7) turns feature `f` from 'off' to 'on'. */
export const segmentDocument = (rules: SegmentRule[]) =>
  documentWith({ segments: [segment(7, 'target', rules, [override('on', 0, 900)])] });

/** Whether an identity is in a segment with these rules (in the environment of `segmentDocument`). */
export const inSegment = (rules: SegmentRule[], traits: Record<string, TraitValue> = {}, identifier = 'someone') =>
  evaluateIdentityFlags(compileEnvironment(segmentDocument(rules)), identifier, traits)[0].value === 'on';

/** Whether an identity with these traits meets one condition. */
export const meets = (c: SegmentCondition, traits: Record<string, TraitValue> = {}, identifier = 'someone') =>
  inSegment([rule('ALL', [c])], traits, identifier);
