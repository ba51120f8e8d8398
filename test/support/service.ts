/** Starts the real service in-process on a loopback port, on a fresh test database. */
import { loadConfig } from '../../service/config';
import { startService, type RunningService } from '../../service/service';
import { createTestDatabase, type TestDatabase } from './database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestService {
  readonly url: string;
  readonly service: RunningService;
  readonly database: TestDatabase;
  /** Calls the admin API with the bootstrap token; returns status and parsed body. */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Calls any route with the given headers. */
  call<T = any>(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: unknown; rawBody?: string },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startTestService(
  env: Record<string, string> = {},
  /** `embedded`: on PGlite even when DATABASE_URL is set (the source of a move). */
  { embedded = false }: { embedded?: boolean } = {},
): Promise<TestService> {
  const database = await createTestDatabase({ embedded });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    FLAGSTACK_DATA_DIR: database.dataDir,
    FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    ...env,
  });
  const service = await startService(config, { logger: false });
  const url = service.address;

  const call: TestService['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body: payload });
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, headers: response.headers };
  };

  return {
    url,
    service,
    database,
    call,
    admin: (method, path, body) => call(method, `/api/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body }),
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}
