/** /health, /ready, Prometheus /metrics, and structured JSON logs with request ids and no secrets. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../service/config';
import { startService, type RunningService } from '../../service/service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { ADMIN_TOKEN, type TestService } from '../support/service';

let database: TestDatabase;
let service: RunningService;
let seeded: SeededEnvironment;
const logLines: string[] = [];

const call = async (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) => {
  const response = await fetch(service.address + path, {
    method,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: response.status, body, headers: response.headers };
};

beforeAll(async () => {
  database = await createTestDatabase();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  service = await startService(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      FLAGSTACK_DATA_DIR: database.dataDir,
      FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    }),
    { logger: pino({ level: 'info' }, sink) },
  );
  seeded = await seedEnvironment({
    call,
    admin: (method: string, path: string, body?: unknown) =>
      call(method, `/api/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body }),
  } as unknown as TestService);
});
afterAll(async () => {
  await service.stop();
  await database.drop();
});

test('/health and /ready', async () => {
  expect(await call('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  expect(await call('GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready', database: 'up' } });
});

test('/metrics: requests and latency by route and status, cache, reloads, pool, pending trait writes', async () => {
  for (let i = 0; i < 3; i++) await call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': seeded.clientKey } });
  await call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'wrong' } });
  await call('POST', '/api/v1/identities/', {
    headers: { 'X-Environment-Key': seeded.clientKey },
    body: { identifier: 'm', traits: [{ trait_key: 'a', trait_value: 1 }] },
  });
  const { status, body, headers } = await call('GET', '/metrics');
  expect(status).toBe(200);
  expect(headers.get('content-type')).toMatch(/^text\/plain/);
  const value = (pattern: RegExp) => Number(pattern.exec(body)?.[1]);
  expect(value(/flagstack_http_requests_total\{route="\/api\/v1\/flags\/",method="GET",status="200"\} (\d+)/)).toBeGreaterThanOrEqual(3);
  expect(value(/flagstack_http_requests_total\{route="\/api\/v1\/flags\/",method="GET",status="401"\} (\d+)/)).toBe(1);
  expect(body).toMatch(
    /flagstack_http_request_duration_seconds_bucket\{le="0.005",route="\/api\/v1\/flags\/",method="GET",status="200"\} \d+/,
  );
  expect(value(/flagstack_environment_cache_lookups_total\{result="hit"\} (\d+)/)).toBeGreaterThanOrEqual(3);
  expect(value(/flagstack_environment_reloads_total\{outcome="ok"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  expect(body).toMatch(/flagstack_db_pool_connections\{state="total"\} \d+/);
  expect(body).toMatch(/flagstack_trait_writes_pending \d+/);
  expect(body).toMatch(/flagstack_process_resident_memory_bytes \d+/);
});

test('logs are JSON lines with request ids, and no keys or tokens', async () => {
  const { headers } = await call('GET', '/api/v1/flags/', {
    headers: { 'X-Environment-Key': seeded.serverKey, 'X-Request-Id': 'trace-abc-123' },
  });
  expect(headers.get('x-request-id')).toBe('trace-abc-123');
  await call('GET', '/api/v1/environment-document/', { headers: { 'X-Environment-Key': seeded.serverKey } });
  const entries = logLines.map((line) => JSON.parse(line));
  const traced = entries.filter((entry) => entry.reqId === 'trace-abc-123');
  expect(traced.length).toBeGreaterThanOrEqual(2); // request and response
  expect(entries.filter((entry) => entry.req).every((entry) => typeof entry.reqId === 'string')).toBe(true);
  const everything = logLines.join('\n');
  expect(everything).not.toContain(ADMIN_TOKEN);
  expect(everything).not.toContain(seeded.serverKey);
});
