/** Small environment documents for engine tests. */
import type { DocumentFeatureState, EnvironmentDocument, SegmentCondition, SegmentRule } from '../../service/schemas/environment-document';

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

export function documentWith(parts: Partial<EnvironmentDocument> & { segments?: EnvironmentDocument['project']['segments'] } = {}): EnvironmentDocument {
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

export const rule = (type: SegmentRule['type'], conditions: SegmentCondition[], rules: SegmentRule[] = []): SegmentRule => ({ type, conditions, rules });

/** A document whose one segment (id 7) turns feature `f` to 'on'. */
export const segmentDocument = (rules: SegmentRule[]) =>
  documentWith({
    segments: [{ id: 7, name: 'target', rules, feature_states: [state(1, 'f', 'on', { django_id: 900, feature_segment: { priority: 0 } })] }],
  });
