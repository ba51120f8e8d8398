/**
 * `npm run bench`: the bundled service on loopback (PostgreSQL when DATABASE_URL is set, PGlite
 * otherwise), seeded with the benchmark environment and 10,000 identities, driven by autocannon, and
 * in the same run a bare node:http server answering a body of the same size (the baseline); with
 * --peers, unleash-server on the same PostgreSQL. Prints a table; --json writes the results.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Table from 'cli-table3';
import { Client } from 'pg';
import { benchmarkEngine } from './engine';
import { HOSTILE_SCENARIO, HOSTILE_TURNS, hostileRows, measureHostile, type HostileResult } from './hostile';
import { checkTargets } from './targets';
import { benchmarkDocument, FEATURES, traitList, traitsOf } from './workload';

const ROOT = join(__dirname, '..', '..');
const IDENTITIES = 10_000;

/** Every scenario, in the order a run measures them; `--only TEXT` picks those whose name contains TEXT. */
const SCENARIOS = {
  flags: 'GET /api/v1/flags/',
  identities: 'POST /api/v1/identities/ (3 traits)',
  ofrep: 'POST /ofrep/v1/evaluate/flags',
  document: 'GET /api/v1/environment-document/',
  hostile: HOSTILE_SCENARIO,
} as const;

const options = parseOptions();
function parseOptions() {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '1' },
        connections: { type: 'string', default: '50' },
        json: { type: 'string' },
        peers: { type: 'boolean', default: false },
        only: { type: 'string' },
        profile: { type: 'string' },
        'memory-mb': { type: 'string', default: '1024' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    // An unknown option or one without its value: node:util's message names it.
    fail(`${(error as Error).message} (npm run bench -- --help lists the options)`);
  }
}
if (options.help) {
  console.log(`npm run bench -- [--duration SECONDS] [--warmup SECONDS] [--connections N] [--json FILE] [--peers] [--only TEXT] [--profile DIR]

  --duration     seconds per scenario (default 10)
  --warmup       unmeasured seconds of the same load on each side before a scenario's turns (default 1)
  --connections  concurrent connections (default 50)
  --json FILE    also write the results as JSON
  --peers        also measure unleash-server (needs DATABASE_URL; installs bench/peers on first use)
  --only TEXT    measure only the scenarios whose name contains TEXT (e.g. flags, identities, ofrep, hostile)
  --profile DIR  run the service with --cpu-prof and write its CPU profile to DIR (open in Chrome DevTools)
  --memory-mb MB size the service's V8 heap as Node does on a machine with this much memory, 512–4096
                 (default 1024: the autoscaled stage's t4g.micro, the fargate stage's default task); 0: this machine's memory

Scenarios: ${Object.values(SCENARIOS).join('; ')}.
The hostile one drives identity requests at full load while an attacker with the same client key
sends 1% of the requests with trait values made for catastrophic regex backtracking (10,000
characters through OFREP, or the longest it accepts; 2,000 through the SDK route) against five REGEX
segments; ${HOSTILE_TURNS} turns each way of half the duration, alternating, and the service's longest
event-loop delay in each turn (its /metrics before and after). A service that stops answering is
killed and started again (a CPU profile of a killed one is lost).`);
  process.exit(0);
}
const duration = Number(options.duration);
const connections = Number(options.connections);
if (!Number.isFinite(duration) || duration <= 0) fail(`--duration must be a positive number of seconds, not '${options.duration}'`);
if (!Number.isInteger(connections) || connections <= 0) fail(`--connections must be a positive integer, not '${options.connections}'`);
// Whole seconds, as autocannon counts them.
if (!/^\d+$/.test(options.warmup!)) fail(`--warmup must be a whole number of seconds, 0 or more, not '${options.warmup}'`);
const warmupSeconds = Number(options.warmup);
const memoryMb = Number(options['memory-mb']);
// The sizing below was checked against Node in memory cgroups from 512 MiB to 4 GiB, and only there.
if (!Number.isInteger(memoryMb) || (memoryMb !== 0 && (memoryMb < 512 || memoryMb > 4096))) {
  fail(`--memory-mb must be 0 (this machine's) or a whole number of megabytes from 512 to 4096, not '${options['memory-mb']}'`);
}
// Each side of a scenario runs in two turns of whole seconds (autocannon counts whole seconds).
const turnSeconds = Math.max(1, Math.round(duration / 2));
if (options.peers && !process.env.DATABASE_URL) fail('--peers needs DATABASE_URL: unleash-server runs on PostgreSQL');
const selectedNames: readonly string[] = Object.values(SCENARIOS).filter(
  (name) => options.only === undefined || name.includes(options.only),
);
if (selectedNames.length === 0) fail(`--only '${options.only}' matches no scenario (${Object.values(SCENARIOS).join('; ')})`);

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Response bytes per request, headers included. */
  bytes: number;
  /** CPU time (user + system) the server process spent per request: contention-proof, unlike req/s. */
  cpuMicrosPerRequest: number;
  /** CPU time the local PostgreSQL server's processes spent per request (0 with PGlite, which runs in the service). */
  databaseCpuMicrosPerRequest: number;
}

interface Scenario {
  name: string;
  service: Load;
  baseline: Load;
  ratioToBaseline: number;
  ratioToPeer?: number;
  peer?: string;
}

/** Starts a child process that prints a JSON line with its address; resolves with the parsed line. */
function startChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  cwd?: string,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${output}`)));
  });
}

/**
 * The heap limits Node 20 gives itself on a machine (or in a container) with `memoryMb` of memory:
 * old space half of it, each of the two semi-spaces 1/128 of that (1/256 up to 256 MB), between 1 and
 * 16 MB. Checked in memory cgroups of 512 MiB to 4 GiB: the same heap_size_limit either way. V8 lets
 * the heap grow further past its live data the larger the limit, so on a machine with far more memory
 * than a production instance the service would measure a lazier heap than it runs with in production.
 */
function heapFlagsFor(memoryMb: number): string[] {
  const oldSpaceMb = Math.floor(memoryMb / 2);
  const semiSpaceMb = Math.min(16, Math.max(1, Math.floor(oldSpaceMb / (oldSpaceMb <= 256 ? 256 : 128))));
  return [`--max-old-space-size=${oldSpaceMb}`, `--max-semi-space-size=${semiSpaceMb}`];
}

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) fail(`the service exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail('the service did not become ready within 60 s');
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs` (a stalled event loop never runs a SIGTERM handler). */
async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** CPU time a process has used so far (utime + stime from /proc), in microseconds. */
function cpuMicros(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15, in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}
/** CPU time of every local PostgreSQL process (postmaster and backends) so far, by process id, in microseconds. */
function postgresCpuMicros(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') byPid.set(Number(entry), cpuMicros(Number(entry)));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byPid;
}
/**
 * CPU time PostgreSQL spent between two readings: what each process still running used since the
 * first (or since it started). A backend that ended in between is left out rather than subtracted.
 */
function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, micros] of postgresCpuMicros()) total += micros - (before.get(pid) ?? 0);
  return total;
}
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** Peak resident set size of a process (VmHWM), in MB. */
const peakRssMb = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Drives `url` with autocannon for `seconds`; `database` when the server under load uses the local
 * PostgreSQL (whose processes' CPU is then counted; otherwise nothing is, and the figure is 0).
 */
async function load(
  url: string,
  request: { method?: string; headers?: Record<string, string>; body?: () => string },
  serverPid: number,
  { seconds = duration, database = false } = {},
): Promise<Load> {
  const cpuBefore = cpuMicros(serverPid);
  const databaseCpuBefore = database ? postgresCpuMicros() : undefined;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: (request.method ?? 'GET') as 'GET' | 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    requests: request.body ? [{ setupRequest: (req: any) => ({ ...req, body: request.body!() }) }] : undefined,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    bytes: result.throughput.average / Math.max(result.requests.average, 1),
    cpuMicrosPerRequest: (cpuMicros(serverPid) - cpuBefore) / Math.max(result.requests.total, 1),
    databaseCpuMicrosPerRequest: databaseCpuBefore ? postgresCpuSince(databaseCpuBefore) / Math.max(result.requests.total, 1) : 0,
  };
}

/** A fresh database on the PostgreSQL server of DATABASE_URL for the duration of `work`, then dropped. */
async function withPostgresDatabase<T>(purpose: string, work: (url: string) => Promise<T>): Promise<T> {
  const base = process.env.DATABASE_URL!;
  const name = `${purpose}_${Date.now()}`;
  const run = async (sql: string) => {
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(sql);
    await admin.end();
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function withDatabase<T>(work: (databaseUrl: string | undefined, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagstack-bench-'));
  try {
    return process.env.DATABASE_URL
      ? await withPostgresDatabase('flagstack_bench', (url) => work(url, dataDir))
      : await work(undefined, dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function seed(url: string, token: string, clientKey: string): Promise<string> {
  const admin = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${url}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`seeding ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<any>;
  };
  await admin('PUT', `/environments/${clientKey}/document`, benchmarkDocument(clientKey));
  const { key: serverKey } = await admin('POST', `/environments/${clientKey}/server-keys`, { name: 'bench' });
  // 10,000 identities with three traits each, through the SDK endpoint, 50 at a time.
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < IDENTITIES) {
        const n = next++;
        const traits = traitList(n);
        const response = await fetch(`${url}/api/v1/identities/`, {
          method: 'POST',
          headers: { 'X-Environment-Key': clientKey, 'content-type': 'application/json' },
          body: JSON.stringify({ identifier: `user-${n}`, traits }),
        });
        if (response.status !== 200) throw new Error(`seeding identity ${n}: ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  return serverKey;
}

/** The mean body size of a few of the scenario's responses (headers not counted), for the baseline to match. */
async function bodyBytes(url: string, request: Parameters<typeof load>[1]): Promise<number> {
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const response = await fetch(url, {
      method: request.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body?.(),
    });
    total += (await response.arrayBuffer()).byteLength;
  }
  return total / 5;
}

/** Loads of equal length, as one: mean rates, CPU per request weighted by requests, the worse percentiles. */
function combined(loads: readonly Load[]): Load {
  const rps = loads.reduce((sum, l) => sum + l.rps, 0) / loads.length;
  const perRequest = (pick: (l: Load) => number) => loads.reduce((sum, l) => sum + pick(l) * l.rps, 0) / Math.max(rps * loads.length, 1);
  return {
    rps,
    p50: Math.max(...loads.map((l) => l.p50)),
    p99: Math.max(...loads.map((l) => l.p99)),
    errors: loads.reduce((sum, l) => sum + l.errors, 0),
    bytes: perRequest((l) => l.bytes),
    cpuMicrosPerRequest: perRequest((l) => l.cpuMicrosPerRequest),
    databaseCpuMicrosPerRequest: perRequest((l) => l.databaseCpuMicrosPerRequest),
  };
}

/**
 * The service and the baseline (a body of the same size) under the same load, in turns: half the
 * duration each, twice. Whatever else the machine does meanwhile then weighs on both sides of the
 * ratio, which one stretch each, one after the other, does not guarantee (seen: a baseline stretch at
 * less than half its usual rate). Each side first takes the load unmeasured for --warmup seconds:
 * the service's JIT compiles a route's code during its first second or so under load (its first
 * turn measured 1–6% more CPU per request than its second without a warm-up, on OFREP bulk).
 */
async function measureWithBaseline(
  serviceUrl: string,
  request: Parameters<typeof load>[1],
  servicePid: number,
): Promise<{ service: Load; baseline: Load }> {
  const bodySize = await bodyBytes(serviceUrl, request);
  const { child, match } = await startChild(
    process.execPath,
    [join(__dirname, 'baseline-server.js'), String(Math.round(bodySize))],
    process.env,
    /\{"port":(\d+)\}/,
  );
  try {
    if (warmupSeconds > 0) {
      await load(serviceUrl, request, servicePid, { seconds: warmupSeconds });
      await load(`http://127.0.0.1:${match[1]}/`, request, child.pid!, { seconds: warmupSeconds });
    }
    const [service, baseline]: Load[][] = [[], []];
    for (let turn = 0; turn < 2; turn++) {
      service.push(await load(serviceUrl, request, servicePid, { seconds: turnSeconds, database: Boolean(process.env.DATABASE_URL) }));
      baseline.push(await load(`http://127.0.0.1:${match[1]}/`, request, child.pid!, { seconds: turnSeconds }));
    }
    return { service: combined(service), baseline: combined(baseline) };
  } finally {
    await stopChild(child);
  }
}

/** unleash-server on the same PostgreSQL server (its own database), with the same 50 flags. */
async function measurePeer(): Promise<Record<string, Load>> {
  return withPostgresDatabase('unleash_bench', measureUnleash);
}

async function measureUnleash(databaseUrl: string): Promise<Record<string, Load>> {
  const peersDir = join(ROOT, 'bench', 'peers');
  if (!existsSync(join(peersDir, 'node_modules', 'unleash-server'))) {
    console.log('Installing bench/peers (unleash-server) once…');
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: peersDir, stdio: 'inherit' });
    if (installed.status !== 0) fail('could not install bench/peers; see the npm output above');
  }
  const port = await freePort();
  const { child } = await startChild(
    process.execPath,
    ['start-unleash.js', databaseUrl, String(port)],
    process.env,
    /\{"port":\d+\}/,
    peersDir,
  );
  const api = `http://127.0.0.1:${port}`;
  try {
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(api + path, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`unleash ${path}: ${response.status} ${await response.text()}`);
    };
    for (let i = 1; i <= FEATURES; i++) {
      await admin('POST', '/api/admin/projects/default/features', { name: `feature_${i}` });
      for (const environment of ['development', 'default']) {
        await admin('POST', `/api/admin/projects/default/features/feature_${i}/environments/${environment}/on`).catch(() => undefined);
      }
    }
    return {
      client: await load(`${api}/api/client/features`, {}, child.pid!, { database: true }),
      frontend: await load(`${api}/api/frontend?userId=user-1`, {}, child.pid!, { database: true }),
    };
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<void> {
  const token = randomBytes(24).toString('base64url');
  const clientKey = 'bench_client_key';
  await withDatabase(async (databaseUrl, dataDir) => {
    console.log(`Starting the bundled service on ${databaseUrl ? 'PostgreSQL' : 'PGlite'}…`);
    const port = await freePort();
    const profiling = options.profile ? ['--cpu-prof', '--cpu-prof-dir', options.profile] : [];
    const heapLimit = memoryMb > 0 ? heapFlagsFor(memoryMb) : [];
    const url = `http://127.0.0.1:${port}`;
    const startService = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [...heapLimit, ...profiling, join(ROOT, 'dist', 'service', 'server.js')], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          FLAGSTACK_ADMIN_TOKEN: token,
          FLAGSTACK_DATA_DIR: dataDir,
          // Per-request info logs would measure the log pipe, not the service.
          LOG_LEVEL: 'warn',
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        },
      });
      await waitUntilReady(url, child);
      return child;
    };
    let service = await startService();
    // The hostile scenario may replace the service; the peak RSS is the highest of every process's.
    let earlierPeakRssMb = 0;
    const restartService = async () => {
      earlierPeakRssMb = Math.max(earlierPeakRssMb, peakRssMb(service.pid!));
      await stopChild(service, 0);
      service = await startService();
    };
    try {
      console.log(`Seeding ${FEATURES} features, 10 segments, ${IDENTITIES} identities…`);
      const serverKey = await seed(url, token, clientKey);
      console.log(`peak RSS after seeding: ${peakRssMb(service.pid!).toFixed(0)} MB`);
      let identityCounter = 0;
      // The identity scenario's requests, which the hostile scenario sends as its honest load too.
      const identityRequest = {
        method: 'POST',
        headers: { 'X-Environment-Key': clientKey },
        // Half returning identities (stored traits), half new ones.
        body: () => {
          const n = identityCounter++;
          const identifier = n % 2 === 0 ? `user-${n % IDENTITIES}` : `new-${n}`;
          const traits = traitList(n);
          return JSON.stringify({ identifier, traits });
        },
      };
      const requests: Array<{ name: string; path: string; request: Parameters<typeof load>[1] }> = [
        { name: SCENARIOS.flags, path: '/api/v1/flags/', request: { headers: { 'X-Environment-Key': clientKey } } },
        { name: SCENARIOS.identities, path: '/api/v1/identities/', request: identityRequest },
        {
          name: SCENARIOS.ofrep,
          path: '/ofrep/v1/evaluate/flags',
          request: {
            method: 'POST',
            headers: { 'X-API-Key': clientKey },
            body: () => {
              const n = identityCounter++;
              return JSON.stringify({ context: { targetingKey: `user-${n % IDENTITIES}`, ...traitsOf(n) } });
            },
          },
        },
        { name: SCENARIOS.document, path: '/api/v1/environment-document/', request: { headers: { 'X-Environment-Key': serverKey } } },
      ];

      const scenarios: Scenario[] = [];
      for (const { name, path, request } of requests.filter((r) => selectedNames.includes(r.name))) {
        console.log(`Measuring ${name} and the baseline, ${2 * turnSeconds} s each in two turns…`);
        const { service: measured, baseline } = await measureWithBaseline(url + path, request, service.pid!);
        // A ratio over failed requests would measure error responses.
        if (measured.errors > 0 || baseline.errors > 0)
          fail(`${name}: ${measured.errors} errors from the service, ${baseline.errors} from the baseline`);
        scenarios.push({ name, service: measured, baseline, ratioToBaseline: measured.rps / baseline.rps });
        console.log(`peak RSS so far: ${peakRssMb(service.pid!).toFixed(0)} MB`);
      }

      // Last: it adds segments to the environment, and may leave a service started again.
      let hostile: HostileResult | undefined;
      if (selectedNames.includes(SCENARIOS.hostile)) {
        console.log(`Measuring ${SCENARIOS.hostile}: ${HOSTILE_TURNS} turns of ${turnSeconds} s each way, alternating…`);
        hostile = await measureHostile({
          url,
          adminToken: token,
          clientKey,
          honest: identityRequest,
          connections,
          turnSeconds,
          warmupSeconds,
          restartService,
          log: (message) => console.log(message),
        });
        console.log(`peak RSS so far: ${Math.max(earlierPeakRssMb, peakRssMb(service.pid!)).toFixed(0)} MB`);
      }
      const rssMb = Math.max(earlierPeakRssMb, peakRssMb(service.pid!));

      console.log('Measuring the engine in process…');
      const engine = benchmarkEngine(duration * 1000);

      let peer: Record<string, Load> | undefined;
      if (options.peers) {
        console.log('Measuring unleash-server (peer)…');
        peer = await measurePeer();
        // Unleash's server-side SDK API against our flag list; its frontend API against OFREP bulk.
        const comparisons: Array<[string, string, Load]> = [
          ['/api/v1/flags/', 'unleash /api/client/features', peer.client],
          ['/ofrep/v1/evaluate/flags', 'unleash /api/frontend', peer.frontend],
        ];
        for (const [ours, theirs, load] of comparisons) {
          const scenario = scenarios.find((s) => s.name.includes(ours));
          if (load.errors > 0) fail(`${theirs}: ${load.errors} errors, so no ratio`);
          if (scenario) Object.assign(scenario, { peer: theirs, ratioToPeer: scenario.service.rps / load.rps });
        }
      }

      report({ database: databaseUrl ? 'postgres' : 'pglite', scenarios, hostile, engine, peakRssMb: rssMb, peer });
    } finally {
      await stopChild(service);
    }
  });
}

function report(result: {
  database: string;
  scenarios: Scenario[];
  hostile?: HostileResult;
  engine: ReturnType<typeof benchmarkEngine>;
  peakRssMb: number;
  peer?: Record<string, Load>;
}): void {
  const table = new Table({
    style: { head: [], border: [] }, // plain text: the output is often piped into notes
    head: ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', 'DB CPU µs/req', 'baseline req/s', '× baseline', '× peer'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const s of result.scenarios) {
    table.push([
      s.name,
      Math.round(s.service.rps).toLocaleString('en'),
      s.service.p50,
      s.service.p99,
      s.service.errors,
      `${s.service.cpuMicrosPerRequest.toFixed(0)} (${s.baseline.cpuMicrosPerRequest.toFixed(0)})`,
      s.service.databaseCpuMicrosPerRequest.toFixed(0),
      Math.round(s.baseline.rps).toLocaleString('en'),
      s.ratioToBaseline.toFixed(2),
      s.ratioToPeer === undefined ? '' : `${s.ratioToPeer.toFixed(1)} (${s.peer})`,
    ]);
  }
  if (result.peer) {
    for (const [name, peer] of Object.entries(result.peer)) {
      table.push([
        `peer: unleash ${name}`,
        Math.round(peer.rps).toLocaleString('en'),
        peer.p50,
        peer.p99,
        peer.errors,
        peer.cpuMicrosPerRequest.toFixed(0),
        peer.databaseCpuMicrosPerRequest.toFixed(0),
        '',
        '',
        '',
      ]);
    }
  }
  console.log(
    `\nflagstack on ${result.database}, ${connections} connections, ${2 * turnSeconds} s per scenario (and as long for its baseline) after ${warmupSeconds} s of warm-up on each side, node ${process.version}`,
  );
  if (result.scenarios.length > 0) console.log(table.toString());
  if (result.hostile) {
    const { rows, summary } = hostileRows(result.hostile);
    const hostileTable = new Table({
      style: { head: [], border: [] },
      head: [
        'turn (attacker)',
        'honest req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'attacker sent / answered (pace)',
        'longest event-loop delay ms',
      ],
      colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    hostileTable.push(...rows);
    console.log(`${result.hostile.name}: ${result.hostile.turnSeconds} s turns`);
    console.log(hostileTable.toString());
    for (const line of summary) console.log(line);
    console.log(
      "event-loop delay: prom-client's nodejs_eventloop_lag_max_seconds from the service's /metrics, read (and so reset) before and after each turn; " +
        'it measures the gap between ticks of a 10 ms timer, so an idle loop reads about 10 ms. ≥: a lower bound, the service having stopped answering',
    );
  }
  console.log(
    `engine: ${Math.round(result.engine.evaluationsPerSecond).toLocaleString('en')} identity evaluations/s on one core ` +
      `(${result.engine.microsecondsPerEvaluation.toFixed(1)} µs each, all ${FEATURES} flags)`,
  );
  console.log(
    'CPU µs/req: CPU time the server process spent per request (in brackets: the baseline server); DB CPU µs/req: the local PostgreSQL processes',
  );
  console.log(
    `service peak RSS: ${result.peakRssMb.toFixed(0)} MB (heap sized as on a ${memoryMb > 0 ? `${memoryMb} MB machine: ${heapFlagsFor(memoryMb).join(' ')}` : 'machine like this one'})`,
  );
  const targets = checkTargets(result);
  console.log(
    `targets (docs/performance.md)${result.database === 'pglite' ? "; on PGlite the embedded database's memory counts in the service's RSS" : ''}:`,
  );
  for (const { target, measured, met } of targets) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${target}: ${measured}`);
  if (options.json) {
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(
      options.json,
      // cpus: `npm run cost -- --bench FILE` turns requests a second into requests a second per vCPU.
      JSON.stringify(
        {
          measuredAt: new Date().toISOString(),
          node: process.version,
          cpus: availableParallelism(),
          connections,
          durationSeconds: 2 * turnSeconds,
          warmupSeconds,
          heapSizedForMemoryMb: memoryMb || null,
          ...result,
          targets,
        },
        null,
        2,
      ),
    );
    console.log(`results written to ${options.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
