/**
 * REGEX conditions run on RE2, linear in the text; a pattern counts only where JavaScript's RegExp
 * (Flagsmith's engine) and RE2 both accept it. And every operator stays bounded on hostile input:
 * checked in a worker thread, which the test stops and fails if it does not finish, since a
 * catastrophic match would hold this thread for longer than the universe has existed.
 */
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { compileOperator } from '../../service/engine/operators';
import { compilePattern } from '../../service/engine/patterns';
import { firstRefusedCondition } from '../../service/engine/segments';

describe('which patterns count', () => {
  test.each([
    ['^[a-z]+-\\d+$', 'user-42', true],
    ['er', 'user', true],
    ['^(a+)+$', 'aaaa', true],
    ['^(a+)+$', 'aaa!', false],
    ['\\bpro\\b', 'go pro now', true],
    ['^v\\d+\\.\\d+\\x2d[a-z\\-]+$', 'v1.2-beta-x', true],
    ['^\\/path\\s\\w+$', '/path to', true],
  ])('%s against %s: %s, as RegExp says', (pattern, text, expected) => {
    const compiled = compilePattern(pattern);
    expect('problem' in compiled).toBe(false);
    expect((compiled as { test(text: string): boolean }).test(text)).toBe(expected);
    expect(new RegExp(pattern).test(text)).toBe(expected);
  });

  test.each([
    ['^(?=a)a', /not supported by the linear-time matcher, RE2 \(invalid or unsupported Perl syntax: `\(\?=`\)/],
    ['(?<=a)b', /not supported by the linear-time matcher, RE2/],
    ['(a)\\1', /the escape \\1 means different things/],
    ['(?i)abc', /the group \(\?i means different things/],
    ['(unclosed', /not a JavaScript regular expression/],
    // Accepted by both, but read differently: JavaScript sees the letters p, z and x{41}.
    ['\\pN', /the escape \\p means different things/],
    ['end\\z', /the escape \\z means different things/],
    ['\\x{41}', /the escape \\x means different things/],
    ['[[:alpha:]]+', /a POSIX class/],
    ['[a[:digit:]]', /a POSIX class/],
    ['[]a]', /a class opening with \]/],
    ['[^]a]', /a class opening with \]/],
    ['(?i:a)b', /the group \(\?i means different things/],
    // Linear in the text, but the program is large: 5,000 instructions, hundreds of milliseconds on 2,000 characters.
    ['(?:a|aa){1,999}!', /too large: it compiles to 4997 instructions, at most 500/],
  ])('%s is refused: %s', (pattern, problem) => {
    const compiled = compilePattern(pattern);
    expect(compiled).toEqual({ problem: expect.stringMatching(problem) });
    expect(compileOperator('REGEX', pattern)).toBeUndefined();
  });

  test('a refused condition is found at any depth, with its path', () => {
    const condition = (value: string) => ({ operator: 'REGEX' as const, property_: 'p', value });
    const rules = [
      {
        type: 'ALL' as const,
        conditions: [condition('^ok$')],
        rules: [{ type: 'ANY' as const, conditions: [condition('x'), condition('(?!x)')], rules: [] }],
      },
    ];
    expect(firstRefusedCondition(rules)).toEqual({
      path: '0/rules/0/conditions/1/value',
      problem: expect.stringMatching(/^REGEX "\(\?!x\)": /),
    });
    expect(firstRefusedCondition([{ type: 'ALL', conditions: [condition('')], rules: [] }])).toBeUndefined();
  });
});

describe('every operator is bounded on 10 KB hostile values', () => {
  let dir: string;
  let bundle: string;
  beforeAll(() => {
    // The operators as plain JavaScript, for a worker thread to load.
    dir = mkdtempSync(join(tmpdir(), 'flagstack-operators-'));
    bundle = join(dir, 'operators.js');
    buildSync({
      entryPoints: [join(__dirname, '../../service/engine/operators.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'warning',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const TEN_KB = 10_000;
  const run = (n: number) => 'a'.repeat(n);
  const cases: Array<[operator: string, condition: string, value: string]> = [
    ['REGEX', '^(a+)+$', `${run(TEN_KB - 1)}!`],
    ['REGEX', '(a|aa)+$', `${run(TEN_KB - 1)}!`],
    ['REGEX', '(a|a?)+b', run(TEN_KB)],
    ['REGEX', '^(\\w+\\s?)*$', `${'ab '.repeat(TEN_KB / 3)}!`],
    ['REGEX', '(.*a){12}', `${run(11)}${'x'.repeat(TEN_KB)}`],
    ['REGEX', '^(([a-z])+.)+[A-Z]([a-z])+$', `${run(TEN_KB)}!`],
    // The largest programs accepted (about 500 instructions).
    ['REGEX', '(?:a|aa){1,99}!', `!${run(TEN_KB - 1)}`],
    ['REGEX', '[a-z]{1,200}!', `${run(TEN_KB)}`],
    ['CONTAINS', 'a'.repeat(999) + 'b', run(TEN_KB)],
    ['NOT_CONTAINS', 'a'.repeat(999) + 'b', run(TEN_KB)],
    ['IN', JSON.stringify(Array.from({ length: 100 }, (_, i) => run(9) + i)), run(TEN_KB)],
    ['IN', Array.from({ length: 100 }, (_, i) => `${i}`).join(','), '9'.repeat(TEN_KB)],
    ['MODULO', '3|1', '9'.repeat(TEN_KB)],
    ['EQUAL', run(1000), run(TEN_KB)],
    ['GREATER_THAN', '1.2.3:semver', `1.2.${'3'.repeat(TEN_KB)}`],
    ['LESS_THAN_INCLUSIVE', '1.0.0:semver', `${'1.'.repeat(TEN_KB / 2)}0`],
    ['EQUAL', '1.0.0-alpha:semver', `1.0.0-${'a.'.repeat(TEN_KB / 2)}x`],
  ];

  test('all of them finish (a backtracking REGEX would not)', async () => {
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { compileOperator } = require(workerData.bundle);
       const results = workerData.cases.map(([operator, condition, value]) => {
         const test = compileOperator(operator, condition);
         const started = process.hrtime.bigint();
         const matched = test ? test(value) : null;
         return { operator, condition: condition.slice(0, 40), matched, ms: Number(process.hrtime.bigint() - started) / 1e6 };
       });
       parentPort.postMessage(results);`,
      { eval: true, workerData: { bundle, cases } },
    );
    try {
      const results = await new Promise<Array<{ matched: boolean | null }>>((resolve, reject) => {
        // Generous: all of it takes milliseconds (npm run bench measures); a catastrophic match never ends.
        const timer = setTimeout(() => reject(new Error('the operators did not finish within 20 s: one of them is not bounded')), 20_000);
        worker.once('message', (message) => {
          clearTimeout(timer);
          resolve(message);
        });
        worker.once('error', reject);
      });
      expect(results).toHaveLength(cases.length);
      expect(results.slice(0, 8).map((r) => r.matched)).toEqual([false, false, false, false, false, false, false, false]);
      expect(results.map((r) => r.matched)).not.toContain(null); // every pattern was accepted and ran
    } finally {
      await worker.terminate();
    }
  }, 30_000);
});
