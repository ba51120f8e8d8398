import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { loadStageConfig, STAGE_CONFIG_KEYS, StageConfigSchema } from '../../lib/config';
import { ContextSettingsError } from '../../lib/context-settings';
import { edgeRegionsOf, STAGES } from '../../lib/stages';
import { loadConfig } from '../../service/config';
import { buildApp } from './app';

const load = (context: Record<string, unknown>) => loadStageConfig(context);
const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('stage configuration', () => {
  it('accepts the keys the CDK CLI writes into cdk.context.json itself (cdk acknowledge, telemetry, lookups)', () => {
    expect(() =>
      load({
        'acknowledged-issue-numbers': [32775],
        'cli-telemetry': false,
        'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'],
      }),
    ).not.toThrow();
    expect(() => load({ fargateCPU: 512 })).toThrow(/context key fargateCPU: not a setting; did you mean fargateCpu\?/);
  });

  it('has defaults for every stage', () => {
    const config = load({});
    expect(config).toMatchObject({
      account: '123456789012',
      region: 'us-east-1',
      singleBoxInstanceType: 't4g.small',
      multiAz: true,
      corsOrigins: ['*'],
    });
    expect(config).toMatchObject({ edgeName: 'flagstack-edge', edgeMemoryMiB: 512, edgeRefreshSeconds: 5 });
    expect(edgeRegionsOf(config)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(config.domainName).toBeUndefined();
    expect(config.edgeReservedConcurrency).toBeUndefined();
  });

  it('takes the account as the CDK CLI passes it: a string, leading zeros kept', () => {
    expect(load({ account: '123456789012' }).account).toBe('123456789012');
    expect(load({ account: '012345678901' }).account).toBe('012345678901');
    // cdk.json may hold a number: twelve digits are an account, fewer have lost their leading zeros.
    expect(load({ account: 123456789012 }).account).toBe('123456789012');
    expect(() => load({ account: 12345678901 })).toThrow(
      'context key account=12345678901: must look like "012345678901"; a number cannot keep leading zeros, so give it as a string ("account": "0…" in cdk.json, or -c account=0…)',
    );
  });

  it('follows the home region with the default edge regions', () => {
    expect(edgeRegionsOf(load({ region: 'eu-west-2' }))).toEqual(['eu-west-2', 'us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(edgeRegionsOf(load({ region: 'eu-west-1' }))).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-1']);
    expect(edgeRegionsOf(load({ region: 'eu-west-2', edgeRegions: 'eu-west-2' }))).toEqual(['eu-west-2']);
  });

  it('reads a list as commas or JSON', () => {
    expect(load({ edgeRegions: 'us-east-1, eu-central-1' }).edgeRegions).toEqual(['us-east-1', 'eu-central-1']);
    expect(load({ edgeRegions: '["us-east-1","sa-east-1"]' }).edgeRegions).toEqual(['us-east-1', 'sa-east-1']);
    expect(load({ edgeRegions: ['us-east-1'] }).edgeRegions).toEqual(['us-east-1']);
    expect(load({ corsOrigins: 'https://shop.example, http://localhost:3000' }).corsOrigins).toEqual([
      'https://shop.example',
      'http://localhost:3000',
    ]);
  });

  it('reads command-line context strings as numbers and booleans where the setting is one', () => {
    const config = load({
      autoscaledMaxInstances: '10',
      multiAz: 'false',
      auroraMinCapacity: '1.5',
      fargateCpu: '1024',
      fargateMemoryMiB: '2048',
    });
    expect(config).toMatchObject({
      autoscaledMaxInstances: 10,
      multiAz: false,
      auroraMinCapacity: 1.5,
      fargateCpu: 1024,
      fargateMemoryMiB: 2048,
    });
  });

  it('shows examples of every setting with a pattern, so that its refusal says what it wants', () => {
    const schemas = (schema: TSchema): TSchema[] => [schema, ...(schema.items !== undefined ? [schema.items as TSchema] : [])];
    for (const key of STAGE_CONFIG_KEYS) {
      for (const schema of schemas(StageConfigSchema.properties[key])) {
        if (schema.pattern !== undefined) expect([key, schema.examples]).toEqual([key, expect.arrayContaining([expect.any(String)])]);
      }
    }
  });

  it("holds the shared settings and every stage's own, each key once", () => {
    expect(STAGE_CONFIG_KEYS.slice(0, 2)).toEqual(['account', 'region']);
    for (const stage of STAGES) expect(STAGE_CONFIG_KEYS).toEqual(expect.arrayContaining(Object.keys(stage.settings)));
    expect(new Set(STAGE_CONFIG_KEYS).size).toBe(STAGE_CONFIG_KEYS.length);
  });

  it.each([
    ['fargateCpu', '300', 'must be one of: 256, 512, 1024, 2048, 4096'],
    ['singleBoxInstanceType', 't3.small', 'must look like "t4g.small" or "m7g.large" or "c7gn.xlarge"'],
    ['singleBoxDataVolumeGiB', '2', 'must be an integer from 8 to 16384'],
    ['auroraMinCapacity', 'lots', 'must be a number from 0 to 256'],
    ['multiAz', 'perhaps', 'must be true or false'],
    ['account', '12345678901', 'must look like "012345678901"'],
    ['region', 'moon', 'must look like "eu-west-2"'],
    ['domainName', 'not a domain', 'must look like "flags.example.com"'],
    ['edgeRegions', 'us-east-1,moon', '"moon" must look like "eu-west-2"'],
    ['edgeRegions', 'us-east-1,us-east-1', 'must NOT have duplicate items'],
    ['edgeMemoryMiB', '64', 'must be an integer from 128 to 10240'],
    ['edgeTimeoutSeconds', '60', 'must be an integer from 1 to 30'],
    ['edgeReservedConcurrency', '0', 'must be an integer from 1 to 100000'],
    ['edgeName', 'Flagstack Edge', 'must look like "flagstack-edge"'],
    ['edgeName', 'ab', 'must NOT have fewer than 3 characters'],
    ['fargateMinTasks', '2.5', 'must be an integer from 2 to 1000'],
    [
      'corsOrigins',
      'https://shop.example/app',
      '"https://shop.example/app" must look like "*" or "https://shop.example" or "http://localhost:3000"',
    ],
    ['corsOrigins', 'https://Shop.example', '"https://Shop.example" must look like'],
    ['corsOrigins', 'shop.example', '"shop.example" must look like'],
    ['corsOrigins', 'capacitor://localhost', '"capacitor://localhost" must look like'],
  ])('rejects %s=%s in one line naming the key and what it accepts', (key, value, expected) => {
    expect(() => load({ [key]: value })).toThrow(ContextSettingsError);
    expect(() => load({ [key]: value })).toThrow(`Invalid stage configuration: context key ${key}=${value}: ${expected}`);
  });

  it('rejects a JSON list that does not parse', () => {
    expect(() => load({ edgeRegions: '["us-east-1",' })).toThrow(
      'context key edgeRegions=["us-east-1",: must be a comma-separated list or a JSON list; this is neither',
    );
  });

  it('rejects a key that is no setting, naming the one it resembles', () => {
    expect(() => load({ fargatecpu: '1024' })).toThrow(
      'Invalid stage configuration: context key fargatecpu: not a setting; did you mean fargateCpu?',
    );
    expect(() => load({ cpu: '1024' })).toThrow(`context key cpu: not a setting; the settings are ${STAGE_CONFIG_KEYS.join(', ')}`);
    // CDK's own keys (feature flags, lookups, the CLI's aws:cdk:…) are not settings and not errors.
    expect(() =>
      load({
        '@aws-cdk/core:defaultCrossStackReferences': 'weak',
        'aws:cdk:version-reporting': true,
        'availability-zones:account=1:region=x': [],
      }),
    ).not.toThrow();
  });

  it('lists every bad key, each once', () => {
    let message = '';
    try {
      load({ fargateCpu: '300', edgeRegions: 'us-east-1,moon,mars', multiAz: 'perhaps' });
    } catch (error) {
      message = (error as Error).message;
    }
    // In the order of the settings (STAGE_CONFIG_KEYS), a list's bad items in its line.
    expect(message.split('\n')).toEqual([
      'Invalid stage configuration:',
      '  context key multiAz=perhaps: must be true or false',
      '  context key fargateCpu=300: must be one of: 256, 512, 1024, 2048, 4096',
      '  context key edgeRegions=us-east-1,moon,mars: "moon" and "mars" must look like "eu-west-2"',
    ]);
  });

  it('rejects inconsistent values', () => {
    expect(() => load({ autoscaledMinInstances: 5, autoscaledMaxInstances: 3 })).toThrow(
      'context key autoscaledMaxInstances=3: must be at least autoscaledMinInstances (5)',
    );
    expect(() => load({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' })).toThrow('needs domainName');
    expect(() => load({ edgeRegions: 'eu-west-1,ap-southeast-1' })).toThrow(
      'context key edgeRegions=eu-west-1,ap-southeast-1: must include region (us-east-1)',
    );
    expect(() => load({ edgeRegions: 'us-east-1,xx-nowhere-9' })).toThrow('unknown region xx-nowhere-9');
    expect(() => load({ region: 'xx-nowhere-9' })).toThrow(
      'Invalid stage configuration: context key region=xx-nowhere-9: unknown region (lib/edge-regions.ts lists the known ones)',
    );
    expect(() => load({ fargateCpu: '256', fargateMemoryMiB: '4096' })).toThrow(
      'context key fargateMemoryMiB=4096: with fargateCpu=256 must be 512, 1024 or 2048',
    );
    expect(() => load({ fargateCpu: '1024', fargateMemoryMiB: '3000' })).toThrow(
      'context key fargateMemoryMiB=3000: with fargateCpu=1024 must be a multiple of 1024 from 2048 to 8192',
    );
    expect(() => load({ corsOrigins: '*,https://shop.example' })).toThrow(
      'context key corsOrigins=*,https://shop.example: * allows every origin, so it stands alone',
    );
    expect(() => load({ corsOrigins: 'https://shop.example:443' })).toThrow('leave the default port out of https://shop.example:443');
    expect(load({ corsOrigins: 'https://shop.example:8443' }).corsOrigins).toEqual(['https://shop.example:8443']);
  });

  it('passes the service only CORS origins it accepts', () => {
    for (const corsOrigins of ['*', 'https://shop.example', 'https://shop.example,http://localhost:3000,https://[::1]:8443']) {
      const setting = load({ corsOrigins }).corsOrigins.join(',');
      expect((loadConfig({ FLAGSTACK_CORS_ORIGINS: setting }) as Record<string, unknown>).FLAGSTACK_CORS_ORIGINS).toBe(setting);
    }
  });

  it('stops synth on a bad context value', () => {
    expect(() => buildApp({ singleBoxInstanceType: 'm5.large' })).toThrow(
      /^Invalid stage configuration: context key singleBoxInstanceType=m5.large: must look like/,
    );
  });

  it('through the CDK CLI: a bad value prints its one-line message, without a stack trace, and fails', () => {
    // The real CLI parses `-c`; the app is the bundle `npm run build` made (cdk.json runs the build first).
    const output = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cli-'));
    try {
      const run = spawnSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
          'synth',
          '--quiet',
          '--app',
          'node dist/infra/flagstack.js',
          '--output',
          output,
          '-c',
          'account=012345678901',
          '-c',
          'region=eu-west-1',
          '-c',
          'fargateCpu=300',
        ],
        { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' }, timeout: 60_000 },
      );
      const message = 'Invalid stage configuration: context key fargateCpu=300: must be one of: 256, 512, 1024, 2048, 4096';
      const lines = `${run.stdout}${run.stderr}`.split('\n');
      expect(run.status).not.toBe(0);
      // account and region as the README writes them pass; only fargateCpu is reported, once.
      expect(lines.filter((line) => line.includes('Invalid stage configuration'))).toEqual([message]);
      expect(lines.filter((line) => /^\s+at /.test(line))).toEqual([]);
    } finally {
      fs.rmSync(output, { recursive: true, force: true });
    }
  });
});
