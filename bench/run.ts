/**
 * `npm run bench`: the bundled service on loopback (PostgreSQL when DATABASE_URL is set, PGlite
 * otherwise), seeded with the benchmark environment and 10,000 identities, driven by autocannon, and
 * in the same run a bare node:http server answering a body of the same size (the baseline); with
 * --peers, unleash-server on the same PostgreSQL. Prints a table; --json writes the results.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Table from 'cli-table3';
import { Client } from 'pg';
import { benchmarkEdge, type EdgeResult } from './edge';
import { benchmarkEngine } from './engine';
import { HOSTILE_SCENARIO, HOSTILE_TURNS, hostileRows, measureHostile, type HostileResult } from './hostile';
import { checkTargets } from './targets';
import { DEFAULT_TURNS, MAX_TURNS, parseTurns, spreadOf, spreadsOverTurns, type Spread, type TurnSpreads } from './turns';
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
  edge: 'edge handler in process (flag list, identity)',
} as const;

const options = parseOptions();
function parseOptions() {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        turns: { type: 'string', default: String(DEFAULT_TURNS) },
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
  console.log(`npm run bench -- [--duration SECONDS] [--turns N] [--warmup SECONDS] [--connections N] [--json FILE] [--peers] [--only TEXT] [--profile DIR]

  --duration     seconds per scenario (default 10), and as long again for its baseline
  --turns        turns per scenario, alternating with the baseline (default ${DEFAULT_TURNS}), each --duration / N seconds
                 (at least 1); figures are the median over the turns, with their range
  --warmup       unmeasured seconds of the same load on each side before a scenario's turns (default 1), then a
                 second more at a time, up to 10, while the server's JIT is still compiling
  --connections  concurrent connections (default 50)
  --json FILE    also write the results as JSON
  --peers        also measure unleash-server (needs DATABASE_URL; installs bench/peers on first use)
  --only TEXT    measure only the scenarios whose name contains TEXT (e.g. flags, identities, ofrep, hostile, edge)
  --profile DIR  run the service with --cpu-prof and write its CPU profile to DIR (open in Chrome DevTools)
  --memory-mb MB size the service's V8 heap as Node does on a machine with this much memory, 512–4096
                 (default 1024: the autoscaled stage's t4g.micro, the fargate stage's default task); 0: this machine's memory

Scenarios: ${Object.values(SCENARIOS).join('; ')}.
The hostile one drives identity requests at full load while an attacker with the same client key
sends 1% of the requests with trait values made for catastrophic regex backtracking (10,000
characters through OFREP, or the longest it accepts; 2,000 through the SDK route) against five REGEX
segments; ${HOSTILE_TURNS} turns each way of half the duration, alternating, and the service's longest
event-loop delay in each turn (its /metrics before and after). A service that stops answering is
killed and started again (a CPU profile of a killed one is lost).
The edge one invokes the edge function's Lambda handler in this process over an in-memory flag table
(DynamoDB mocked: no round trip), flag lists and identity requests in alternating turns, --duration
seconds of CPU in all, and reports the CPU time per invocation; it needs no service or database.`);
  process.exit(0);
}
const duration = Number(options.duration);
const connections = Number(options.connections);
const turns = parseTurns(options.turns!) ?? fail(`--turns must be a whole number from 1 to ${MAX_TURNS}, not '${options.turns}'`);
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
// Each side of a scenario runs in --turns turns of whole seconds (autocannon counts whole seconds).
const turnSeconds = Math.max(1, Math.round(duration / turns));
/** The hostile scenario's turns: its own count (HOSTILE_TURNS each way), of half the duration each. */
const hostileTurnSeconds = Math.max(1, Math.round(duration / 2));
/** The edge scenario's turns: --duration seconds of CPU in all, half for each kind of invocation. */
const edgeTurnMs = Math.round((duration * 1000) / (2 * turns));
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
  /**
   * CPU time PostgreSQL spent per request: the backends of the server's database and the server's own
   * processes (WAL writer, checkpointer…), not other databases' backends (0 with PGlite, which runs in the service).
   */
  databaseCpuMicrosPerRequest: number;
  /**
   * What else kept the machine's vCPUs busy meanwhile, in vCPUs: processes other than the server, the
   * bench (the load generator) and the database's processes counted above; and the hypervisor (steal).
   */
  otherVcpus: number;
  stealVcpus: number;
}

interface Scenario {
  name: string;
  /** Every turn's figures together: mean rates, CPU per request weighted by requests, the worse percentiles. */
  service: Load;
  baseline: Load;
  ratioToBaseline: number;
  /** The median of each figure over the turns, and its range. */
  overTurns: TurnSpreads;
  /** Each service turn and the baseline turn after it. */
  turns: Array<{ service: Load; baseline: Load }>;
  /** How long each side was warmed up (see warmUp). */
  warmupSeconds: { service: number; baseline: number };
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

/**
 * CPU time a process has used so far (utime + stime from /proc), in microseconds; with `mainThreadOnly`,
 * its main thread's, where a Node process runs JavaScript (V8's compiler and GC helpers are its other threads).
 */
function cpuMicros(pid: number, { mainThreadOnly = false } = {}): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15, in clock ticks.
  const fields = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}
/** CPU time of each process in `pids` so far, in microseconds; a process that has ended is left out. */
function cpuMicrosOf(pids: readonly number[]): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    try {
      byPid.set(pid, cpuMicros(pid));
    } catch {
      // The process ended since it was listed.
    }
  }
  return byPid;
}
/**
 * The processes of the local PostgreSQL server that work for `database`: its backends, and the
 * server's own (WAL writer, checkpointer, background writer…, which have no database). Other
 * databases' backends are left out: other work on the same server is not the bench's.
 */
async function postgresPids(database: string): Promise<number[]> {
  const monitor = new Client({ connectionString: process.env.DATABASE_URL });
  await monitor.connect();
  try {
    const { rows } = await monitor.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 OR datname IS NULL', [
      database,
    ]);
    return rows.map((row) => row.pid);
  } finally {
    await monitor.end();
  }
}
/**
 * CPU time `database`'s processes spent since `before`: what each process running now used since
 * then (or since it started). A backend that ended in between is left out rather than subtracted.
 */
async function postgresCpuSince(database: string, before: Map<number, number>): Promise<number> {
  let total = 0;
  for (const [pid, micros] of cpuMicrosOf(await postgresPids(database))) total += micros - (before.get(pid) ?? 0);
  return total;
}
/** The whole machine's busy (user, nice, system, irq, softirq) and stolen CPU time so far, from /proc/stat, in microseconds. */
function machineCpuMicros(): { busy: number; steal: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const micros = (ticks: number) => (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
  return { busy: micros(user + nice + system + irq + softirq), steal: micros(steal) };
}
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** Peak resident set size of a process (VmHWM), in MB. */
const peakRssMb = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Drives `url` with autocannon for `seconds`; `database`: the local PostgreSQL database the server
 * under load uses, whose processes' CPU is then counted (otherwise nothing is, and the figure is 0).
 */
async function load(
  url: string,
  request: { method?: string; headers?: Record<string, string>; body?: () => string },
  serverPid: number,
  { seconds = duration, database }: { seconds?: number; database?: string } = {},
): Promise<Load> {
  const databaseCpuBefore = database ? cpuMicrosOf(await postgresPids(database)) : undefined;
  const machineBefore = machineCpuMicros();
  const benchBefore = process.cpuUsage();
  const cpuBefore = cpuMicros(serverPid);
  const startedAt = performance.now();
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: (request.method ?? 'GET') as 'GET' | 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    requests: request.body ? [{ setupRequest: (req: any) => ({ ...req, body: request.body!() }) }] : undefined,
  });
  const serverCpu = cpuMicros(serverPid) - cpuBefore;
  const benchCpu = process.cpuUsage(benchBefore);
  const machine = machineCpuMicros();
  const wallMicros = (performance.now() - startedAt) * 1000;
  const databaseCpu = database ? await postgresCpuSince(database, databaseCpuBefore!) : 0;
  const requests = Math.max(result.requests.total, 1);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    bytes: result.throughput.average / Math.max(result.requests.average, 1),
    cpuMicrosPerRequest: serverCpu / requests,
    databaseCpuMicrosPerRequest: databaseCpu / requests,
    otherVcpus: Math.max(0, machine.busy - machineBefore.busy - serverCpu - benchCpu.user - benchCpu.system - databaseCpu) / wallMicros,
    stealVcpus: (machine.steal - machineBefore.steal) / wallMicros,
  };
}

const databaseOf = (url: string) => new URL(url).pathname.slice(1);

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
    otherVcpus: loads.reduce((sum, l) => sum + l.otherVcpus, 0) / loads.length,
    stealVcpus: loads.reduce((sum, l) => sum + l.stealVcpus, 0) / loads.length,
  };
}

/** Share of a server's CPU its threads other than the main one may take once it is warm: V8's JIT compiles there. */
const WARM_BACKGROUND_SHARE = 0.1;
/** The longest a warm-up goes on past --warmup, seconds. */
const MAX_EXTRA_WARMUP_SECONDS = 10;

/**
 * Puts the scenario's load on a server unmeasured for --warmup seconds, then a second at a time while
 * its threads other than the main one (V8's compiler threads, mostly) still take more than
 * WARM_BACKGROUND_SHARE of its CPU. The JIT compiles a route's code over its first few thousand
 * requests, a second's worth on a quiet machine and several on a busy one: there, after a 1-second
 * warm-up, the service's first 1-second turn of flag reads still spent 36 µs of background CPU per
 * request, and 153 µs in all against 90–110 in its later turns. Resolves with the seconds it took.
 */
async function warmUp(url: string, request: Parameters<typeof load>[1], pid: number): Promise<number> {
  let seconds = 0;
  for (let round = warmupSeconds; round > 0; round = 1) {
    const [all, main] = [cpuMicros(pid), cpuMicros(pid, { mainThreadOnly: true })];
    await load(url, request, pid, { seconds: round });
    seconds += round;
    const used = cpuMicros(pid) - all;
    const background = used - (cpuMicros(pid, { mainThreadOnly: true }) - main);
    if (background <= WARM_BACKGROUND_SHARE * used || seconds >= warmupSeconds + MAX_EXTRA_WARMUP_SECONDS) break;
  }
  return seconds;
}

/**
 * The service and the baseline (a body of the same size) under the same load, in --turns turns each,
 * alternating. Whatever else the machine does meanwhile then weighs on both sides of each turn's
 * ratio, which one stretch each, one after the other, does not guarantee (seen: a baseline stretch at
 * less than half its usual rate), and the median over the turns leaves out a turn that ran well off
 * the others. Each side is warmed up first (warmUp). `database`: the service's, on the local PostgreSQL.
 */
async function measureWithBaseline(
  serviceUrl: string,
  request: Parameters<typeof load>[1],
  servicePid: number,
  database: string | undefined,
): Promise<Omit<Scenario, 'name'>> {
  const bodySize = await bodyBytes(serviceUrl, request);
  const { child, match } = await startChild(
    process.execPath,
    [join(__dirname, 'baseline-server.js'), String(Math.round(bodySize))],
    process.env,
    /\{"port":(\d+)\}/,
  );
  const baselineUrl = `http://127.0.0.1:${match[1]}/`;
  try {
    const warmedUp = {
      service: await warmUp(serviceUrl, request, servicePid),
      baseline: await warmUp(baselineUrl, request, child.pid!),
    };
    const measured: Scenario['turns'] = [];
    for (let turn = 0; turn < turns; turn++) {
      const service = await load(serviceUrl, request, servicePid, { seconds: turnSeconds, database });
      const baseline = await load(baselineUrl, request, child.pid!, { seconds: turnSeconds });
      measured.push({ service, baseline });
    }
    const service = combined(measured.map((t) => t.service));
    const baseline = combined(measured.map((t) => t.baseline));
    return {
      service,
      baseline,
      ratioToBaseline: service.rps / baseline.rps,
      overTurns: spreadsOverTurns(measured),
      turns: measured,
      warmupSeconds: warmedUp,
    };
  } finally {
    await stopChild(child);
  }
}

/** unleash-server on the same PostgreSQL server (its own database), with the same 50 flags. */
async function measurePeer(): Promise<Record<string, Load>> {
  return withPostgresDatabase('unleash_bench', measureUnleash);
}

async function measureUnleash(databaseUrl: string): Promise<Record<string, Load>> {
  const database = databaseOf(databaseUrl);
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
      client: await load(`${api}/api/client/features`, {}, child.pid!, { database }),
      frontend: await load(`${api}/api/frontend?userId=user-1`, {}, child.pid!, { database }),
    };
  } finally {
    await stopChild(child);
  }
}

/** What the scenarios that drive the bundled service measured. */
interface ServiceResult {
  database: string;
  scenarios: Scenario[];
  hostile?: HostileResult;
  peakRssMb: number;
  peer?: Record<string, Load>;
}

async function main(): Promise<void> {
  const served = selectedNames.some((name) => name !== SCENARIOS.edge) ? await measureService() : undefined;
  let edge: EdgeResult | undefined;
  if (selectedNames.includes(SCENARIOS.edge)) {
    console.log(`Measuring the ${SCENARIOS.edge}: ${turns} turns of ${edgeTurnMs} ms of CPU each way, alternating…`);
    edge = await benchmarkEdge({ turns, turnMs: edgeTurnMs, warmupMs: warmupSeconds * 1000 });
  }
  console.log('Measuring the engine in process…');
  const engine = benchmarkEngine(duration * 1000);
  report({ ...served, edge, engine });
}

async function measureService(): Promise<ServiceResult> {
  const token = randomBytes(24).toString('base64url');
  const clientKey = 'bench_client_key';
  return withDatabase(async (databaseUrl, dataDir) => {
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

      const database = databaseUrl ? databaseOf(databaseUrl) : undefined;
      const scenarios: Scenario[] = [];
      for (const { name, path, request } of requests.filter((r) => selectedNames.includes(r.name))) {
        console.log(`Measuring ${name} and the baseline: ${turns} turns of ${turnSeconds} s each way, alternating…`);
        const measured = await measureWithBaseline(url + path, request, service.pid!, database);
        // A ratio over failed requests would measure error responses.
        if (measured.service.errors > 0 || measured.baseline.errors > 0)
          fail(`${name}: ${measured.service.errors} errors from the service, ${measured.baseline.errors} from the baseline`);
        scenarios.push({ name, ...measured });
        console.log(`peak RSS so far: ${peakRssMb(service.pid!).toFixed(0)} MB`);
      }

      // Last: it adds segments to the environment, and may leave a service started again.
      let hostile: HostileResult | undefined;
      if (selectedNames.includes(SCENARIOS.hostile)) {
        console.log(`Measuring ${SCENARIOS.hostile}: ${HOSTILE_TURNS} turns of ${hostileTurnSeconds} s each way, alternating…`);
        hostile = await measureHostile({
          url,
          adminToken: token,
          clientKey,
          honest: identityRequest,
          connections,
          turnSeconds: hostileTurnSeconds,
          warmupSeconds,
          restartService,
          log: (message) => console.log(message),
        });
        console.log(`peak RSS so far: ${Math.max(earlierPeakRssMb, peakRssMb(service.pid!)).toFixed(0)} MB`);
      }
      const rssMb = Math.max(earlierPeakRssMb, peakRssMb(service.pid!));

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
          if (scenario) Object.assign(scenario, { peer: theirs, ratioToPeer: scenario.overTurns.rps.median / load.rps });
        }
      }

      return { database: databaseUrl ? 'postgres' : 'pglite', scenarios, hostile, peakRssMb: rssMb, peer };
    } finally {
      await stopChild(service);
    }
  });
}

/** A median and, in brackets, its range over the turns; `digits` after the point. */
function withRange({ median, min, max }: Spread, digits = 0): string {
  const number = (value: number) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${number(median)} (${number(min)}–${number(max)})`;
}

function report(result: Partial<ServiceResult> & { edge?: EdgeResult; engine: ReturnType<typeof benchmarkEngine> }): void {
  const scenarios = result.scenarios ?? [];
  const table = new Table({
    style: { head: [], border: [] }, // plain text: the output is often piped into notes
    head: [
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'CPU µs/req',
      'DB CPU µs/req',
      'baseline req/s',
      'baseline CPU µs/req',
      '× baseline',
      '× peer',
    ],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const s of scenarios) {
    const t = s.overTurns;
    table.push([
      s.name,
      withRange(t.rps),
      s.service.p50,
      s.service.p99,
      s.service.errors,
      withRange(t.cpuMicrosPerRequest),
      withRange(t.databaseCpuMicrosPerRequest),
      withRange(t.baselineRps),
      withRange(t.baselineCpuMicrosPerRequest),
      withRange(t.ratioToBaseline, 2),
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
        '',
      ]);
    }
  }
  if (scenarios.length > 0) {
    console.log(
      `\nflagstack on ${result.database}, ${connections} connections, ${turns} turns of ${turnSeconds} s per scenario, alternating with as many of its baseline, ` +
        `after at least ${warmupSeconds} s of warm-up on each side, node ${process.version}`,
    );
    console.log(table.toString());
    console.log(
      `req/s, CPU and × baseline: the median over the ${turns} turns (in brackets: the range); p50, p99: the worst turn's; errors: all turns'. ` +
        'CPU µs/req: CPU time the server process spent per request; DB CPU µs/req: the processes of its PostgreSQL database',
    );
    for (const s of scenarios.filter((s) => s.warmupSeconds.service > warmupSeconds || s.warmupSeconds.baseline > warmupSeconds)) {
      console.log(
        `${s.name}: warmed up for ${s.warmupSeconds.service} s (service) and ${s.warmupSeconds.baseline} s (baseline), ` +
          `their JIT still compiling after ${warmupSeconds} s`,
      );
    }
    const serviceTurns = scenarios.flatMap((s) => s.turns.map((t) => t.service));
    console.log(
      `the machine besides: other processes kept ${withRange(spreadOf(serviceTurns.map((l) => l.otherVcpus)), 1)} vCPUs busy ` +
        `during the service's turns (of ${availableParallelism()}), the hypervisor took ${withRange(spreadOf(serviceTurns.map((l) => l.stealVcpus)), 1)}`,
    );
  }
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
  if (result.edge) {
    const { flagsMs, identityMs } = result.edge;
    console.log(
      `edge handler in process: ${withRange(flagsMs, 3)} ms of CPU per flag-list invocation, ${withRange(identityMs, 3)} per identity invocation ` +
        `(medians over ${turns} turns, range in brackets; DynamoDB mocked in memory, so no table round trip in them)`,
    );
  }
  if (result.peakRssMb !== undefined) {
    console.log(
      `service peak RSS: ${result.peakRssMb.toFixed(0)} MB (heap sized as on a ${memoryMb > 0 ? `${memoryMb} MB machine: ${heapFlagsFor(memoryMb).join(' ')}` : 'machine like this one'})`,
    );
  }
  const targets = checkTargets({ ...result, scenarios });
  if (targets.length > 0) {
    console.log(
      `targets (docs/performance.md)${result.database === 'pglite' ? "; on PGlite the embedded database's memory counts in the service's RSS" : ''}:`,
    );
    for (const { target, measured, met } of targets) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${target}: ${measured}`);
  }
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
          durationSeconds: turns * turnSeconds,
          turns,
          turnSeconds,
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
