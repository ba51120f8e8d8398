/** Environment documents: export, import, round trips, hash keys kept, and the audit log. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { seedEnvironment, SAMPLE_IDENTITIES, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

let svc: TestService;
let seeded: SeededEnvironment;

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc);
});
afterAll(() => svc.stop());

const withoutTimestamps = (doc: any) => ({ ...doc, updated_at: undefined });

test('export followed by import into the same environment changes nothing', async () => {
  const exported = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  expect(exported.status).toBe(200);
  const imported = await svc.admin('PUT', `/environments/${seeded.clientKey}/document`, exported.body);
  expect(imported.status).toBe(200);
  const again = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  expect(withoutTimestamps(again.body)).toEqual(withoutTimestamps(exported.body));
});

test('the admin export equals what local-evaluation SDKs download', async () => {
  const exported = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  const downloaded = await svc.call('GET', '/api/v1/environment-document/', { headers: { 'X-Environment-Key': seeded.serverKey } });
  expect(downloaded.body).toEqual(exported.body);
});

test('import into a new environment creates it, and every identity gets the same flags there', async () => {
  const { body: document } = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  const created = await svc.admin('PUT', '/environments/copy_client_key_09/document', document);
  expect(created.status).toBe(201);
  expect(created.body.api_key).toBe('copy_client_key_09');
  // The hash keys travelled with the document, so splits land the same way.
  expect(created.body.feature_states.map((fs: any) => fs.django_id)).toEqual(document.feature_states.map((fs: any) => fs.django_id));
  expect(created.body.project.segments.map((s: any) => s.id)).toEqual(document.project.segments.map((s: any) => s.id));

  // Identity hash keys include the environment key, so compare each identity across environments by
  // evaluating the original environment's document locally under the copy's key.
  const flagsOf = async (key: string, identifier: string, traits: Record<string, string | number | boolean>) => {
    const { body } = await svc.call('POST', '/api/v1/identities/', {
      headers: { 'X-Environment-Key': key },
      body: { identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value, transient: true })) },
    });
    return Object.fromEntries(body.flags.map((f: any) => [f.feature.name, [f.enabled, f.feature_state_value]]));
  };
  const file = join(mkdtempSync(join(tmpdir(), 'flagstack-doc-')), 'environment.json');
  writeFileSync(file, JSON.stringify({ ...document, api_key: 'copy_client_key_09' }));
  const offline = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
  for (const { identifier, traits } of SAMPLE_IDENTITIES) {
    const expected = Object.fromEntries(
      (await offline.getIdentityFlags(identifier, traits))
        .allFlags()
        .filter((f) => f.featureName !== 'secret_flag')
        .map((f) => [f.featureName, [f.enabled, f.value]]),
    );
    expect({ identifier, flags: await flagsOf('copy_client_key_09', identifier, traits) }).toEqual({ identifier, flags: expected });
  }
});

test('a hand-written Flagsmith document keeps its ids, and remote and local evaluation agree on it', async () => {
  const document = {
    id: 77,
    api_key: 'ignored-the-url-decides',
    name: 'Imported',
    project: {
      id: 12,
      name: 'imported project',
      organisation: { id: 3, name: 'acme', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      server_key_only_feature_ids: [],
      segments: [
        {
          id: 5551,
          name: 'quarter',
          rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'PERCENTAGE_SPLIT', property_: null, value: '25' }] }],
          feature_states: [
            {
              feature: { id: 901, name: 'colour', type: 'STANDARD' },
              enabled: true,
              django_id: 40001,
              feature_state_value: 'green',
              feature_segment: { priority: 0 },
              multivariate_feature_state_values: [],
            },
          ],
        },
      ],
    },
    feature_states: [
      {
        feature: { id: 901, name: 'colour', type: 'STANDARD' },
        enabled: true,
        django_id: 30001,
        feature_state_value: 'blue',
        multivariate_feature_state_values: [],
      },
      {
        feature: { id: 902, name: 'layout', type: 'MULTIVARIATE' },
        enabled: true,
        django_id: 30002,
        feature_state_value: 'grid',
        multivariate_feature_state_values: [
          { id: 8002, multivariate_feature_option: { id: 7002, value: 'list' }, percentage_allocation: 40 },
          { id: 8001, multivariate_feature_option: { id: 7001, value: 'cards' }, percentage_allocation: 40 },
        ],
      },
    ],
    identity_overrides: [
      {
        identifier: 'special',
        identity_features: [
          { feature: { id: 901, name: 'colour', type: 'STANDARD' }, enabled: false, django_id: 50001, feature_state_value: 'red' },
        ],
      },
    ],
  };
  const created = await svc.admin('PUT', '/environments/imported_key_0001/document', document);
  expect(created.status).toBe(201);
  expect(created.body.project.segments[0].id).toBe(5551);
  expect(created.body.feature_states.map((fs: any) => fs.django_id)).toEqual([30001, 30002]);
  expect(created.body.identity_overrides[0].identifier).toBe('special');

  const { body: serverKey } = await svc.admin('POST', '/environments/imported_key_0001/server-keys', {});
  const remote = new Flagsmith({ environmentKey: 'imported_key_0001', apiUrl: `${svc.url}/api/v1/` });
  const local = new Flagsmith({
    environmentKey: serverKey.key,
    apiUrl: `${svc.url}/api/v1/`,
    enableLocalEvaluation: true,
    environmentRefreshIntervalSeconds: 3600,
  });
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const identifier = i === 0 ? 'special' : `imported-${i}`;
      const r = (await remote.getIdentityFlags(identifier)).allFlags().map((f) => [f.featureName, f.enabled, f.value]);
      const l = (await local.getIdentityFlags(identifier)).allFlags().map((f) => [f.featureName, f.enabled, f.value]);
      expect(r).toEqual(l);
      r.forEach(([, , value]) => seen.add(String(value)));
    }
    expect([...seen]).toEqual(expect.arrayContaining(['red', 'green', 'blue', 'list', 'cards']));
  } finally {
    await local.close();
  }
});

test("a document with a short key and a segment override of priority null imports, keeps both, and evaluates as Flagsmith's engine does", async () => {
  const feature = { id: 1, name: 'tier', type: 'STANDARD' };
  const override = (django_id: number, value: string, priority: number | null) => ({
    feature,
    enabled: true,
    django_id,
    feature_state_value: value,
    feature_segment: { priority },
  });
  const everyone = (id: number, name: string, value: string, priority: number | null) => ({
    id,
    name,
    rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'IS_SET', property_: 'plan', value: null }] }],
    feature_states: [override(id * 10, value, priority)],
  });
  const document = {
    id: 1,
    api_key: 'key',
    name: 'short',
    project: {
      id: 4242,
      name: 'short key project',
      organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      // Null ranks after every number: 'ranked' wins although 'unranked' comes first.
      segments: [everyone(101, 'unranked', 'from unranked', null), everyone(102, 'ranked', 'from ranked', 5)],
    },
    feature_states: [{ feature, enabled: true, django_id: 9, feature_state_value: 'default' }],
  };
  const created = await svc.admin('PUT', '/environments/key/document', document);
  expect(created.status).toBe(201);
  expect(created.body.api_key).toBe('key');
  expect(created.body.project.segments.map((s: any) => s.feature_states[0].feature_segment.priority)).toEqual([null, 5]);
  expect((await svc.admin('GET', '/environments/key')).status).toBe(200);

  const file = join(mkdtempSync(join(tmpdir(), 'flagstack-doc-')), 'environment.json');
  writeFileSync(file, JSON.stringify(document));
  const offline = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
  const expected = (await offline.getIdentityFlags('ada', { plan: 'pro' })).getFeatureValue('tier');
  expect(expected).toBe('from ranked');
  const { body } = await svc.call('POST', '/api/v1/identities/', {
    headers: { 'X-Environment-Key': 'key' },
    body: { identifier: 'ada', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
  });
  expect(body.flags.find((f: any) => f.feature.name === 'tier').feature_state_value).toBe(expected);
});

test('an import replaces: what the document no longer names goes, from the project too unless another environment uses it; the project is found, not duplicated', async () => {
  const feature = (id: number, name: string, type = 'STANDARD') => ({ id, name, type });
  const documentOf = (apiKey: string, names: string[], segmentIds: number[]) => ({
    id: 1,
    api_key: apiKey,
    name: apiKey,
    project: {
      id: 7070,
      name: 'replaced project',
      organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments: segmentIds.map((id) => ({
        id,
        name: `segment ${id}`,
        rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }] }],
        feature_states: [
          {
            feature: feature(1, names[0]),
            enabled: true,
            django_id: id * 10,
            feature_state_value: 'pro',
            feature_segment: { priority: 0 },
          },
        ],
      })),
    },
    feature_states: names.map((name, i) => ({
      feature: feature(i + 1, name, 'MULTIVARIATE'),
      enabled: true,
      django_id: 100 + i,
      feature_state_value: 'default',
      multivariate_feature_state_values: [
        { id: 500 + i, multivariate_feature_option: { id: 600 + i, value: `${name} variant` }, percentage_allocation: 30 },
      ],
    })),
  });
  const projectOf = async (key: string) => (await svc.admin('GET', `/environments/${key}`)).body.project_id;
  const namesIn = async (projectId: number, what: 'features' | 'segments') =>
    (await svc.admin('GET', `/projects/${projectId}/${what}`)).body.map((row: any) => row.name).sort();

  expect(
    (await svc.admin('PUT', '/environments/replaced_a/document', documentOf('replaced_a', ['kept', 'shared', 'dropped'], [31, 32]))).status,
  ).toBe(201);
  // A second environment of the same Flagsmith project joins the first's project.
  expect((await svc.admin('PUT', '/environments/replaced_b/document', documentOf('replaced_b', ['shared'], [31]))).status).toBe(201);
  const projectId = await projectOf('replaced_a');
  expect(await projectOf('replaced_b')).toBe(projectId);

  const changed = documentOf('replaced_a', ['kept'], [31]);
  const replaced = await svc.admin('PUT', '/environments/replaced_a/document', changed);
  expect(replaced.status).toBe(200);
  expect(replaced.body.feature_states.map((fs: any) => fs.feature.name)).toEqual(['kept']);
  expect(replaced.body.project.segments.flatMap((s: any) => s.feature_states.map((fs: any) => [s.id, fs.feature.name]))).toEqual([
    [31, 'kept'],
  ]);
  // 'dropped' and segment 32 were only this environment's; 'shared' is still served by the other.
  expect(await namesIn(projectId, 'features')).toEqual(['kept', 'shared']);
  expect(await namesIn(projectId, 'segments')).toEqual(['segment 31']);
  const { body: flags } = await svc.call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'replaced_a' } });
  expect(flags.map((flag: any) => flag.feature.name)).toEqual(['kept']);
  const { body: other } = await svc.call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'replaced_b' } });
  expect(other.map((flag: any) => flag.feature.name)).toEqual(['shared']);
  // Options no environment allocates any more are gone with them.
  const { body: features } = await svc.admin('GET', `/projects/${projectId}/features`);
  for (const { id } of features) {
    const { body } = await svc.admin('GET', `/features/${id}`);
    expect({ feature: body.name, options: body.multivariate_options.map((o: any) => o.value) }).toEqual({
      feature: body.name,
      options: [`${body.name} variant`],
    });
  }

  // The same document again changes nothing; the audit log holds each import with before and after.
  await svc.admin('PUT', '/environments/replaced_a/document', changed);
  expect(withoutTimestamps((await svc.admin('GET', '/environments/replaced_a/document')).body)).toEqual(withoutTimestamps(replaced.body));
  const { body: audit } = await svc.admin('GET', '/audit-log?limit=3&environment=replaced_a');
  expect(audit.items.map((item: any) => [item.action, item.entity_type])).toEqual([
    ['import', 'environment_document'],
    ['import', 'environment_document'],
    ['import', 'environment_document'],
  ]);
  expect(audit.items[1].before.feature_states.map((fs: any) => fs.feature.name)).toEqual(['kept', 'shared', 'dropped']);
  expect(audit.items[1].after.feature_states.map((fs: any) => fs.feature.name)).toEqual(['kept']);
});

test("after an import, an option added through the admin API splits after the document's, so no identity changes variant; the project's other environments serve the change", async () => {
  const split = (id: number, optionId: number, value: string) => ({
    id,
    multivariate_feature_option: { id: optionId, value },
    percentage_allocation: 30,
  });
  const documentOf = (apiKey: string, rule: string) => ({
    id: 1,
    api_key: apiKey,
    name: apiKey,
    project: {
      id: 8080,
      name: 'split project',
      organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments: [
        {
          id: 81,
          name: 'pro',
          rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property_: 'plan', value: rule }] }],
          feature_states: [
            {
              feature: { id: 1, name: 'layout', type: 'MULTIVARIATE' },
              enabled: true,
              django_id: 810,
              feature_state_value: 'segment',
              feature_segment: { priority: 0 },
            },
          ],
        },
      ],
    },
    feature_states: [
      {
        feature: { id: 1, name: 'layout', type: 'MULTIVARIATE' },
        enabled: true,
        django_id: 800,
        feature_state_value: 'grid',
        multivariate_feature_state_values: [split(5000, 7000, 'list'), split(5001, 7001, 'cards')],
      },
    ],
  });
  expect((await svc.admin('PUT', '/environments/split_a/document', documentOf('split_a', 'pro'))).status).toBe(201);
  expect((await svc.admin('PUT', '/environments/split_b/document', documentOf('split_b', 'pro'))).status).toBe(201);
  const valuesOf = async (key: string, traits: Record<string, string> = {}) => {
    const values: unknown[] = [];
    for (let i = 0; i < 30; i++) {
      const { body } = await svc.call('POST', '/api/v1/identities/', {
        headers: { 'X-Environment-Key': key },
        body: {
          identifier: `split-${i}`,
          transient: true,
          traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })),
        },
      });
      values.push(body.flags[0].feature_state_value);
    }
    return values;
  };
  const before = await valuesOf('split_a');
  const { body: features } = await svc.admin(
    'GET',
    `/projects/${(await svc.admin('GET', '/environments/split_a')).body.project_id}/features`,
  );
  const layout = features.find((f: any) => f.name === 'layout');
  expect(
    (await svc.admin('POST', `/features/${layout.id}/multivariate-options`, { value: 'new', default_percentage_allocation: 10 })).status,
  ).toBe(201);
  // The new variant takes the 60–70 band: everyone below 60 keeps theirs.
  const after = await valuesOf('split_a');
  expect(after.map((value, i) => (before[i] === 'grid' ? 'grid or new' : value))).toEqual(
    before.map((value) => (value === 'grid' ? 'grid or new' : value)),
  );
  expect(after.filter((value, i) => value !== before[i]).every((value) => value === 'new')).toBe(true);

  // Re-importing split_a with the segment's rule changed changes the shared segment; split_b serves it at once.
  expect(await valuesOf('split_b', { plan: 'pro' })).toEqual(Array(30).fill('segment'));
  expect((await svc.admin('PUT', '/environments/split_a/document', documentOf('split_a', 'enterprise'))).status).toBe(200);
  expect((await valuesOf('split_b', { plan: 'pro' })).includes('segment')).toBe(false);
});

test('a failing import changes nothing (one transaction)', async () => {
  const { body: before } = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  const broken = structuredClone(before);
  broken.name = 'renamed';
  // A new feature, then a second state of the first feature in the same place: refused once the
  // features, segments, options and the first states are written.
  broken.feature_states.unshift({ ...broken.feature_states[0], feature: { id: 999999, name: 'brand_new', type: 'STANDARD' } });
  broken.feature_states.push({ ...broken.feature_states[1] });
  const response = await svc.admin('PUT', `/environments/${seeded.clientKey}/document`, broken);
  expect(response.status).toBe(400);
  const { body: after } = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  expect(after).toEqual(before);
});

test('every admin change is in the audit log with actor, time, before and after, paged by cursor', async () => {
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/max_items`, { value: 11 });
  const first = await svc.admin('GET', `/audit-log?limit=1&environment=${seeded.clientKey}`);
  expect(first.status).toBe(200);
  expect(first.body.items[0]).toMatchObject({
    actor: expect.stringContaining('bootstrap'),
    action: 'update',
    entity_type: 'feature_state',
    before: expect.objectContaining({ value: 10 }),
    after: expect.objectContaining({ value: 11 }),
  });
  expect(new Date(first.body.items[0].at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  const second = await svc.admin('GET', `/audit-log?limit=1&environment=${seeded.clientKey}&cursor=${first.body.nextCursor}`);
  expect(second.body.items[0].id).toBeLessThan(first.body.items[0].id);
  const all = await svc.admin('GET', '/audit-log?limit=1000');
  const types = new Set(all.body.items.map((item: any) => item.entity_type));
  for (const type of [
    'project',
    'environment',
    'server_key',
    'feature',
    'segment',
    'segment_override',
    'identity_override',
    'environment_document',
  ]) {
    expect(types).toContain(type);
  }
});

test("an option in this project's own export is matched by its row id; the same id in another project's document is not", async () => {
  const options = async () =>
    (await svc.admin('GET', `/features/${seeded.featureIds.checkout}`)).body.multivariate_options.map((o: any) => [o.id, o.value]);
  const before = await options();
  const { body: document } = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
  const stateOf = (doc: any) => doc.feature_states.find((fs: any) => fs.feature.name === 'checkout');
  // The export names options by their row ids (the admin API made them: no document ids yet).
  const exportedIds = stateOf(document).multivariate_feature_state_values.map((v: any) => v.multivariate_feature_option.id);
  expect(exportedIds.every((id: number) => before.some(([rowId]: [number]) => rowId === id))).toBe(true);

  // Re-imported with one option's value changed (wherever a state names it): the same row, changed in place.
  const changed = structuredClone(document);
  const rename = (node: any): void => {
    if (Array.isArray(node)) node.forEach(rename);
    else if (node && typeof node === 'object') {
      if (node.multivariate_feature_option?.id === exportedIds[0]) node.multivariate_feature_option.value = 'variant_a_renamed';
      Object.values(node).forEach(rename);
    }
  };
  rename(changed);
  expect((await svc.admin('PUT', `/environments/${seeded.clientKey}/document`, changed)).status).toBe(200);
  const after = await options();
  expect(after.map(([id]: [number]) => id)).toEqual(before.map(([id]: [number]) => id));
  expect(after.find(([id]: [number]) => id === exportedIds[0])[1]).toBe('variant_a_renamed');

  // The same document as another project's (another project id and name): its option ids are that
  // project's, so they match nothing here and become new options of the new project.
  const foreign = { ...structuredClone(changed), project: { ...changed.project, id: 987654, name: 'someone else' } };
  expect((await svc.admin('PUT', '/environments/foreign_client_key_01/document', foreign)).status).toBe(201);
  expect(await options()).toEqual(after);
  const projects = (await svc.admin('GET', '/projects')).body as { id: number; name: string }[];
  const other = projects.find((project) => project.name === 'someone else')!;
  const otherCheckout = ((await svc.admin('GET', `/projects/${other.id}/features`)).body as any[]).find((f) => f.name === 'checkout');
  const otherIds = (await svc.admin('GET', `/features/${otherCheckout.id}`)).body.multivariate_options.map((o: any) => o.id);
  expect(otherIds).toHaveLength(exportedIds.length);
  expect(otherIds.some((id: number) => exportedIds.includes(id))).toBe(false);
});
