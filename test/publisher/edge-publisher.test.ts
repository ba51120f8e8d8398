/**
 * The publisher against a mocked flag table, fed by the real service: what it writes, that a version
 * never goes backwards, retries, failures made good by the periodic check, deletions and revoked
 * keys, documents too large for an item.
 */
import { randomBytes } from 'node:crypto';
import { decodeDocument, documentKey, headKey, indexKey, KEY_PREFIXES, sdkKeyKey, type DocumentItem } from '../../service/edge/flag-table';
import type { Log } from '../../service/log';
import { EdgePublisher, type PublishOutcome } from '../../service/publisher/edge-publisher';
import { hashSecret } from '../../service/secrets';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';
import { FakeTable, serverError, throttled } from '../edge/fake-table';
import { TABLE } from '../edge/support';

let table: FakeTable;
let svc: TestService;
let seeded: SeededEnvironment;
let environmentId: number;

beforeAll(async () => {
  table = new FakeTable();
  svc = await startTestService({ FLAGSTACK_EDGE_TABLE: TABLE, FLAGSTACK_EDGE_REGION: 'us-east-1' });
  seeded = await seedEnvironment(svc);
  environmentId = (await svc.admin('GET', `/environments/${seeded.clientKey}`)).body.id;
  await svc.service.edgePublisher!.idle();
});
afterAll(async () => {
  await svc.stop();
  table.restore();
});

const documentItem = (id = environmentId) => table.item(documentKey(id).pk, 'document') as DocumentItem | undefined;
const versionInDatabase = async (id = environmentId) =>
  (
    await svc.service.db.query<{ v: number }>(
      'SELECT (extract(epoch from updated_at) * 1000000)::float8 AS v FROM environments WHERE id = $1',
      [id],
    )
  )[0].v;

/** A publisher of its own over the service's database, with a log and outcomes to inspect. */
function publisher(options: Partial<ConstructorParameters<typeof EdgePublisher>[2]> = {}) {
  const logged: Array<{ level: string; message: string; fields: object }> = [];
  const log: Log = {
    info: (fields, message) => logged.push({ level: 'info', message, fields }),
    warn: (fields, message) => logged.push({ level: 'warn', message, fields }),
    error: (fields, message) => logged.push({ level: 'error', message, fields }),
  };
  const outcomes: PublishOutcome[] = [];
  const instance = new EdgePublisher(
    svc.service.db,
    table.client,
    { tableName: TABLE, checkIntervalMs: 60_000, backoffMs: 1, ...options },
    log,
    {
      published: (outcome) => outcomes.push(outcome),
    },
  );
  return { instance, logged, outcomes };
}

test('the service publishes every environment: document, head, keys (server keys hashed) and index', async () => {
  const item = documentItem()!;
  const published = decodeDocument(item)!;
  const { body: document } = await svc.call('GET', '/api/v1/environment-document/', { headers: { 'X-Environment-Key': seeded.serverKey } });
  expect(published.document).toEqual(document);
  expect(published.version).toBe(await versionInDatabase());
  expect([...published.features.values()].map((f) => f.name)).toEqual(expect.arrayContaining(['banner', 'secret_flag', 'checkout']));

  const head = table.item(headKey(environmentId).pk, 'head')!;
  expect(head).toMatchObject({ version: published.version, keys: [seeded.clientKey, hashSecret(seeded.serverKey)] });
  expect(table.item(sdkKeyKey(seeded.clientKey).pk, 'key')).toMatchObject({ environmentId });
  expect(table.item(sdkKeyKey(hashSecret(seeded.serverKey)).pk, 'key')).toMatchObject({ environmentId });
  expect(table.item(KEY_PREFIXES.index, indexKey(environmentId).sk)).toMatchObject({ version: published.version });
  // No key appears in the clear but the client key, which is public.
  expect(JSON.stringify([...table.items.values()])).not.toContain(seeded.serverKey);
});

test('an admin change through the service publishes the new version', async () => {
  const before = documentItem()!.version;
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/banner`, { value: 'published banner' });
  await svc.service.edgePublisher!.idle();
  const published = decodeDocument(documentItem()!)!;
  expect(published.version).toBeGreaterThan(before);
  expect(published.document.feature_states.find((s) => s.feature.name === 'banner')!.feature_state_value).toBe('published banner');
});

test('a stale publish never overwrites a newer version', async () => {
  const newer = { ...documentItem()!, version: (await versionInDatabase()) + 1_000_000, body: 'from the future' };
  table.items.set(`${newer.pk}\u0000document`, newer);
  const { instance, outcomes } = publisher();
  instance.schedule([environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['unchanged']);
  expect(documentItem()!.body).toBe('from the future');
  // Put it back as the database has it.
  table.items.delete(`${newer.pk}\u0000document`);
  instance.schedule([environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['unchanged', 'written']);
});

test('republishing the same version is idempotent', async () => {
  const { instance, outcomes } = publisher();
  const before = structuredClone([...table.items.entries()]);
  instance.schedule([environmentId, environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['written']);
  expect([...table.items.entries()]).toEqual(before);
});

test('throttling is retried with backoff', async () => {
  const { instance, outcomes } = publisher();
  const puts = table.calls('Put');
  table.failNext('Put', throttled(), 2);
  instance.schedule([environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['written']);
  // Two throttled, then the document, the head, two keys and the index entry.
  expect(table.calls('Put') - puts).toBe(2 + 5);
});

test('a publish that fails is logged, counted, and made good by the next check', async () => {
  const { instance, outcomes, logged } = publisher({ maxAttempts: 2 });
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/max_items`, { value: 11 });
  await svc.service.edgePublisher!.idle();
  await svc.service.db.query("UPDATE environments SET updated_at = updated_at + interval '1 second' WHERE id = $1", [environmentId]);
  table.failNext('Put', serverError(), 2);
  instance.schedule([environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['failed']);
  expect(logged).toContainEqual({ level: 'error', message: 'edge publish failed', fields: expect.objectContaining({ environmentId }) });
  expect(documentItem()!.version).toBeLessThan(await versionInDatabase());

  await instance.check();
  await instance.idle();
  expect(outcomes).toEqual(['failed', 'written']);
  expect(documentItem()!.version).toBe(await versionInDatabase());
});

test('a publish that stopped half-way (document written, head not) is completed by the next check', async () => {
  await svc.service.db.query("UPDATE environments SET updated_at = updated_at + interval '1 second' WHERE id = $1", [environmentId]);
  const { instance, outcomes } = publisher({ maxAttempts: 1 });
  table.failNext('Put', serverError(), 1, 1); // the document's put succeeds, the head's fails
  instance.schedule([environmentId]);
  await instance.idle();
  expect(outcomes).toEqual(['failed']);
  expect(documentItem()!.version).toBe(await versionInDatabase());
  expect(table.item(headKey(environmentId).pk, 'head')!.version).toBeLessThan(documentItem()!.version);

  await instance.check();
  await instance.idle();
  expect(outcomes).toEqual(['failed', 'written']);
  expect(table.item(headKey(environmentId).pk, 'head')!.version).toBe(documentItem()!.version);
  expect(table.item(KEY_PREFIXES.index, indexKey(environmentId).sk)!.version).toBe(documentItem()!.version);
});

test('a revoked server key loses its item; the head lists the keys that remain', async () => {
  const { body: created } = await svc.admin('POST', `/environments/${seeded.clientKey}/server-keys`, { name: 'temporary' });
  await svc.service.edgePublisher!.idle();
  expect(table.item(sdkKeyKey(hashSecret(created.key)).pk, 'key')).toMatchObject({ environmentId });
  await svc.admin('DELETE', `/environments/${seeded.clientKey}/server-keys/${created.id}`);
  await svc.service.edgePublisher!.idle();
  expect(table.item(sdkKeyKey(hashSecret(created.key)).pk, 'key')).toBeUndefined();
  expect(table.item(headKey(environmentId).pk, 'head')!.keys).toEqual([seeded.clientKey, hashSecret(seeded.serverKey)]);
});

test('a deleted environment leaves tombstones no late publish can overwrite, and loses its keys and index entry', async () => {
  const doomed = await seedEnvironment(svc, 'doomed_client_key');
  const doomedId = (await svc.admin('GET', `/environments/${doomed.clientKey}`)).body.id;
  await svc.service.edgePublisher!.idle();
  const oldDocument = documentItem(doomedId)!;
  expect(oldDocument.deleted).toBeUndefined();

  expect((await svc.admin('DELETE', `/environments/${doomed.clientKey}`)).status).toBe(204);
  await svc.service.edgePublisher!.idle();
  expect(documentItem(doomedId)).toMatchObject({ deleted: true, version: Number.MAX_SAFE_INTEGER, expiresAt: expect.any(Number) });
  expect(table.item(headKey(doomedId).pk, 'head')).toMatchObject({ deleted: true });
  expect(table.item(sdkKeyKey(doomed.clientKey).pk, 'key')).toBeUndefined();
  expect(table.item(sdkKeyKey(hashSecret(doomed.serverKey)).pk, 'key')).toBeUndefined();
  expect(table.item(KEY_PREFIXES.index, indexKey(doomedId).sk)).toBeUndefined();
});

test('the check publishes what the table lacks and deletes what the database no longer holds', async () => {
  // An environment the table never heard of (its publish was lost), and an index entry of one long gone.
  const other = await seedEnvironment(svc, 'unheard_of_key_1');
  const otherId = (await svc.admin('GET', `/environments/${other.clientKey}`)).body.id;
  await svc.service.edgePublisher!.idle();
  for (const key of [...table.items.keys()])
    if (key.startsWith(`env#${otherId}\u0000`) || key.endsWith(`env#${otherId}`)) table.items.delete(key);
  table.items.set(`${KEY_PREFIXES.index}\u0000env#999999`, { ...indexKey(999999), version: 1 });

  const { instance, outcomes } = publisher();
  await instance.check();
  await instance.idle();
  expect(outcomes.sort()).toEqual(['deleted', 'written']);
  expect(decodeDocument(documentItem(otherId)!)!.environmentId).toBe(otherId);
  expect(documentItem(999999)).toMatchObject({ deleted: true });
  expect(table.item(KEY_PREFIXES.index, indexKey(999999).sk)).toBeUndefined();

  // Nothing differs now: a check writes nothing.
  const writes = table.calls('Put') + table.calls('Delete');
  await instance.check();
  await instance.idle();
  expect(table.calls('Put') + table.calls('Delete')).toBe(writes);
});

test('large documents are gzipped; one too large even so is refused with a clear error, and not retried until it changes', async () => {
  const big = await seedEnvironment(svc, 'big_environment_1');
  const bigId = (await svc.admin('GET', `/environments/${big.clientKey}`)).body.id;
  await svc.service.edgePublisher!.idle();
  expect(documentItem(bigId)!.encoding).toBe('json');
  // Incompressible values: random text, 20,000 characters a feature.
  for (let i = 0; i < 8; i++) {
    await svc.admin('POST', `/projects/${big.projectId}/features`, {
      name: `noise_${i}`,
      initial_value: randomBytes(15_000).toString('base64'),
    });
  }
  await svc.service.edgePublisher!.idle();
  const gzipped = documentItem(bigId)!;
  expect(gzipped.encoding).toBe('gzip');
  expect(decodeDocument(gzipped)!.document.feature_states).toHaveLength(16);

  for (let i = 8; i < 26; i++) {
    await svc.admin('POST', `/projects/${big.projectId}/features`, {
      name: `noise_${i}`,
      initial_value: randomBytes(15_000).toString('base64'),
    });
  }
  await svc.service.edgePublisher!.idle();
  // The service published while the document still fitted; the table keeps the last version that did.
  const lastFitting = documentItem(bigId)!.version;
  expect(lastFitting).toBeLessThan(await versionInDatabase(bigId));

  const { instance, outcomes, logged } = publisher();
  instance.schedule([bigId]);
  await instance.idle();
  expect(outcomes).toEqual(['failed']);
  const failure = logged.find((entry) => entry.message === 'edge publish failed')!;
  expect(String((failure.fields as { err: Error }).err.message)).toMatch(
    /environment \d+: its edge document is \d+ KB even gzipped; a DynamoDB item holds at most 400 KB/,
  );
  await instance.check();
  await instance.idle();
  expect(outcomes).toEqual(['failed']);
  expect(documentItem(bigId)!.version).toBe(lastFitting);
  await svc.admin('DELETE', `/projects/${big.projectId}`);
  await svc.service.edgePublisher!.idle();
});

test('a publisher that cannot reach the table does not stop the service; its check is logged', async () => {
  const { instance, logged } = publisher({ maxAttempts: 1 });
  table.failNext('Query', serverError(), 1);
  await instance.check();
  expect(logged).toContainEqual({
    level: 'warn',
    message: 'edge publish check failed; retrying at the next check',
    fields: expect.any(Object),
  });
  // The service's own publisher failing its check (every attempt) leaves flag reads answering.
  table.failNext('Query', serverError(), 4);
  await svc.service.edgePublisher!.check();
  expect((await svc.call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': seeded.clientKey } })).status).toBe(200);
});

test('publish outcomes are counted in /metrics', async () => {
  const { body } = await svc.call('GET', '/metrics');
  expect(body).toMatch(/flagstack_edge_publishes_total\{outcome="written"\} [1-9]/);
});
