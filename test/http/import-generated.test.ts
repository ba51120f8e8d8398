/**
 * Generated environment documents through the import, against Flagsmith's engine (flagsmith-nodejs
 * 8.1.2 offline) as the oracle. Each run imports one document, then a changed one into the same
 * environment, and after each import asks, for a handful of identities with traits:
 * - the service's SDK endpoints (remote evaluation, environment and identity flags);
 * - Flagsmith's engine on the exported document (what an SDK evaluating locally downloads);
 * and both must give what Flagsmith's engine gives for the original document, no more flags and no
 * fewer; importing the same document again must change nothing. The generator draws the shapes Flagsmith's data has and imports used to refuse or get wrong:
 * options sharing a value, option and allocation ids missing or out of order, allocations adding up
 * to more than 100%, segment overrides of priority null, keys of one character, feature states with
 * only a uuid, segments sharing a name, identity overrides, and hide-disabled-flags on the project and
 * on the environment.
 */
import fc from 'fast-check';
import type {
  DocumentFeatureState,
  DocumentIdentityOverride,
  EnvironmentDocument,
  FlagValue,
  MultivariateFeatureStateValue,
  TraitValue,
} from '../../service/schemas/environment-document';
import { condition, documentWith, rule } from '../engine/build-document';
import { oracle } from '../engine/oracle';
import { startTestService, type TestService } from '../support/service';

const RUNS = Number(process.env.FLAGSTACK_IMPORT_RUNS ?? 150);
const SEED = Number(process.env.FLAGSTACK_IMPORT_SEED ?? 20261205);

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.stop());

const IDENTIFIERS = ['alice', 'bob', 'carol', 'user-7'];
const FEATURE_NAMES = ['colour', 'layout', 'beta', 'limit', 'theme'];
/** A tiny pool, so that options of one feature often share a value. */
const optionValue = fc.constantFrom<FlagValue>('a', 'a', 'b', true, true, 0, null);
const flagValue = fc.constantFrom<FlagValue>('on', 'off', '', 0, 12, true, false, null);

/** Document-wide unique keys and ids. */
let next = 1;
const uuid = () => `00000000-0000-4000-8000-${(next++).toString(16).padStart(12, '0')}`;

/**
 * Allocations ordered as Flagsmith orders them: by allocation id, given (as a variant's priority, out
 * of order), null, or missing; options by id, sometimes missing; weights that may pass 100 together.
 */
const allocations = (optionIds: readonly number[]): fc.Arbitrary<MultivariateFeatureStateValue[]> =>
  fc
    .tuple(
      fc.boolean(),
      fc.array(
        fc.tuple(
          fc.constantFrom<'given' | 'null' | 'missing'>('given', 'given', 'null', 'missing'),
          fc.constantFrom(...optionIds),
          optionValue,
          fc.constantFrom(0, 10, 25, 33.3, 50, 60, 100),
          fc.boolean(),
        ),
        { maxLength: 4 },
      ),
    )
    .map(([everyIdGiven, variants]) =>
      variants.map(([idKind, optionId, value, weight, optionIdKnown], i) => ({
        // Mostly every allocation has an id (out of order); otherwise each has one, null or none.
        ...(everyIdGiven || idKind === 'given' ? { id: 900 - i * 7 + (i % 2) * 20 } : idKind === 'null' ? { id: null } : {}),
        multivariate_feature_option: { ...(optionIdKnown ? { id: optionId } : {}), value },
        percentage_allocation: weight,
        mv_fs_value_uuid: uuid(),
      })),
    );

interface Feature {
  id: number;
  name: string;
  optionIds: number[];
}

const featureState = (feature: Feature, priority?: fc.Arbitrary<number | null>): fc.Arbitrary<DocumentFeatureState> =>
  fc
    .record({
      enabled: fc.boolean(),
      value: flagValue,
      variants: fc.oneof(fc.constant<MultivariateFeatureStateValue[]>([]), allocations(feature.optionIds)),
      uuidOnly: fc.boolean(),
      priority: priority ?? fc.constant(undefined),
    })
    .map(({ enabled, value, variants, uuidOnly, priority }) => {
      const key = next++;
      return {
        feature: { id: feature.id, name: feature.name, type: variants.length > 0 ? 'MULTIVARIATE' : 'STANDARD' },
        enabled,
        // Some states have only a uuid, as Flagsmith's edge documents do.
        ...(uuidOnly ? { featurestate_uuid: uuid() } : { django_id: key, featurestate_uuid: uuid() }),
        feature_state_value: value,
        ...(priority === undefined ? {} : { feature_segment: { priority } }),
        multivariate_feature_state_values: variants,
      };
    });

const segmentRules = fc.constantFrom(
  [rule('ALL', [condition('EQUAL', 'pro', 'plan')])],
  [rule('ALL', [condition('GREATER_THAN', '17', 'age')])],
  [rule('ANY', [condition('PERCENTAGE_SPLIT', '50', null), condition('IS_SET', null, 'beta')])],
  [rule('ALL', [condition('PERCENTAGE_SPLIT', '30', null)])],
  [rule('NONE', [condition('EQUAL', 'free', 'plan')])],
);

const documentArbitrary = (apiKey: string): fc.Arbitrary<EnvironmentDocument> =>
  fc
    .record({
      names: fc.shuffledSubarray(FEATURE_NAMES, { minLength: 1 }),
      firstId: fc.constantFrom(1, 40, 500),
      segmentIds: fc.uniqueArray(fc.constantFrom(3, 5, 8, 13, 4294967294), { maxLength: 3 }),
      sharedSegmentName: fc.boolean(),
    })
    .chain(({ names, firstId, segmentIds, sharedSegmentName }) => {
      const features: Feature[] = names.map((name, i) => ({
        id: firstId + i,
        name,
        optionIds: [firstId * 10 + i * 3, firstId * 10 + i * 3 + 1],
      }));
      const priority = fc.constantFrom<number | null>(null, null, 0, 1, 1, 2);
      return fc.record({
        defaults: fc.tuple(...features.map((feature) => featureState(feature))),
        segments: fc.tuple(
          ...segmentIds.map((id, i) =>
            fc.record({
              id: fc.constant(id),
              name: fc.constant(sharedSegmentName ? 'shared' : `segment_${i}`),
              rules: segmentRules.map((rules) => [...rules]),
              feature_states: fc
                .subarray(features)
                .chain((subset) => fc.tuple(...subset.map((feature) => featureState(feature, priority)))),
            }),
          ),
        ),
        identities: fc.uniqueArray(
          fc.record({
            identifier: fc.constantFrom(...IDENTIFIERS),
            identity_features: fc
              .subarray(features, { maxLength: Math.min(2, features.length) })
              .chain((subset) => fc.tuple(...subset.map((f) => featureState(f)))),
          }),
          { selector: (identity) => identity.identifier, maxLength: 2 },
        ),
        projectHides: fc.boolean(),
        environmentHides: fc.constantFrom(null, undefined, true, false),
      });
    })
    .map(({ defaults, segments, identities, projectHides, environmentHides }) => {
      const document = documentWith({
        api_key: apiKey,
        feature_states: defaults,
        segments,
        identity_overrides: identities as DocumentIdentityOverride[],
        ...(environmentHides === undefined ? {} : { hide_disabled_flags: environmentHides }),
      });
      document.project.hide_disabled_flags = projectHides;
      return document;
    });

const identityArbitrary = fc.record({
  identifier: fc.constantFrom(...IDENTIFIERS, 'stranger'),
  traits: fc.record(
    {
      plan: fc.constantFrom('pro', 'free', ''),
      age: fc.constantFrom<TraitValue>(12, 18, 40, '19', 0),
      beta: fc.constantFrom<TraitValue>(true, false),
    },
    { requiredKeys: [] },
  ),
});

type Flags = Record<string, { enabled: boolean; value: unknown }>;
const comparable = (flags: Record<string, { enabled: boolean; value: unknown }>): Flags =>
  Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { enabled: flag.enabled, value: flag.value ?? null }]));

/** What Flagsmith's API serves: its engine's flags, less disabled ones where they are hidden. */
const served = (document: EnvironmentDocument, flags: Flags): Flags =>
  (document.hide_disabled_flags ?? document.project.hide_disabled_flags)
    ? Object.fromEntries(Object.entries(flags).filter(([, flag]) => flag.enabled))
    : flags;

const remoteFlags = (flags: Array<{ feature: { name: string }; enabled: boolean; feature_state_value: unknown }>): Flags =>
  Object.fromEntries(flags.map((flag) => [flag.feature.name, { enabled: flag.enabled, value: flag.feature_state_value }]));

async function importAndCompare(
  apiKey: string,
  document: EnvironmentDocument,
  identities: ReadonlyArray<{ identifier: string; traits: Record<string, TraitValue> }>,
) {
  const imported = await svc.admin('PUT', `/environments/${encodeURIComponent(apiKey)}/document`, document);
  expect({ status: imported.status, body: imported.status < 300 ? 'document' : imported.body }).toEqual({
    status: expect.any(Number),
    body: 'document',
  });
  const exported = (await svc.admin('GET', `/environments/${encodeURIComponent(apiKey)}/document`)).body as EnvironmentDocument;
  // The same document again changes nothing.
  const again = await svc.admin('PUT', `/environments/${encodeURIComponent(apiKey)}/document`, document);
  expect({ ...again.body, updated_at: undefined }).toEqual({ ...exported, updated_at: undefined });
  const theirs = oracle(document);
  const ofExport = oracle(exported);

  const expectedEnvironment = comparable(await theirs.environmentFlags());
  expect(comparable(await ofExport.environmentFlags())).toEqual(expectedEnvironment);
  const { body: environmentFlags } = await svc.call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': apiKey } });
  expect(remoteFlags(environmentFlags)).toEqual(served(document, expectedEnvironment));

  for (const { identifier, traits } of identities) {
    const expected = comparable(await theirs.identityFlags(identifier, traits));
    expect({ identifier, traits, local: comparable(await ofExport.identityFlags(identifier, traits)) }).toEqual({
      identifier,
      traits,
      local: expected,
    });
    const { status, body } = await svc.call('POST', '/api/v1/identities/', {
      headers: { 'X-Environment-Key': apiKey },
      body: { identifier, transient: true, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) },
    });
    expect(status).toBe(200);
    expect({ identifier, traits, remote: remoteFlags(body.flags) }).toEqual({ identifier, traits, remote: served(document, expected) });
  }
}

test(`generated documents and changed re-imports into the same environment answer as Flagsmith's engine (${RUNS} runs)`, async () => {
  const shapes = { sharedOptionValues: 0, nullPriorities: 0, uuidOnly: 0, overAllocated: 0, hidden: 0, identityOverrides: 0 };
  const count = (document: EnvironmentDocument) => {
    const states = [...document.feature_states, ...document.project.segments.flatMap((s) => s.feature_states)];
    const splits = states.map((s) => s.multivariate_feature_state_values ?? []);
    if (splits.some((a) => new Set(a.map((v) => JSON.stringify(v.multivariate_feature_option.value))).size < a.length))
      shapes.sharedOptionValues++;
    if (states.some((s) => s.feature_segment && s.feature_segment.priority === null)) shapes.nullPriorities++;
    if (states.some((s) => s.django_id == null)) shapes.uuidOnly++;
    if (splits.some((a) => a.reduce((sum, v) => sum + v.percentage_allocation, 0) > 100)) shapes.overAllocated++;
    if (document.hide_disabled_flags ?? document.project.hide_disabled_flags) shapes.hidden++;
    if ((document.identity_overrides ?? []).length > 0) shapes.identityOverrides++;
  };
  await fc.assert(
    fc.asyncProperty(
      fc
        .constantFrom('k', 'Kq', 'env_key_01')
        .chain((apiKey) =>
          fc.tuple(
            fc.constant(apiKey),
            documentArbitrary(apiKey),
            documentArbitrary(apiKey),
            fc.array(identityArbitrary, { minLength: 2, maxLength: 4 }),
          ),
        ),
      async ([apiKey, first, changed, identities]) => {
        for (const document of [first, changed]) {
          count(document);
          await importAndCompare(apiKey, JSON.parse(JSON.stringify(document)), identities);
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  // The generator must reach each shape often, or the comparison proves little.
  for (const [shape, documents] of Object.entries(shapes)) expect({ shape, often: documents > RUNS / 10 }).toEqual({ shape, often: true });
}, 600_000);
