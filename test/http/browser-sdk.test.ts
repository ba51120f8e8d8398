/**
 * The published browser SDK (npm `flagsmith`, unchanged: its UMD build sets window.flagsmith) in
 * headless Chromium, on a page served from another origin than the service's, as on a customer's site:
 * it can read environment flags, identify a user with a trait, get the segment override that trait
 * earns and have the trait stored, because the service answers CORS. The same page against a service
 * that allows only another origin reads nothing: the first test depends on CORS, not on luck; and it
 * reads its flags again once FLAGSTACK_CORS_ORIGINS lists its origin.
 *
 * Locally the tests are skipped, with a message, when Chromium is missing; in CI (CI=true) a missing
 * Chromium fails (as test/cost/html.test.ts). Nothing leaves the machine: both origins are loopback
 * ports and every request the page makes is recorded and checked.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!available && !inCi)
  console.warn(`Skipping the browser SDK tests: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM=/path/to/chromium).`);
const withChromium = available || inCi ? test : test.skip;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OTHER_ORIGIN = 'https://not-this-page.example';
/** The identity the page identifies, with a trait that puts it in the 'seniors' segment below. */
const USER = 'browser-user-1';
const USER_AGE = 70;

// Values the page cannot know but from the service: made up for this run, never in the page.
const nonce = Math.random().toString(36).slice(2, 10);
const ENV_GREETING = `env-greeting-${nonce}`;
const SENIOR_GREETING = `senior-greeting-${nonce}`;

/**
 * The page: the SDK's browser build from the page's own origin, and one function the test calls. It
 * reports what the SDK's public API returns (getAllFlags, getValue, hasFeature, getTrait), whether
 * init and identify resolved, and what onError and onChange saw.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>flagstack browser SDK</title>
<script src="/flagsmith.js"></script>
<script>
window.runFlagsmith = async function (api, environmentID) {
  var message = function (e) { return e && e.message !== undefined ? String(e.message) : String(e); };
  var result = { errors: [], sources: [] };
  var read = function () {
    return {
      all: JSON.parse(JSON.stringify(flagsmith.getAllFlags() || {})),
      greeting: flagsmith.getValue('browser_greeting'),
      banner: flagsmith.getValue('banner', { fallback: 'fallback banner' }),
      maxItems: flagsmith.getValue('max_items', { fallback: -1 }),
      newUi: flagsmith.hasFeature('new_ui'),
      darkMode: flagsmith.hasFeature('dark_mode'),
    };
  };
  try {
    await flagsmith.init({
      environmentID: environmentID,
      api: api,
      cacheFlags: false,
      applicationMetadata: { name: 'flagstack-browser-test', version: '1.2.3' },
      enableAnalytics: false,
      onError: function (e) { result.errors.push(message(e)); },
      onChange: function (_old, _params, state) { result.sources.push(state && state.source); },
    });
    result.init = 'resolved';
  } catch (e) {
    result.init = 'rejected: ' + message(e);
  }
  result.environment = read();
  try {
    await flagsmith.identify(${JSON.stringify(USER)}, { age: ${USER_AGE} });
    result.identify = 'resolved';
  } catch (e) {
    result.identify = 'rejected: ' + message(e);
  }
  result.identity = read();
  result.identity.age = flagsmith.getTrait('age') === undefined ? 'undefined' : flagsmith.getTrait('age');
  result.identifier = flagsmith.identity === undefined ? 'undefined' : flagsmith.identity;
  return result;
};
</script>
</head><body>flagstack browser SDK test page</body></html>`;

interface PageResult {
  init: string;
  identify: string;
  errors: string[];
  sources: string[];
  environment: Snapshot;
  identity: Snapshot & { age: unknown };
  identifier: unknown;
}
interface Snapshot {
  all: Record<string, { id: number; enabled: boolean; value: unknown }>;
  greeting: unknown;
  banner: unknown;
  maxItems: unknown;
  newUi: boolean;
  darkMode: boolean;
}

/** The other origin: serves the page and the SDK's browser build, nothing else; records what it served. */
interface PageServer {
  readonly origin: string;
  readonly served: string[];
  close(): Promise<void>;
}

async function startPageServer(): Promise<PageServer> {
  const sdk = fs.readFileSync(require.resolve('flagsmith'));
  const served: string[] = [];
  const server = http.createServer((request, response) => {
    served.push(`${request.method} ${request.url}`);
    if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
    else if (request.url === '/flagsmith.js') response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(sdk);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Seeds the environment: seed.ts's, plus a feature whose values exist only for this run. */
async function seed(svc: TestService): Promise<SeededEnvironment & { greetingId: number }> {
  const seeded = await seedEnvironment(svc, `browser_client_key_${nonce}`);
  const must = async <T = any>(call: Promise<{ status: number; body: T }>): Promise<T> => {
    const { status, body } = await call;
    if (status >= 300) throw new Error(`admin call failed with ${status}: ${JSON.stringify(body)}`);
    return body;
  };
  const greeting = await must(
    svc.admin('POST', `/projects/${seeded.projectId}/features`, {
      name: 'browser_greeting',
      default_enabled: true,
      initial_value: ENV_GREETING,
    }),
  );
  const seniors = await must(
    svc.admin('POST', `/projects/${seeded.projectId}/segments`, {
      name: 'seniors',
      rules: [
        {
          type: 'ALL',
          conditions: [],
          rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'GREATER_THAN_INCLUSIVE', property_: 'age', value: '65' }] }],
        },
      ],
    }),
  );
  await must(
    svc.admin('POST', `/environments/${seeded.clientKey}/segment-overrides`, {
      feature: 'browser_greeting',
      segment_id: seniors.id,
      enabled: true,
      value: SENIOR_GREETING,
    }),
  );
  return { ...seeded, greetingId: greeting.id };
}

/** `flagstack_http_requests_total` by "METHOD route status", from the service's /metrics. */
async function requestCounts(svc: TestService): Promise<Record<string, number>> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, labels, value] of text.matchAll(/^flagstack_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];
    if (label('route') === '/metrics') continue; // the scrapes themselves
    counts[`${label('method')} ${label('route')} ${label('status')}`] = Number(value);
  }
  return counts;
}
/** What the service answered in between: counts by "METHOD route status"; preflights as "OPTIONS <status>", whatever their route label. */
const increase = (before: Record<string, number>, after: Record<string, number>) => {
  const served: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) {
    if (n === (before[key] ?? 0)) continue;
    const name = key.startsWith('OPTIONS ') ? key.replace(/ .* /, ' ') : key;
    served[name] = (served[name] ?? 0) + n - (before[key] ?? 0);
  }
  return served;
};

/** A CORS preflight as a browser sends it, from Node. */
const preflight = (svc: TestService, origin: string, requestPath = '/api/v1/identities/') =>
  fetch(`${svc.url}${requestPath}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-environment-key,flagsmith-sdk-user-agent',
    },
  });
const headerList = (value: string | null) =>
  (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

// ---- lifecycle: everything started is stopped in afterAll, even when a test fails half-way ----

const cleanups: Array<() => Promise<unknown>> = [];
let context: BrowserContext | undefined;
let pageServer: PageServer | undefined;

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('cleanup failed:', error));
});

async function service(env: Record<string, string> = {}): Promise<TestService> {
  const svc = await startTestService(env);
  cleanups.push(() => svc.stop());
  return svc;
}

/** The shared browser (a fresh profile: no cache, no storage, no preflight cache) and page server, started on first use. */
async function browserAndPageServer(): Promise<{ context: BrowserContext; pageServer: PageServer }> {
  if (!available) throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium package (.ci/run installs it)`);
  if (!pageServer) {
    pageServer = await startPageServer();
    const started = pageServer;
    cleanups.push(() => started.close());
  }
  if (!context) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-browser-sdk-'));
    cleanups.push(async () => fs.rmSync(profile, { recursive: true, force: true }));
    const started = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    context = started;
    cleanups.push(() => started.close());
  }
  return { context, pageServer };
}

interface Visit {
  result: PageResult;
  /** Every request the page made, as "METHOD url". */
  requests: string[];
  /** Responses from the service the page received: "METHOD path status". */
  serviceResponses: string[];
  /** The names of the non-standard headers the page sent the service, by "METHOD path". */
  sentHeaders: Record<string, string[]>;
  console: string[];
}

/** Opens the page on its own origin (in a fresh page), runs the SDK against `svc`, closes the page. */
async function visit(svc: TestService, clientKey: string): Promise<Visit> {
  const { context, pageServer } = await browserAndPageServer();
  const page: Page = await context.newPage();
  const requests: string[] = [];
  const serviceResponses: string[] = [];
  const consoleLines: string[] = [];
  page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
  const sentHeaders: Record<string, string[]> = {};
  const reading: Array<Promise<void>> = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(`${svc.url}/`)) return;
    const request = `${response.request().method()} ${new URL(response.url()).pathname}`;
    serviceResponses.push(`${request} ${response.status()}`);
    reading.push(
      response
        .request()
        .allHeaders()
        .then((headers) => {
          sentHeaders[request] = Object.keys(headers)
            .map((name) => name.toLowerCase())
            .filter((name) => /^(x-|flagsmith-|content-type$)/.test(name))
            .sort();
        }),
    );
  });
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  try {
    await page.goto(`${pageServer.origin}/`, { waitUntil: 'load', timeout: 10_000 });
    expect(await page.evaluate('location.origin')).toBe(pageServer.origin);
    expect(pageServer.origin).not.toBe(svc.url);
    // The tests share the page's origin: nothing an earlier visit stored may answer for the service.
    await page.evaluate('localStorage.clear()');
    const result = (await page.evaluate(
      ([api, key]) => (globalThis as any).runFlagsmith(api, key),
      [`${svc.url}/api/v1/`, clientKey],
    )) as PageResult;
    await Promise.all(reading);
    return { result, requests, serviceResponses, sentHeaders, console: consoleLines };
  } finally {
    await page.close();
  }
}

// ---- the tests ----

withChromium(
  'the browser SDK on another origin reads environment and identity flags, and stores the trait, through CORS',
  async () => {
    const {
      pageServer: { origin },
    } = await browserAndPageServer();
    const svc = await service();
    const seeded = await seed(svc);

    // At the HTTP level first: the preflight the SDK's identify needs.
    const answer = await preflight(svc, origin);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(headerList(answer.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['post']));
    expect(headerList(answer.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['content-type', 'x-environment-key', 'flagsmith-sdk-user-agent']),
    );
    // Nothing stored for the user yet.
    expect((await svc.admin('GET', `/environments/${seeded.clientKey}/identities/${USER}`)).status).toBe(404);

    const before = await requestCounts(svc);
    const { result, requests, serviceResponses, sentHeaders, console: consoleLines } = await visit(svc, seeded.clientKey);
    const after = await requestCounts(svc);

    expect({ init: result.init, identify: result.identify, errors: result.errors, console: consoleLines }).toEqual({
      init: 'resolved',
      identify: 'resolved',
      errors: [],
      console: [],
    });
    expect(result.sources).toEqual(['SERVER', 'SERVER']);

    // Environment flags: every flag a client key sees (not the server-only one), exactly.
    const id = seeded.featureIds;
    expect(result.environment.all).toEqual({
      banner: { id: id.banner, enabled: true, value: 'hello' },
      max_items: { id: id.max_items, enabled: true, value: 10 },
      ratio: { id: id.ratio, enabled: false, value: 0.5 },
      dark_mode: { id: id.dark_mode, enabled: false, value: true },
      checkout: { id: id.checkout, enabled: true, value: 'control' },
      new_ui: { id: id.new_ui, enabled: true, value: null },
      theme: { id: id.theme, enabled: true, value: '{"primary": "#0a7", "dense": false}' },
      browser_greeting: { id: seeded.greetingId, enabled: true, value: ENV_GREETING },
    });
    expect(result.environment).toMatchObject({ greeting: ENV_GREETING, banner: 'hello', maxItems: 10, newUi: true, darkMode: false });

    // The identity's flags: the trait puts it in 'seniors' (age >= 65) and in 'adults' (age >= 18).
    expect(result.identifier).toBe(USER);
    expect(result.identity).toMatchObject({
      greeting: SENIOR_GREETING,
      banner: 'adult banner',
      maxItems: 10,
      newUi: false,
      darkMode: false,
      age: USER_AGE,
    });
    expect(result.identity.all.browser_greeting).toEqual({ id: seeded.greetingId, enabled: true, value: SENIOR_GREETING });
    expect(result.identity.all.banner).toEqual({ id: id.banner, enabled: true, value: 'adult banner' });
    expect(result.identity.all.new_ui).toEqual({ id: id.new_ui, enabled: false, value: null });
    expect(Object.keys(result.identity.all).sort()).toEqual(Object.keys(result.environment.all).sort());

    // The trait is stored: the admin API has it, and the SDK endpoint evaluates it without being sent it.
    const stored = await svc.admin('GET', `/environments/${seeded.clientKey}/identities/${USER}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ identifier: USER, traits: { age: USER_AGE } });
    const again = await svc.call('GET', `/api/v1/identities/?identifier=${USER}`, { headers: { 'x-environment-key': seeded.clientKey } });
    expect(again.body.flags.find((f: any) => f.feature.name === 'browser_greeting').feature_state_value).toBe(SENIOR_GREETING);

    // Over the network, not from a cache: the page asked the service twice and got two 200s, the
    // service answered them (and the preflights the custom headers need), and the page's origin served
    // only the page and the SDK. No request left the two loopback origins.
    expect(serviceResponses).toEqual(['GET /api/v1/flags/ 200', 'POST /api/v1/identities/ 200']);
    // (One preflight per URL: the SDK's custom headers need one even for the GET, and the profile is fresh.)
    expect(increase(before, after)).toEqual({ 'GET /api/v1/flags/ 200': 1, 'POST /api/v1/identities/ 200': 1, 'OPTIONS 204': 2 });
    expect(pageServer?.served).toEqual(expect.arrayContaining(['GET /', 'GET /flagsmith.js']));
    expect(
      requests.filter(
        (r) => !r.startsWith(`GET ${pageServer?.origin}/`) && !r.startsWith(`GET ${svc.url}/`) && !r.startsWith(`POST ${svc.url}/`),
      ),
    ).toEqual([]);
    // The headers the service's CORS rules had to allow, as the SDK really sent them.
    const sdkHeaders = ['flagsmith-application-name', 'flagsmith-application-version', 'flagsmith-sdk-user-agent', 'x-environment-key'];
    expect(sentHeaders).toEqual({ 'GET /api/v1/flags/': sdkHeaders, 'POST /api/v1/identities/': ['content-type', ...sdkHeaders] });
  },
  60_000,
);

withChromium(
  'the same page reads nothing when the service allows only another origin',
  async () => {
    const {
      pageServer: { origin },
    } = await browserAndPageServer();
    const svc = await service({ FLAGSTACK_CORS_ORIGINS: OTHER_ORIGIN });
    const seeded = await seed(svc);

    // The service answers the flags to anyone with the key; it only withholds CORS from this page.
    const direct = await svc.call('GET', '/api/v1/flags/', { headers: { 'x-environment-key': seeded.clientKey } });
    expect(direct.status).toBe(200);
    expect(direct.body.map((f: any) => f.feature.name)).toContain('browser_greeting');
    expect((await preflight(svc, OTHER_ORIGIN)).headers.get('access-control-allow-origin')).toBe(OTHER_ORIGIN);
    const refused = await preflight(svc, origin);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const before = await requestCounts(svc);
    const { result, serviceResponses, console: consoleLines } = await visit(svc, seeded.clientKey);
    const after = await requestCounts(svc);

    expect(result.init).toMatch(/^rejected/);
    expect(result.identify).toMatch(/^rejected/);
    // init's onError: the SDK's XMLHttpRequest failed (SDK 10.0.0 passes on the ProgressEvent).
    expect(result.errors).toEqual([expect.stringContaining('ProgressEvent')]);
    expect(result.sources).toEqual([]);
    expect(result.environment).toEqual({ all: {}, greeting: null, banner: 'fallback banner', maxItems: -1, newUi: false, darkMode: false });
    expect(result.identity).toMatchObject({ all: {}, greeting: null, banner: 'fallback banner', maxItems: -1, newUi: false });
    // Chromium says why: CORS, for both the flags and the identity.
    const blocked = consoleLines.filter((line) => /blocked by CORS policy/.test(line));
    expect(blocked.some((line) => line.includes(`${svc.url}/api/v1/flags/`) && line.includes(`origin '${origin}'`))).toBe(true);
    expect(blocked.some((line) => line.includes(`${svc.url}/api/v1/identities/`))).toBe(true);
    expect(serviceResponses).toEqual([]);

    // The browser stopped at the preflights: the service saw them, and never the requests themselves.
    expect(increase(before, after)).toEqual({ 'OPTIONS 204': 2 });
    expect((await svc.admin('GET', `/environments/${seeded.clientKey}/identities/${USER}`)).status).toBe(404);
  },
  60_000,
);

withChromium(
  'the same page reads its flags again once the list names its origin',
  async () => {
    const {
      pageServer: { origin },
    } = await browserAndPageServer();
    const svc = await service({ FLAGSTACK_CORS_ORIGINS: `${OTHER_ORIGIN}, ${origin}` });
    const seeded = await seed(svc);
    const answer = await preflight(svc, origin);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    expect(headerList(answer.headers.get('vary'))).toContain('origin');

    const { result, serviceResponses, console: consoleLines } = await visit(svc, seeded.clientKey);
    expect({ init: result.init, identify: result.identify, errors: result.errors, console: consoleLines }).toEqual({
      init: 'resolved',
      identify: 'resolved',
      errors: [],
      console: [],
    });
    expect(result.environment).toMatchObject({ greeting: ENV_GREETING, banner: 'hello' });
    expect(result.identity).toMatchObject({ greeting: SENIOR_GREETING, banner: 'adult banner', age: USER_AGE });
    expect(serviceResponses).toEqual(['GET /api/v1/flags/ 200', 'POST /api/v1/identities/ 200']);
  },
  60_000,
);
