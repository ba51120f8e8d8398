/**
 * `npm run bench:move`: the whole-instance mover on a large instance. Generates a source of
 * --identities identities (3 to 10 traits each: strings, numbers, booleans) in PGlite or PostgreSQL,
 * copies it to a fresh target of the other kind (or --to's) with the built mover as its own process,
 * --runs times, and reports the mover's peak RSS (VmHWM in its /proc/self/status, read as it exits:
 * Linux) and identities copied per second (median over runs, with the range).
 *
 * Not process.resourceUsage().maxRSS: Linux carries a process's peak across fork and exec, so a child
 * reports at least what this process held when it spawned it (here, the PGlite that generated the
 * source). VmHWM belongs to the memory the mover's own program maps after exec.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client } from 'pg';
import { openDatabase } from '../service/storage/database';
import { migrate } from '../service/storage/migrate';

const ROOT = join(__dirname, '..', '..');
const MOVER = join(ROOT, 'dist', 'service', 'move.js');
/** Identities generated per statement: bounds the source's memory while generating. */
const GENERATE_CHUNK = 50_000;
/** The target this bench checks: the mover's peak RSS. */
const PEAK_RSS_TARGET_MB = 300;

type Kind = 'pglite' | 'postgres';

/** parseArgs, with an unknown or malformed option reported in one line rather than a stack trace. */
function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    return fail((error as Error).message);
  }
}

const { values: options } = parseOptions({
  options: {
    identities: { type: 'string', default: '1000000' },
    from: { type: 'string', default: 'postgres' },
    to: { type: 'string' },
    runs: { type: 'string', default: '1' },
    'page-rows': { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  console.log(`npm run bench:move -- [--identities N] [--from pglite|postgres] [--to pglite|postgres] [--runs N] [--page-rows N] [--node-arg=ARG …]

  --identities  identities in the generated source (default 1,000,000)
  --from        the source's kind (default postgres; postgres needs DATABASE_URL, on whose server databases are made)
  --to          the target's kind (default: the other kind)
  --runs        copies to a fresh target each, for the median (default 1)
  --page-rows   passed to the mover
  --node-arg    an argument for node before the mover (repeatable): --node-arg=--no-liftoff-only lets V8
                optimise PGlite's WebAssembly, which the mover otherwise keeps on its baseline compiler`);
  process.exit(0);
}
const identities = Number(options.identities);
const from = kindOf(options.from);
const to = options.to ? kindOf(options.to) : from === 'postgres' ? 'pglite' : 'postgres';
const runs = Number(options.runs);
if ((from === 'postgres' || to === 'postgres') && !process.env.DATABASE_URL) fail('a postgres end needs DATABASE_URL');

function kindOf(value: string | undefined): Kind {
  if (value === 'pglite' || value === 'postgres') return value;
  return fail(`--from and --to take pglite or postgres, not ${value}`);
}

function fail(message: string): never {
  console.error(`bench:move: ${message}`);
  process.exit(2);
}

interface End {
  spec: string;
  drop(): Promise<void>;
}

const scratch = mkdtempSync(join(tmpdir(), 'flagstack-bench-move-'));

async function newEnd(kind: Kind, name: string): Promise<End> {
  if (kind === 'pglite') {
    const folder = join(scratch, name);
    return { spec: folder, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const database = `flagstack_bench_move_${process.pid}_${name}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${database}`;
  return { spec: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`) };
}

/** A project, two environments, five features with identity overrides for one identity in 20, and the identities. */
async function generateSource(end: End, kind: Kind): Promise<void> {
  const db = await openDatabase({
    databaseUrl: kind === 'postgres' ? end.spec : undefined,
    dataDir: end.spec,
    poolMax: 1,
    timeoutMs: 600_000,
  });
  try {
    await migrate(db);
    await db.query(`INSERT INTO projects (id, name) VALUES (1, 'bench')`);
    await db.query(
      `INSERT INTO environments (id, project_id, name, client_key) VALUES (1, 1, 'production', 'bench_prod'), (2, 1, 'staging', 'bench_stage')`,
    );
    await db.query(
      `INSERT INTO features (id, project_id, name, initial_value) SELECT f, 1, 'feature_' || f, to_jsonb(f) FROM generate_series(1, 5) f`,
    );
    for (let first = 1; first <= identities; first += GENERATE_CHUNK) {
      const last = Math.min(first + GENERATE_CHUNK - 1, identities);
      await db.query(
        `INSERT INTO identities (id, environment_id, identifier, traits)
         SELECT i, 1 + i % 2, 'user-' || md5(i::text),
                (SELECT jsonb_object_agg(name, CASE k % 3 WHEN 0 THEN to_jsonb(md5(i::text || name)) WHEN 1 THEN to_jsonb((i * k) % 1000 + 0.5)
                                                          ELSE to_jsonb((i + k) % 2 = 0) END)
                   FROM (SELECT k, (ARRAY['email','plan','age','country','app_version','beta','score','device','locale','signup'])[k] AS name
                           FROM generate_series(1, 3 + i % 8) k) t)
           FROM generate_series($1::int, $2::int) i`,
        [first, last],
      );
      process.stderr.write(`\rgenerating the source: ${last.toLocaleString('en-US')} identities`);
    }
    process.stderr.write('\n');
    await db.query(
      `INSERT INTO feature_states (environment_id, feature_id, identity_id, enabled, value, uuid)
       SELECT i.environment_id, 1 + i.id % 5, i.id, true, to_jsonb(i.id), md5(i.id::text) FROM identities i WHERE i.id % 20 = 0`,
    );
    await db.query(`SELECT setval(pg_get_serial_sequence('identities', 'id'), $1::int)`, [identities]);
  } finally {
    await db.close();
  }
}

interface Run {
  seconds: number;
  identitiesPerSecond: number;
  peakRssMb: number;
}

/** One copy by the built mover, with the peak RSS it reports when exiting (in kB, as /proc gives it). */
async function copyOnce(source: End, target: End): Promise<Run> {
  const rssFile = join(scratch, 'peak-rss');
  const preload = join(scratch, 'report-peak-rss.js');
  writeFileSync(
    preload,
    `const fs = require('node:fs');
process.on('exit', () => fs.writeFileSync(${JSON.stringify(rssFile)}, /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]));\n`,
  );
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [...options['node-arg'], '--require', preload, MOVER, 'copy', '--from', source.spec, '--to', target.spec, ...pageRows()],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) fail(`the mover exited with ${code}:\n${stderr}${stdout}`);
  // The mover's own line for the table: "identities: 1,000,000 rows in 40.1 s, 24,938 rows/s".
  const rate = /identities: [\d,]+ rows in [\d.]+ s, ([\d,]+) rows\/s/.exec(stderr);
  process.stderr.write(stderr);
  return {
    seconds,
    identitiesPerSecond: rate ? Number(rate[1].replace(/,/g, '')) : identities / seconds,
    peakRssMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
  };
}

const pageRows = (): string[] => (options['page-rows'] ? ['--page-rows', options['page-rows']] : []);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const spread = (values: number[], digits = 0): string =>
  `${median(values).toFixed(digits)}${values.length > 1 ? ` (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})` : ''}`;

async function main(): Promise<void> {
  const source = await newEnd(from, 'source');
  try {
    await generateSource(source, from);
    const results: Run[] = [];
    for (let run = 1; run <= runs; run++) {
      const target = await newEnd(to, `target${run}`);
      try {
        process.stderr.write(`run ${run} of ${runs}: ${from} → ${to}\n`);
        results.push(await copyOnce(source, target));
      } finally {
        await target.drop();
      }
    }
    const peak = results.map((result) => result.peakRssMb);
    const variant = options['node-arg'].length > 0 ? `, node ${options['node-arg'].join(' ')}` : '';
    console.log(`\nmover: copy of ${identities.toLocaleString('en-US')} identities, ${from} → ${to}${variant}, ${runs} run(s)`);
    console.log(
      `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GB, node ${process.version}`,
    );
    console.log(
      `  whole copy (with verification): ${spread(
        results.map((result) => result.seconds),
        1,
      )} s`,
    );
    console.log(`  identities per second:          ${spread(results.map((result) => result.identitiesPerSecond))}`);
    console.log(
      `  mover peak RSS:                 ${spread(peak)} MB (target < ${PEAK_RSS_TARGET_MB} MB: ${Math.max(...peak) < PEAK_RSS_TARGET_MB ? 'met' : 'MISSED'})`,
    );
  } finally {
    await source.drop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: Error) => fail(error.message));
