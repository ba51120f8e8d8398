/** Builds a realistic environment through the admin API, as an operator would with curl. */
import type { TestService } from './service';

export interface SeededEnvironment {
  projectId: number;
  clientKey: string;
  serverKey: string;
  featureIds: Record<string, number>;
  segmentIds: Record<string, number>;
}

async function ok<T = any>(result: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await result;
  if (status >= 300) throw new Error(`admin call failed with ${status}: ${JSON.stringify(body)}`);
  return body;
}

export async function seedEnvironment(svc: TestService, clientKey = 'prod_client_key_01'): Promise<SeededEnvironment> {
  const project = await ok(svc.admin('POST', '/projects', { name: 'demo' }));
  await ok(svc.admin('POST', `/projects/${project.id}/environments`, { name: 'Production', client_key: clientKey }));
  const { key: serverKey } = await ok(svc.admin('POST', `/environments/${clientKey}/server-keys`, { name: 'backend' }));

  const featureIds: Record<string, number> = {};
  const feature = async (body: Record<string, unknown>) => {
    const created = await ok(svc.admin('POST', `/projects/${project.id}/features`, body));
    featureIds[created.name] = created.id;
    return created;
  };
  await feature({ name: 'banner', default_enabled: true, initial_value: 'hello' });
  await feature({ name: 'max_items', default_enabled: true, initial_value: 10 });
  await feature({ name: 'ratio', default_enabled: false, initial_value: 0.5 });
  await feature({ name: 'dark_mode', default_enabled: false, initial_value: true });
  await feature({ name: 'secret_flag', default_enabled: true, initial_value: 'internal', server_key_only: true });
  const checkout = await feature({
    name: 'checkout',
    default_enabled: true,
    initial_value: 'control',
    multivariate_options: [
      { value: 'variant_a', default_percentage_allocation: 30 },
      { value: 'variant_b', default_percentage_allocation: 30 },
      { value: 42, default_percentage_allocation: 20 },
    ],
  });

  await feature({ name: 'new_ui', default_enabled: true });
  await feature({ name: 'theme', default_enabled: true, initial_value: '{"primary": "#0a7", "dense": false}' });

  const segmentIds: Record<string, number> = {};
  const segment = async (name: string, rules: unknown[]) => {
    const created = await ok(svc.admin('POST', `/projects/${project.id}/segments`, { name, rules }));
    segmentIds[name] = created.id;
  };
  const all = (...conditions: unknown[]) => ({ type: 'ALL', rules: [{ type: 'ALL', rules: [], conditions }], conditions: [] });
  await segment('adults', [all({ operator: 'GREATER_THAN_INCLUSIVE', property_: 'age', value: '18' })]);
  await segment('beta', [
    {
      type: 'ALL',
      conditions: [],
      rules: [
        {
          type: 'ANY',
          rules: [],
          conditions: [
            { operator: 'CONTAINS', property_: 'email', value: '@beta.' },
            { operator: 'IN', property_: 'plan', value: 'pro,enterprise' },
          ],
        },
        { type: 'NONE', rules: [], conditions: [{ operator: 'EQUAL', property_: 'banned', value: 'true' }] },
      ],
    },
  ]);
  await segment('half', [all({ operator: 'PERCENTAGE_SPLIT', property_: null, value: '50' })]);
  await segment('new_app', [all({ operator: 'GREATER_THAN_INCLUSIVE', property_: 'app_version', value: '2.0.0:semver' })]);

  const override = (body: Record<string, unknown>) => ok(svc.admin('POST', `/environments/${clientKey}/segment-overrides`, body));
  await override({ feature: 'banner', segment_id: segmentIds.adults, enabled: true, value: 'adult banner', priority: 2 });
  await override({ feature: 'banner', segment_id: segmentIds.beta, enabled: true, value: 'beta banner', priority: 1 });
  await override({ feature: 'dark_mode', segment_id: segmentIds.new_app, enabled: true, value: true });
  await override({
    feature: 'checkout',
    segment_id: segmentIds.half,
    enabled: true,
    value: 'half_control',
    multivariate: [{ option_id: checkout.multivariate_options[0].id, percentage_allocation: 50 }],
  });
  await override({ feature: 'new_ui', segment_id: segmentIds.adults, enabled: false });
  await override({ feature: 'theme', segment_id: segmentIds.beta, enabled: true, value: '{"primary": "#f0f", "dense": true}' });
  await ok(svc.admin('PUT', `/environments/${clientKey}/identities/vip-user/overrides/max_items`, { enabled: true, value: 1000 }));

  return { projectId: project.id, clientKey, serverKey, featureIds, segmentIds };
}

/** Identities with traits that exercise every segment above. */
export const SAMPLE_IDENTITIES: Array<{ identifier: string; traits: Record<string, string | number | boolean> }> = [
  { identifier: 'anonymous-1', traits: {} },
  { identifier: 'adult-1', traits: { age: 30 } },
  { identifier: 'minor-1', traits: { age: 12 } },
  { identifier: 'beta-1', traits: { email: 'ann@beta.example.com', age: 40 } },
  { identifier: 'beta-banned', traits: { email: 'bob@beta.example.com', banned: true } },
  { identifier: 'pro-1', traits: { plan: 'pro' } },
  { identifier: 'app-2', traits: { app_version: '2.3.1' } },
  { identifier: 'app-1', traits: { app_version: '1.9.9' } },
  { identifier: 'vip-user', traits: { age: 50 } },
  ...Array.from({ length: 20 }, (_, i) => ({ identifier: `user-${i}`, traits: { age: 10 + i * 3, plan: i % 3 === 0 ? 'pro' : 'free' } })),
];
