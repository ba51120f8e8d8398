/**
 * The published flagsmith-nodejs SDK, unchanged, against a running server: remote evaluation with a
 * client key and with a server key, and local evaluation from the environment document, agree.
 */
import { Flagsmith, type Flags } from 'flagsmith-nodejs';
import { seedEnvironment, SAMPLE_IDENTITIES, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

let svc: TestService;
let seeded: SeededEnvironment;
const clients: Flagsmith[] = [];

// The SDK itself reports a flag without a value as undefined remotely and null locally; both mean "none".
const summary = (flags: Flags) =>
  Object.fromEntries(
    flags
      .allFlags()
      .map((flag) => [flag.featureName, { enabled: flag.enabled, value: flag.value ?? null, featureId: flag.featureId }] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

const client = (environmentKey: string, local = false) => {
  const flagsmith = new Flagsmith({
    environmentKey,
    apiUrl: `${svc.url}/api/v1/`,
    enableLocalEvaluation: local,
    environmentRefreshIntervalSeconds: 3600,
    requestTimeoutSeconds: 10,
  });
  clients.push(flagsmith);
  return flagsmith;
};

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await svc.stop();
});

test('environment flags: remote (client key) = remote (server key) minus server-only = local', async () => {
  const remoteClient = summary(await client(seeded.clientKey).getEnvironmentFlags());
  const remoteServer = summary(await client(seeded.serverKey).getEnvironmentFlags());
  const local = summary(await client(seeded.serverKey, true).getEnvironmentFlags());

  expect(remoteServer).toEqual(local);
  expect(remoteServer.secret_flag).toEqual({ enabled: true, value: 'internal', featureId: seeded.featureIds.secret_flag });
  const visibleToClients = Object.fromEntries(Object.entries(remoteServer).filter(([name]) => name !== 'secret_flag'));
  expect(remoteClient).toEqual(visibleToClients);
  expect(remoteClient.banner).toEqual({ enabled: true, value: 'hello', featureId: seeded.featureIds.banner });
  expect(remoteClient.max_items.value).toBe(10);
  expect(remoteClient.ratio).toMatchObject({ enabled: false, value: 0.5 });
});

test('identity flags: remote and local evaluation agree for every sample identity', async () => {
  const remote = client(seeded.serverKey);
  const local = client(seeded.serverKey, true);
  for (const { identifier, traits } of SAMPLE_IDENTITIES) {
    const remoteFlags = summary(await remote.getIdentityFlags(identifier, traits));
    const localFlags = summary(await local.getIdentityFlags(identifier, traits));
    expect({ identifier, flags: remoteFlags }).toEqual({ identifier, flags: localFlags });
  }
});

test('targeting reaches the SDK: segment priority, semver, identity override, multivariate', async () => {
  const remote = client(seeded.clientKey);
  const flagsFor = async (identifier: string, traits: Record<string, string | number | boolean>) =>
    summary(await remote.getIdentityFlags(identifier, traits));

  expect((await flagsFor('adult-2', { age: 30 })).banner.value).toBe('adult banner');
  // In both 'adults' (priority 2) and 'beta' (priority 1): the lower priority number wins.
  expect((await flagsFor('beta-2', { age: 30, email: 'x@beta.example.com' })).banner.value).toBe('beta banner');
  expect((await flagsFor('beta-3', { email: 'x@beta.example.com', banned: true })).banner.value).toBe('hello');
  expect((await flagsFor('app-3', { app_version: '2.10.0' })).dark_mode).toMatchObject({ enabled: true, value: true });
  expect((await flagsFor('app-4', { app_version: '1.10.0' })).dark_mode).toMatchObject({ enabled: false });
  expect((await flagsFor('vip-user', {})).max_items.value).toBe(1000);

  const checkoutValues = new Set<unknown>();
  for (let i = 0; i < 60; i++) checkoutValues.add((await flagsFor(`mv-${i}`, {})).checkout.value);
  expect([...checkoutValues].sort()).toEqual(expect.arrayContaining(['variant_a', 'variant_b', 42]));
});

test('traits persist between remote calls; transient traits and identities do not', async () => {
  const remote = client(seeded.clientKey);
  await remote.getIdentityFlags('persisted-adult', { age: 21 });
  // No traits sent this time: the stored age still puts the identity in 'adults'.
  expect(summary(await remote.getIdentityFlags('persisted-adult', {})).banner.value).toBe('adult banner');

  await remote.getIdentityFlags('transient-trait', { age: { value: 40, transient: true } });
  expect(summary(await remote.getIdentityFlags('transient-trait', {})).banner.value).toBe('hello');

  await remote.getIdentityFlags('transient-identity', { age: 40 }, true);
  const stored = await svc.admin('GET', `/environments/${seeded.clientKey}/identities/transient-identity`);
  expect(stored.status).toBe(404);
});
