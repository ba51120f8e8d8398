/**
 * `npm run bench` refuses bad options with a message naming the option, before it starts anything.
 * Runs the built bench (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCH = join(__dirname, '..', '..', 'dist', 'bench', 'run.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

test.each([
  [['--warmup', '1.5'], "--warmup must be a whole number of seconds, 0 or more, not '1.5'"],
  [['--warmup=-1'], "--warmup must be a whole number of seconds, 0 or more, not '-1'"],
  [['--warmup', '-1'], "Option '--warmup' argument is ambiguous"],
  [['--nope'], "Unknown option '--nope'"],
  [['--warmup', ''], "--warmup must be a whole number of seconds, 0 or more, not ''"],
  [['--duration', '0'], "--duration must be a positive number of seconds, not '0'"],
  [['--turns', '0'], "--turns must be a whole number from 1 to 100, not '0'"],
  [['--turns', '2.5'], "--turns must be a whole number from 1 to 100, not '2.5'"],
  [['--turns', 'many'], "--turns must be a whole number from 1 to 100, not 'many'"],
  [['--turns', '101'], "--turns must be a whole number from 1 to 100, not '101'"],
  [['--turns=-1'], "--turns must be a whole number from 1 to 100, not '-1'"],
  [['--connections', 'many'], "--connections must be a positive integer, not 'many'"],
  [['--memory-mb', '100'], "--memory-mb must be 0 (this machine's) or a whole number of megabytes from 512 to 4096, not '100'"],
  [['--peers'], '--peers needs DATABASE_URL'],
  [
    ['--only', 'nope'],
    "--only 'nope' matches no scenario (GET /api/v1/flags/; POST /api/v1/identities/ (3 traits); POST /ofrep/v1/evaluate/flags; " +
      'GET /api/v1/environment-document/; hostile REGEX: identity requests with a 1% attacker; edge handler in process (flag list, identity))',
  ],
])('%j is refused', (args, message) => {
  const result = run(...args);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain(`bench: ${message}`);
});

test('--help lists --warmup, --turns and the scenarios, the hostile one with what it does', () => {
  const result = run('--help');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('--warmup');
  expect(result.stdout).toMatch(/--turns\s+turns per scenario, alternating with the baseline \(default 5\)/);
  expect(result.stdout).toContain('e.g. flags, identities, ofrep, hostile');
  expect(result.stdout).toContain(
    'Scenarios: GET /api/v1/flags/; POST /api/v1/identities/ (3 traits); POST /ofrep/v1/evaluate/flags; GET /api/v1/environment-document/; hostile REGEX',
  );
  expect(result.stdout).toMatch(/attacker with the same client key\s+sends 1% of the requests/);
});
