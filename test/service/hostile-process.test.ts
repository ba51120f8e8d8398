/**
 * Hostile input and operators' mistakes against the bundle as its own process, so that what they
 * break (a stalled event loop, a process that will not start) cannot take the test down with it:
 * catastrophic REGEX inputs from the public key, a second process on the embedded database, and
 * the settings an operator gets wrong.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER, startBundle, type RunningBundle } from '../support/bundle';
import { createTestDatabase, type TestDatabase } from '../support/database';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'hostile-process-admin-token';
const NODE_PATH = join(ROOT, 'node_modules');

let dataDir: string;
let database: TestDatabase;
/** PostgreSQL's fresh test database when DATABASE_URL is set; else the bundle's own PGlite. */
const databaseEnv = (): Record<string, string> => (database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {});
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flagstack-hostile-'));
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the bundle until it exits (it is expected to refuse to start); its exit code and output. */
function runToExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SERVER], { cwd: dataDir, env: { PATH: process.env.PATH, HOST: '127.0.0.1', NODE_PATH, ...env } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const admin = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${url}/api/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json().catch(() => undefined)) as any;
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(payload)}`);
  return payload;
};

describe('catastrophic REGEX inputs from the public client key', () => {
  let bundle: RunningBundle;
  // The classic catastrophic-backtracking patterns, each with an input that makes a backtracking
  // engine explore every way to split it: a long run the pattern almost matches, then a mismatch.
  const PATTERNS: Array<[pattern: string, hostile: (length: number) => string]> = [
    ['^(a+)+$', (n) => `${'a'.repeat(n - 1)}!`],
    ['(a|aa)+$', (n) => `${'a'.repeat(n - 1)}!`],
    ['(a|a?)+$', (n) => `${'a'.repeat(n - 1)}!`],
    ['^(\\w+\\s?)*$', (n) => `${'ab '.repeat(Math.floor((n - 1) / 3))}!`],
    ['(.*a){12}', (n) => `${'a'.repeat(11)}${'x'.repeat(n - 11)}`],
    // Not catastrophic for a backtracking engine, but about the largest program RE2 is allowed: its cost is the text times the program.
    ['(?:a|aa){1,99}!', (n) => `!${'a'.repeat(n - 1)}`],
  ];

  beforeAll(async () => {
    bundle = await startBundle({
      cwd: dataDir,
      env: { FLAGSTACK_ADMIN_TOKEN: TOKEN, NODE_PATH, FLAGSTACK_DATA_DIR: join(dataDir, 'regex'), ...databaseEnv() },
    });
    const project = await admin(bundle.url, 'POST', '/projects', { name: 'regex' });
    await admin(bundle.url, 'POST', `/projects/${project.id}/environments`, { name: 'traits', client_key: 'regex_traits_key' });
    // Client traits off: the identifier alone is the attacker's input.
    await admin(bundle.url, 'POST', `/projects/${project.id}/environments`, {
      name: 'ids',
      client_key: 'regex_ident_key',
      allow_client_traits: false,
    });
    for (const [i, [pattern]] of PATTERNS.entries()) {
      await admin(bundle.url, 'POST', `/projects/${project.id}/features`, { name: `guard_${i}`, default_enabled: false });
      for (const [property, key] of [
        ['nick', 'regex_traits_key'],
        ['$.identity.identifier', 'regex_ident_key'],
      ]) {
        const segment = await admin(bundle.url, 'POST', `/projects/${project.id}/segments`, {
          name: `catastrophic_${i}_${key}`,
          rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'REGEX', property_: property, value: pattern }] }],
        });
        await admin(bundle.url, 'POST', `/environments/${key}/segment-overrides`, {
          feature: `guard_${i}`,
          segment_id: segment.id,
          enabled: true,
        });
      }
    }
  });
  afterAll(async () => {
    bundle.child.kill('SIGKILL');
    await bundle.stop();
  });

  /** A call that must answer: a stalled process makes it time out instead, and the test fail. */
  const answered = async (path: string, init: RequestInit) => {
    const response = await fetch(bundle.url + path, { ...init, signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: (await response.json()) as any };
  };

  test.each(PATTERNS)(
    '%s: a stored 2,000-character trait, its later reads, an OFREP context and an identifier all answer, and the segment is evaluated',
    async (pattern, hostile) => {
      const i = PATTERNS.findIndex(([p]) => p === pattern);
      const identifier = `attacker-${i}`;
      const headers = { 'X-Environment-Key': 'regex_traits_key', 'content-type': 'application/json' };
      // Health answers all along: the event loop is never held (a stalled one answers it seconds late).
      const healthMs: number[] = [];
      const health = setInterval(() => {
        const sent = Date.now();
        void fetch(`${bundle.url}/health`, { signal: AbortSignal.timeout(15_000) }).then(
          () => healthMs.push(Date.now() - sent),
          () => healthMs.push(Infinity),
        );
      }, 20);
      try {
        const written = await answered('/api/v1/identities/', {
          method: 'POST',
          headers,
          body: JSON.stringify({ identifier, traits: [{ trait_key: 'nick', trait_value: hostile(2000) }] }),
        });
        expect(written.status).toBe(200);
        // What a backtracking engine would answer, worked out on a short input of the same shape.
        expect(written.body.flags.find((f: any) => f.feature.name === `guard_${i}`).enabled).toBe(new RegExp(pattern).test(hostile(14)));
        // The stored value poisons every later read of the identity.
        const read = await answered(`/api/v1/identities/?identifier=${identifier}`, { headers });
        expect(read.status).toBe(200);
        const ofrep = await answered('/ofrep/v1/evaluate/flags', {
          method: 'POST',
          headers: { 'X-API-Key': 'regex_traits_key', 'content-type': 'application/json' },
          body: JSON.stringify({ context: { targetingKey: identifier, nick: hostile(2000) } }),
        });
        expect(ofrep.status).toBe(200);
        const byIdentifier = await answered('/api/v1/identities/', {
          method: 'POST',
          headers: { 'X-Environment-Key': 'regex_ident_key', 'content-type': 'application/json' },
          body: JSON.stringify({ identifier: hostile(2000), traits: [] }),
        });
        expect(byIdentifier.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(healthMs.length).toBeGreaterThan(0);
        expect(Math.max(...healthMs)).toBeLessThan(2000);
      } finally {
        clearInterval(health);
      }
    },
  );
});

describe('the embedded database has one owner', () => {
  test('a second process on the same data folder refuses to start, naming the folder and the owner; acknowledged writes survive a crash', async () => {
    const folder = join(dataDir, 'owned');
    const env = { FLAGSTACK_ADMIN_TOKEN: TOKEN, NODE_PATH, FLAGSTACK_DATA_DIR: folder };
    const first = await startBundle({ cwd: dataDir, env });
    try {
      const second = await runToExit({ ...env, PORT: '0' });
      expect(second.code).toBe(2);
      expect(second.output).toContain(`flagstack: The embedded database in ${folder} is in use by process ${first.child.pid}`);
      expect(second.output).not.toMatch(/^\s+at /m);

      // Its pid file names it by pid and start time.
      expect(readFileSync(join(folder, 'flagstack.pid'), 'utf8')).toMatch(new RegExp(`^${first.child.pid} \\d+\\n$`));
      const project = await admin(first.url, 'POST', '/projects', { name: 'acknowledged' });
      // A crash, not a shutdown: nothing gets to flush or remove its pid file.
      first.child.kill('SIGKILL');
      await first.stop();
      const third = await startBundle({ cwd: dataDir, env });
      try {
        expect(await admin(third.url, 'GET', `/projects/${project.id}`)).toMatchObject({ name: 'acknowledged' });
      } finally {
        await third.stop();
      }
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});

test('a pid file left by a process that is gone, even under a pid that is alive again, does not block a start', async () => {
  const folder = join(dataDir, 'left-behind');
  mkdirSync(folder, { recursive: true });
  // As a container's PID 1 leaves it after a crash: the next container is PID 1 too, started later.
  writeFileSync(join(folder, 'flagstack.pid'), '1 12345\n');
  const bundle = await startBundle({ cwd: dataDir, env: { NODE_PATH, FLAGSTACK_DATA_DIR: folder } });
  try {
    expect(readFileSync(join(folder, 'flagstack.pid'), 'utf8')).toMatch(new RegExp(`^${bundle.child.pid} `));
  } finally {
    await bundle.stop();
  }
  expect(existsSync(join(folder, 'flagstack.pid'))).toBe(false);
});

describe("operators' mistakes: one line, no stack trace", () => {
  test.each([
    [
      'bad settings list every bad variable with what is allowed, and never show a secret',
      { LOG_LEVEL: 'loud', FLAGSTACK_ADMIN_TOKEN: 'short-secret', PORT: 'eighty', FLAGSTACK_CORS_ORIGINS: 'shop.example' },
      [
        /LOG_LEVEL="loud": must be one of: "fatal", "error", "warn", "info", "debug", "trace", "silent"/,
        /FLAGSTACK_ADMIN_TOKEN=\(not shown\): must NOT have fewer than 16 characters/,
        /PORT="eighty": must be an integer from 0 to 65535/,
        /FLAGSTACK_CORS_ORIGINS="shop.example": must look like "\*" or "https:\/\/shop.example"/,
      ],
    ],
    [
      'a host that is not this machine',
      { HOST: '192.0.2.123', PORT: '0' },
      [/^flagstack: HOST=192\.0\.2\.123 is not an address of this machine/m],
    ],
    [
      'a host that does not resolve',
      { HOST: 'no-such-host.invalid', PORT: '0' },
      [/^flagstack: HOST=no-such-host\.invalid does not resolve/m],
    ],
    [
      'headers given longer than the whole request',
      { FLAGSTACK_HEADERS_TIMEOUT_MS: '40000' },
      [/FLAGSTACK_HEADERS_TIMEOUT_MS: must not exceed FLAGSTACK_REQUEST_TIMEOUT_MS/],
    ],
  ])('%s', async (_name, env, messages) => {
    const { code, output } = await runToExit({ FLAGSTACK_DATA_DIR: join(dataDir, 'mistakes'), ...env });
    expect(code).toBe(2);
    for (const message of messages) expect(output).toMatch(message);
    expect(output).not.toContain('short-secret');
    expect(output).not.toMatch(/^\s+at /m);
  });

  test('a port in use', async () => {
    const running = await startBundle({ cwd: dataDir, env: { NODE_PATH, FLAGSTACK_DATA_DIR: join(dataDir, 'port-a') } });
    try {
      const port = new URL(running.url).port;
      const { code, output } = await runToExit({ PORT: port, FLAGSTACK_DATA_DIR: join(dataDir, 'port-b') });
      expect(code).toBe(2);
      expect(output).toMatch(
        new RegExp(`^flagstack: port ${port} is in use on 127\\.0\\.0\\.1 by another process; stop it or set PORT$`, 'm'),
      );
      expect(output).not.toMatch(/^\s+at /m);
      // Started without FLAGSTACK_ADMIN_TOKEN and with no token stored: it says how to get one.
      expect(running.output()).toMatch(/No admin token exists, so nobody can use the admin API: restart with FLAGSTACK_ADMIN_TOKEN/);
    } finally {
      await running.stop();
    }
  });
});
