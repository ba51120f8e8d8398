/** Helpers for the edge tests: environments written into the fake table, and an edge API to call. */
import { sdkCorsPolicy } from '../../service/cors';
import { DEFAULT_IDENTITY_BOUNDS, DEFAULT_TRAIT_LIMITS } from '../../service/shared-settings';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { EdgeEnvironments } from '../../service/edge/environments';
import { encodeDocument, headKey, indexKey, sdkKeyKey, type PublishedEnvironment } from '../../service/edge/flag-table';
import { silentLog, type Log } from '../../service/log';
import { EdgeSdkApi } from '../../service/edge/sdk-api';
import { EdgeTraitStore } from '../../service/edge/traits';
import { hashSecret } from '../../service/secrets';
import type { EnvironmentDocument } from '../../service/schemas/environment-document';
import type { FeatureMetadata } from '../../service/storage/environment-documents';
import type { FakeTable } from './fake-table';

export const TABLE = 'flagstack-edge-test';

/** Writes an environment's items as the publisher does (document, head, keys, index). */
export async function publish(
  table: FakeTable,
  document: EnvironmentDocument,
  { version = 1_000_000, serverKeys = [] as string[], updatedAt = new Date('2026-01-02T03:04:05.678Z') } = {},
): Promise<PublishedEnvironment> {
  const environment: PublishedEnvironment = {
    environmentId: document.id,
    version,
    updatedAt,
    document,
    features: featuresOf(document),
    keys: [document.api_key, ...serverKeys.map(hashSecret)],
  };
  const put = (item: object) => table.client.send(new PutCommand({ TableName: TABLE, Item: item }));
  await put(encodeDocument(environment));
  await put({ ...headKey(document.id), version, keys: [...environment.keys] });
  for (const lookupId of environment.keys) await put({ ...sdkKeyKey(lookupId), environmentId: document.id });
  await put({ ...indexKey(document.id), version });
  return environment;
}

/** The feature metadata of every feature the document names, as the database would give it. */
export function featuresOf(document: EnvironmentDocument): Map<number, FeatureMetadata> {
  const features = new Map<number, FeatureMetadata>();
  for (const state of document.feature_states) {
    features.set(state.feature.id, {
      id: state.feature.id,
      name: state.feature.name,
      type: state.feature.type ?? 'STANDARD',
      description: null,
      initialValue: state.feature_state_value ?? null,
      defaultEnabled: state.enabled,
      createdDate: '2026-01-01T00:00:00.000Z',
      serverKeyOnly: (document.project.server_key_only_feature_ids ?? []).includes(state.feature.id),
    });
  }
  return features;
}

interface EdgeCall {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

/** An edge API over the fake table, with a clock the test moves. */
export function edge(table: FakeTable, { refreshMs = 5000, ttlDays = 0, bodyLimit = 1024 * 1024, log = silentLog as Log } = {}) {
  const clock = { now: 1_800_000_000_000 };
  const now = () => clock.now;
  const api = new EdgeSdkApi({
    environments: new EdgeEnvironments(table.client, { tableName: TABLE, refreshMs, now }, log),
    traits: new EdgeTraitStore(table.client, { tableName: TABLE, ttlDays, now, bounds: DEFAULT_IDENTITY_BOUNDS }, log),
    bodyLimit,
    traitLimits: DEFAULT_TRAIT_LIMITS,
    cors: sdkCorsPolicy('*'),
    log,
  });
  const call = async (
    method: string,
    pathAndQuery: string,
    { headers = {} as Record<string, string>, body, json }: { headers?: Record<string, string>; body?: string; json?: unknown } = {},
  ): Promise<EdgeCall> => {
    const [path, query = ''] = pathAndQuery.split('?');
    const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (json !== undefined) lowered['content-type'] ??= 'application/json';
    const response = await api.handle({
      method,
      path,
      query,
      headers: lowered,
      body: json !== undefined ? JSON.stringify(json) : body,
      requestId: 'test-request',
    });
    let parsed: unknown;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      parsed = response.body;
    }
    return { status: response.statusCode, headers: response.headers, text: response.body, body: parsed };
  };
  return { call, clock };
}
