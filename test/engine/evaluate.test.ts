/** Precedence, multivariate splits, identity overrides and reasons; each also checked against Flagsmith's engine. */
import { createHash } from 'node:crypto';
import { compileEnvironment, evaluateEnvironmentFlags, evaluateIdentityFlags, type FlagResult } from '../../service/engine';
import type { DocumentFeatureState, EnvironmentDocument, TraitValue } from '../../service/schemas/environment-document';
import { condition as c, documentWith, override, rule, segment, state } from './build-document';
import { byName, oracle } from './oracle';

const percentage = (text: string) => (Number(BigInt(`0x${createHash('md5').update(text).digest('hex')}`) % 9999n) / 9998) * 100;

/** Our identity flags, asserted equal to the oracle's. */
async function identityFlags(
  document: EnvironmentDocument,
  identifier: string,
  traits: Record<string, TraitValue> = {},
): Promise<FlagResult[]> {
  const ours = evaluateIdentityFlags(compileEnvironment(document), identifier, traits);
  expect(byName(ours)).toEqual(await oracle(document).identityFlags(identifier, traits));
  return ours;
}
const flagF = async (document: EnvironmentDocument, identifier = 'someone', traits: Record<string, TraitValue> = {}) =>
  (await identityFlags(document, identifier, traits)).find((flag) => flag.featureName === 'f')!;

const everyone = [rule('ALL', [])];
const plan = (value: string) => [rule('ALL', [c('EQUAL', value, 'plan')])];

/** Allocations of feature 1's options, ids as given. */
const allocations = (...variants: Array<[id: number | null, value: string, weight: number]>) =>
  variants.map(([id, value, weight], i) => ({
    id,
    multivariate_feature_option: { id: 50 + i, value },
    percentage_allocation: weight,
    mv_fs_value_uuid: `00000000-0000-4000-8000-00000000000${i}`,
  }));

describe('environment flags', () => {
  test('environment defaults in document order, reason DEFAULT, multivariate splits not applied', async () => {
    const document = documentWith({
      feature_states: [
        state(2, 'b', 'B', { enabled: false }),
        state(1, 'a', 'A', { multivariate_feature_state_values: allocations([1, 'x', 100]) }),
        state(3, '10', 10),
      ],
    });
    const flags = evaluateEnvironmentFlags(compileEnvironment(document));
    expect(flags.map((f) => [f.featureName, f.value, f.enabled, f.reason])).toEqual([
      ['b', 'B', false, 'DEFAULT'],
      ['a', 'A', true, 'DEFAULT'],
      ['10', 10, true, 'DEFAULT'],
    ]);
    expect(byName(flags)).toEqual(await oracle(document).environmentFlags());
  });

  test('one flag per feature name: its first place, its last state', async () => {
    const document = documentWith({ feature_states: [state(1, 'a', 'first'), state(2, 'b', 'B'), state(3, 'a', 'last')] });
    const env = compileEnvironment(document);
    expect(evaluateEnvironmentFlags(env).map((f) => [f.featureName, f.featureId, f.value])).toEqual([
      ['a', 3, 'last'],
      ['b', 2, 'B'],
    ]);
    expect(evaluateIdentityFlags(env, 'x', {}).map((f) => f.featureName)).toEqual(['a', 'b']);
    expect(byName(evaluateEnvironmentFlags(env))).toEqual(await oracle(document).environmentFlags());
  });

  test('a missing value is null; every result carries its feature state', () => {
    const document = documentWith({ feature_states: [state(1, 'a', undefined)] });
    const [flag] = evaluateEnvironmentFlags(compileEnvironment(document));
    expect(flag.value).toBeNull();
    expect(flag.featureState).toBe(document.feature_states[0]);
    expect(flag.featureType).toBe('STANDARD');
  });

  test('each call returns a fresh array of shared, frozen results', () => {
    const env = compileEnvironment(documentWith());
    const first = evaluateEnvironmentFlags(env);
    first.pop();
    expect(evaluateEnvironmentFlags(env)).toHaveLength(1);
    expect(Object.isFrozen(evaluateEnvironmentFlags(env)[0])).toBe(true);
  });
});

describe('segment overrides', () => {
  test('a matching segment overrides the default, with its name in the reason', async () => {
    const document = documentWith({ segments: [segment(3, 'pros', plan('pro'), [override('on', 1, 31)])] });
    expect(await flagF(document, 'a', { plan: 'pro' })).toMatchObject({
      value: 'on',
      reason: 'TARGETING_MATCH; segment=pros',
      featureState: document.project.segments[0].feature_states[0],
    });
    expect(await flagF(document, 'a', { plan: 'free' })).toMatchObject({ value: 'off', reason: 'DEFAULT' });
  });

  test('the lowest priority wins, whatever the segment order', async () => {
    const document = documentWith({
      segments: [
        segment(1, 'one', everyone, [override('p5', 5, 11)]),
        segment(2, 'two', everyone, [override('p2', 2, 21)]),
        segment(3, 'three', everyone, [override('p9', 9, 31)]),
      ],
    });
    expect(await flagF(document)).toMatchObject({ value: 'p2', reason: 'TARGETING_MATCH; segment=two' });
  });

  test('a negative priority beats 0; no priority loses to any', async () => {
    const document = documentWith({
      segments: [
        segment(1, 'none', everyone, [override('none', null, 11)]),
        segment(2, 'zero', everyone, [override('zero', 0, 21)]),
        segment(3, 'neg', everyone, [override('neg', -1, 31)]),
      ],
    });
    expect((await flagF(document)).value).toBe('neg');
    document.project.segments.pop();
    expect((await flagF(document)).value).toBe('zero');
  });

  test('a tie goes to the segment with the lowest id, not the first in the document', async () => {
    const document = documentWith({
      segments: [segment(20, 'twenty', everyone, [override('20', 1, 11)]), segment(4, 'four', everyone, [override('4', 1, 21)])],
    });
    expect((await flagF(document)).value).toBe('4');
  });

  test('ids beyond 2^32 - 2 come after the others, in document order', async () => {
    const big = 4294967295;
    const document = documentWith({
      segments: [
        segment(big + 5, 'huge', everyone, [override('huge', 1, 11)]),
        segment(big, 'big', everyone, [override('big', 1, 12)]),
        segment(9, 'nine', everyone, [override('nine', 1, 13)]),
      ],
    });
    expect((await flagF(document)).value).toBe('nine');
    document.project.segments.pop();
    expect((await flagF(document)).value).toBe('huge');
  });

  test('a repeated segment id: its last definition, at its first place', async () => {
    const document = documentWith({
      segments: [
        segment(5, 'old', everyone, [override('old', 1, 11)]),
        segment(6, 'six', everyone, [override('six', 1, 12)]),
        segment(5, 'new', everyone, [override('new', 1, 13)]),
      ],
    });
    expect((await flagF(document)).value).toBe('new');
  });

  test('a segment that does not match, or has no rules, overrides nothing', async () => {
    const document = documentWith({
      segments: [segment(1, 'no rules', [], [override('x', 0, 11)]), segment(2, 'pros', plan('pro'), [override('y', 0, 12)])],
    });
    expect(await flagF(document)).toMatchObject({ value: 'off', reason: 'DEFAULT' });
  });

  test("a segment's override of a feature the environment lacks is ignored", async () => {
    const document = documentWith({
      segments: [segment(1, 's', everyone, [state(9, 'ghost', 'boo', { feature_segment: { priority: 0 } })])],
    });
    expect((await identityFlags(document, 'x')).map((f) => f.featureName)).toEqual(['f']);
  });

  test('the winning state gives the flag its feature id and enabled state', async () => {
    const document = documentWith({
      segments: [segment(1, 's', everyone, [override('on', 0, 11, { feature: { id: 77, name: 'f' }, enabled: false })])],
    });
    expect(await flagF(document)).toMatchObject({ featureId: 77, enabled: false, value: 'on' });
  });
});

describe('multivariate splits', () => {
  // Feature 1 ('f', django_id 100) splits 30% 'a' / 30% 'b' / rest its own value; the allocations are
  // listed out of id order: Flagsmith orders them by id.
  const mv = (extra: Partial<DocumentFeatureState> = {}) =>
    documentWith({
      feature_states: [
        state(1, 'f', 'own', {
          feature: { id: 1, name: 'f', type: 'MULTIVARIATE' },
          multivariate_feature_state_values: allocations([8, 'b', 30], [3, 'a', 30]),
          ...extra,
        }),
      ],
    });

  test('the identity hash of "<django_id>,<api key>_<identifier>" picks the variant', async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 40; i++) {
      const identifier = `user-${i}`;
      const at = percentage(`100,env_key_${identifier}`);
      const expected = at < 30 ? ['a', 'SPLIT; weight=30'] : at < 60 ? ['b', 'SPLIT; weight=30'] : ['own', 'DEFAULT'];
      const flag = await flagF(mv(), identifier);
      expect([flag.value, flag.reason]).toEqual(expected);
      seen.add(flag.value);
    }
    expect(seen).toEqual(new Set(['a', 'b', 'own']));
  });

  test('without a django_id, the feature state uuid is the key', async () => {
    const document = mv({ django_id: null });
    for (let i = 0; i < 10; i++) {
      const at = percentage(`00000000-0000-4000-8000-000000000001,env_key_u${i}`);
      expect((await flagF(document, `u${i}`)).value).toBe(at < 30 ? 'a' : at < 60 ? 'b' : 'own');
    }
  });

  test('allocations without ids are ordered by their uuid as a number', async () => {
    const document = documentWith({
      feature_states: [
        state(1, 'f', 'own', {
          multivariate_feature_state_values: [
            {
              multivariate_feature_option: { value: 'second' },
              percentage_allocation: 50,
              mv_fs_value_uuid: 'ffffffff-0000-4000-8000-000000000000',
            },
            {
              multivariate_feature_option: { value: 'first' },
              percentage_allocation: 50,
              mv_fs_value_uuid: '0fffffff-0000-4000-8000-000000000000',
            },
          ],
        }),
      ],
    });
    for (let i = 0; i < 10; i++) {
      expect((await flagF(document, `u${i}`)).value).toBe(percentage(`100,env_key_u${i}`) < 50 ? 'first' : 'second');
    }
  });

  test('weights print as given; 0% variants never win; 100% always does', async () => {
    const document = mv({ multivariate_feature_state_values: allocations([1, 'never', 0], [2, 'third', 33.3], [3, 'rest', 66.7]) });
    const reasons = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const flag = await flagF(document, `u${i}`);
      expect(flag.value).not.toBe('never');
      reasons.add(flag.reason);
    }
    expect([...reasons].sort()).toEqual(['SPLIT; weight=33.3', 'SPLIT; weight=66.7']);
    expect((await flagF(mv({ multivariate_feature_state_values: allocations([1, 'all', 100]) }))).reason).toBe('SPLIT; weight=100');
  });

  test('a segment override splits by its own key and variants; its fallback reason names the segment', async () => {
    const document = documentWith({
      segments: [segment(1, 'all', everyone, [override('seg', 0, 555, { multivariate_feature_state_values: allocations([1, 'v', 40]) })])],
    });
    for (let i = 0; i < 20; i++) {
      const at = percentage(`555,env_key_u${i}`);
      expect(await flagF(document, `u${i}`)).toMatchObject(
        at < 40 ? { value: 'v', reason: 'SPLIT; weight=40' } : { value: 'seg', reason: 'TARGETING_MATCH; segment=all' },
      );
    }
  });
});

describe('identity overrides', () => {
  const overridden = (identifier: string, value: string, django_id: number, extra: Partial<DocumentFeatureState> = {}) => ({
    identifier,
    identity_features: [state(1, 'f', value, { django_id, ...extra })],
  });

  test('beat every segment; reason names the identity_overrides segment; others keep theirs', async () => {
    const document = documentWith({
      feature_states: [state(1, 'f', 'off'), state(2, 'g', 'G')],
      segments: [segment(1, 'all', everyone, [override('seg', -100, 11), state(2, 'g', 'segG', { feature_segment: { priority: 0 } })])],
      identity_overrides: [overridden('ada', 'mine', 901)],
    });
    const flags = await identityFlags(document, 'ada');
    expect(flags.map((f) => [f.featureName, f.value, f.reason])).toEqual([
      ['f', 'mine', 'TARGETING_MATCH; segment=identity_overrides'],
      ['g', 'segG', 'TARGETING_MATCH; segment=all'],
    ]);
    expect((await flagF(document, 'bob')).value).toBe('seg');
  });

  test('an identifier holding commas overrides the identities its parts name, not itself', async () => {
    const document = documentWith({ identity_overrides: [overridden('ann,bea', 'x', 901)] });
    expect((await flagF(document, 'ann')).value).toBe('x');
    expect((await flagF(document, 'bea')).value).toBe('x');
    expect((await flagF(document, 'ann,bea')).value).toBe('off');
  });

  test('an identifier that reads as a JSON list is that list', async () => {
    const document = documentWith({ identity_overrides: [overridden('["ann"]', 'x', 901)] });
    expect((await flagF(document, 'ann')).value).toBe('x');
    expect((await flagF(document, '["ann"]')).value).toBe('off');
  });

  test('identities with identical overrides split by the first one’s feature state key', async () => {
    const split = { multivariate_feature_state_values: allocations([1, 'v', 50]) };
    const document = documentWith({ identity_overrides: [overridden('ann', 'x', 901, split), overridden('bea', 'x', 902, split)] });
    // For bea, her own key (902) would put her at 65%, outside the variant; the shared key (901) at 44%.
    for (const identifier of ['ann', 'bea']) {
      const at = percentage(`901,env_key_${identifier}`);
      const flag = await flagF(document, identifier);
      expect(flag.value).toBe(at < 50 ? 'v' : 'x');
      expect(flag.featureState).toBe(document.identity_overrides![0].identity_features[0]);
    }
  });

  test('an identifier listed twice: per feature, the first listing’s override', async () => {
    const document = documentWith({
      feature_states: [state(1, 'f', 'off'), state(2, 'g', 'G')],
      identity_overrides: [
        overridden('ann', 'first', 901),
        { identifier: 'ann', identity_features: [state(1, 'f', 'second'), state(2, 'g', 'g2')] },
      ],
    });
    expect((await identityFlags(document, 'ann')).map((f) => f.value)).toEqual(['first', 'g2']);
  });

  test('an identity without overrides, or an empty identifier, gets none', async () => {
    const document = documentWith({ identity_overrides: [overridden('ann', 'x', 901), { identifier: 'bea', identity_features: [] }] });
    expect((await flagF(document, 'bea')).value).toBe('off');
    expect(evaluateIdentityFlags(compileEnvironment(document), '', {})[0].value).toBe('off');
  });
});

describe('compiled environment', () => {
  test('keeps the document, its key, name and server-key-only features', () => {
    const document = documentWith();
    document.project.server_key_only_feature_ids = [1];
    const env = compileEnvironment(document);
    expect(env.document).toBe(document);
    expect([env.apiKey, env.name, [...env.serverKeyOnlyFeatureIds]]).toEqual(['env_key', 'Test', [1]]);
  });

  test('knows which features can hang on a hash', () => {
    const document = documentWith({
      feature_states: [
        state(1, 'f', 'x'),
        state(2, 'mv', 'x', { multivariate_feature_state_values: allocations([1, 'a', 10]) }),
        state(3, 'g', 'x'),
      ],
      segments: [segment(1, 's', [rule('ALL', [c('PERCENTAGE_SPLIT', '50', null)])], [override('on', 0, 11)])],
    });
    expect([...compileEnvironment(document).hashedFeatures].sort()).toEqual(['f', 'mv']);
  });
});
