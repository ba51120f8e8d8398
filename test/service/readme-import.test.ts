/**
 * The README's "Move a Flagsmith environment in" commands, run verbatim with bash: the document is
 * downloaded from a Flagsmith-compatible source (a second service, through the same SDK route
 * Flagsmith serves it on) and imported into the bundle, which then answers every sample identity as
 * the source does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Flagsmith } from 'flagsmith-nodejs';
import { startBundle, type RunningBundle } from '../support/bundle';
import { SAMPLE_IDENTITIES, seedEnvironment, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'readme-import-admin-token';
let source: TestService;
let seeded: SeededEnvironment;
let bundle: RunningBundle;
let workDir: string;

beforeAll(async () => {
  source = await startTestService();
  seeded = await seedEnvironment(source, 'moving_env_key');
  workDir = mkdtempSync(join(tmpdir(), 'flagstack-readme-import-'));
  bundle = await startBundle({ cwd: workDir, env: { FLAGSTACK_ADMIN_TOKEN: TOKEN, NODE_PATH: join(ROOT, 'node_modules') } });
});
afterAll(async () => {
  await bundle.stop();
  await source.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** The first sh block under the README's heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!section.startsWith('##') || !block) throw new Error(`README.md has no sh block under '## ${heading}'`);
  return block[1];
}

/**
 * Runs the block with bash (asynchronously: the source answers from this process; --norc, since bash
 * on a socket for stdin reads ~/.bashrc as if started by a remote shell).
 */
async function runImport(): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    'bash',
    ['--norc', '-euo', 'pipefail', '-c', readmeBlock('Move a Flagsmith environment in')],
    {
      cwd: workDir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        FLAGSMITH_API: `${source.url}/api/v1`,
        FLAGSMITH_SERVER_KEY: seeded.serverKey,
        TOKEN,
        API: `${bundle.url}/api/v1`,
      },
    },
  );
  expect(stderr).toBe('');
  return stdout.trim();
}

test("the README's import commands create the environment, then replace it, and every identity gets the source's flags", async () => {
  expect(await runImport()).toBe('201');
  expect(await runImport()).toBe('200');

  const flagsOf = async (apiUrl: string, identifier: string, traits: Record<string, string | number | boolean>) => {
    const client = new Flagsmith({ environmentKey: 'moving_env_key', apiUrl });
    const flags = await client.getIdentityFlags(identifier, traits, true);
    return Object.fromEntries(flags.allFlags().map((flag) => [flag.featureName, [flag.enabled, flag.value]]));
  };
  for (const { identifier, traits } of SAMPLE_IDENTITIES) {
    expect({ identifier, flags: await flagsOf(`${bundle.url}/api/v1/`, identifier, traits) }).toEqual({
      identifier,
      flags: await flagsOf(`${source.url}/api/v1/`, identifier, traits),
    });
  }
});
