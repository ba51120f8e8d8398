/**
 * The stage configuration of the CDK app: one typed, validated object with defaults, every key
 * overridable through CDK context (`cdk synth -c singleBoxInstanceType=t4g.medium`). A bad value
 * stops synth with one line per bad key, naming it and what it accepts.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { REGION_LOCATIONS } from './edge-regions';

// Every string and list setting says what it accepts in `expected`, the text of its error message;
// numbers, booleans and choices of literals derive theirs from the schema (expectedOf).

/** An EC2 instance type such as `t4g.small`. */
const InstanceType = (description: string, fallback: string) =>
  Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$', default: fallback, description, expected: 'an instance type such as t4g.medium' });
/** A Graviton (ARM64) instance type: the family ends in `g` plus optional suffixes (`t4g`, `c7gn`, `m8gd`). */
const GravitonInstanceType = (description: string, fallback: string) =>
  Type.String({
    pattern: '^[a-z]+[0-9]+g[a-z]*\\.[a-z0-9]+$',
    default: fallback,
    description,
    expected: 'a Graviton (ARM64) instance type such as t4g.small, m7g.large or c7gn.xlarge',
  });
const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]$';
/**
 * A web origin as browsers send it in `Origin`: http or https (the schemes the service accepts), a
 * lower-case host, a port only when it is not the scheme's default (checked in crossCheck), no path;
 * or `*`.
 */
const CORS_ORIGIN_PATTERN =
  '^(\\*|https?://(\\[[0-9a-f:.]+\\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?)$';

/** The edge regions when `edgeRegions` is not given: the home region, then these (without it). */
export const DEFAULT_EDGE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'] as const;

/** Every setting, its type, range and default. */
export const StageConfigSchema = Type.Object({
  account: Type.String({
    pattern: '^[0-9]{12}$',
    default: '123456789012',
    description: 'AWS account of every stack',
    expected: 'a 12-digit AWS account id, leading zeros included (e.g. 012345678901)',
  }),
  region: Type.String({ pattern: REGION_PATTERN, default: 'us-east-1', description: 'Home region of every stack', expected: 'an AWS region such as eu-west-2' }),
  domainName: Type.Optional(
    Type.String({
      pattern: '^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$',
      description: 'Public host name of the service; unset serves plain HTTP on the instance or CloudFront domain',
      expected: 'a lower-case domain name such as flags.example.com',
    }),
  ),
  certificateArn: Type.Optional(
    Type.String({
      pattern: '^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$',
      description: 'ACM certificate (us-east-1) for domainName; CloudFront (rounds 2-4) serves domainName only with it',
      expected: 'an ACM certificate ARN in us-east-1 (arn:aws:acm:us-east-1:<account>:certificate/<id>)',
    }),
  ),
  cloudFrontPrefixListId: Type.Optional(
    Type.String({
      pattern: '^pl-[0-9a-f]+$',
      description: "CloudFront's origin-facing managed prefix list in the region (unset: known for us-east-1, looked up elsewhere)",
      expected: 'a prefix list id such as pl-3b927c52',
    }),
  ),
  alarmEmail: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Who receives alarms', expected: 'an email address' })),
  corsOrigins: Type.Array(
    Type.String({ pattern: CORS_ORIGIN_PATTERN }),
    {
      minItems: 1,
      uniqueItems: true,
      default: ['*'],
      description: 'Web origins whose pages may call the SDK and OFREP endpoints (comma-separated), or * for any (FLAGSTACK_CORS_ORIGINS)',
      expected: '* or a comma-separated list of different origins such as https://shop.example,http://localhost:3000 (http:// or https://, a lower-case host, an optional port, no path)',
    },
  ),
  singleBoxInstanceType: GravitonInstanceType('Round 1: the one Graviton instance', 't4g.small'),
  singleBoxDataVolumeGiB: Type.Integer({ minimum: 8, maximum: 16384, default: 20, description: 'Round 1: PostgreSQL data volume' }),
  backupRetentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 35, description: 'Round 1: how long the nightly dumps are kept (rounds 2 and 3 keep automated backups 7 days)' }),
  autoscaledInstanceType: GravitonInstanceType('Round 2: instance type of the Auto Scaling group', 't4g.micro'),
  autoscaledMinInstances: Type.Integer({ minimum: 2, maximum: 100, default: 2, description: 'Round 2: fewest instances (≥ 2: one per AZ)' }),
  autoscaledMaxInstances: Type.Integer({ minimum: 2, maximum: 100, default: 6, description: 'Round 2: most instances' }),
  requestsPerTarget: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 1000, description: 'Target tracking: ALB requests per target per minute' }),
  databaseProvisioned: Type.Boolean({ default: false, description: 'Round 2: provisioned Aurora instances instead of Serverless v2' }),
  databaseInstanceClass: InstanceType('Round 2 provisioned / Round 3: database instance class (without the db. prefix)', 't4g.medium'),
  auroraMinCapacity: Type.Number({ minimum: 0, maximum: 256, default: 0.5, description: 'Serverless v2: fewest ACUs' }),
  auroraMaxCapacity: Type.Number({ minimum: 1, maximum: 256, default: 4, description: 'Serverless v2: most ACUs' }),
  fargateCpu: Type.Union([256, 512, 1024, 2048, 4096].map((cpu) => Type.Literal(cpu)), {
    default: 512,
    description: 'Round 3: task CPU units (1024 = one vCPU)',
  }),
  fargateMemoryMiB: Type.Integer({ minimum: 512, maximum: 30720, default: 1024, description: 'Round 3: task memory (must suit fargateCpu)' }),
  fargateMinTasks: Type.Integer({ minimum: 2, maximum: 1000, default: 2, description: 'Round 3: fewest tasks (≥ 2: one per AZ)' }),
  fargateMaxTasks: Type.Integer({ minimum: 2, maximum: 1000, default: 10, description: 'Round 3: most tasks' }),
  multiAz: Type.Boolean({ default: true, description: 'Rounds 2 and 3: a standby database instance in a second AZ' }),
  // No default here: it follows `region` (defaultEdgeRegions), which a schema default cannot.
  edgeRegions: Type.Array(Type.String({ pattern: REGION_PATTERN }), {
    minItems: 1,
    maxItems: 10,
    uniqueItems: true,
    description: `Round 4: the regions with an edge function and a replica of the flag table (comma-separated); must include region, the home (default: region, then ${DEFAULT_EDGE_REGIONS.join(', ')})`,
    expected: 'a comma-separated list of 1 to 10 different AWS regions such as us-east-1,eu-west-2',
  }),
  edgeName: Type.String({
    pattern: '^[a-z][a-z0-9-]{2,39}$',
    default: 'flagstack-edge',
    description: 'Round 4: name of the flag table and of the edge function in every region',
    expected: '3 to 40 lower-case letters, digits and hyphens, starting with a letter',
  }),
  edgeMemoryMiB: Type.Integer({ minimum: 128, maximum: 10240, default: 512, description: 'Round 4: memory of the edge function (CPU grows with it)' }),
  edgeTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 30, default: 10, description: 'Round 4: longest an edge invocation may run' }),
  edgeReservedConcurrency: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100_000, description: 'Round 4: concurrency reserved for the edge function in each region (unset: the shared pool)' }),
  ),
  edgeRefreshSeconds: Type.Integer({
    minimum: 1,
    maximum: 300,
    default: 5,
    description: 'Round 4: how long a warm edge function serves an environment before checking its version',
  }),
  edgeTraitTtlDays: Type.Integer({
    minimum: 0,
    maximum: 36_500,
    default: 0,
    description: "Round 4: days an identity's traits are kept after its last write (0 keeps them)",
  }),
  fargatePublishesToEdge: Type.Boolean({
    default: true,
    description: "Round 3: the service publishes every environment to round 4's flag table",
  }),
  alarm5xxPercent: Type.Number({ minimum: 0, maximum: 100, default: 1, description: 'Alarm: share of 5xx responses, in percent' }),
  alarmP99LatencyMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 250, description: 'Alarm: p99 latency in milliseconds' }),
});
export type StageConfig = Static<typeof StageConfigSchema>;
type StageConfigKey = keyof StageConfig;

/** The context keys: exactly the schema's properties. */
export const STAGE_CONFIG_KEYS = Object.keys(StageConfigSchema.properties) as StageConfigKey[];

export class StageConfigError extends Error {}

/** The edge regions of a home region that does not name them: the home first (the failover order). */
export function defaultEdgeRegions(home: string): string[] {
  return [home, ...DEFAULT_EDGE_REGIONS.filter((region) => region !== home)];
}

/** What a setting accepts, in words: the end of every error message about it. */
export function expectedOf(key: StageConfigKey): string {
  const schema: TSchema = StageConfigSchema.properties[key];
  if (typeof schema.expected === 'string') return schema.expected;
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((choice: TSchema) => 'const' in choice)) {
    return `one of ${schema.anyOf.map((choice: TSchema) => choice.const).join(', ')}`;
  }
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'number') return `a number from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'boolean') return 'true or false';
  throw new Error(`lib/config.ts: setting ${key} needs an \`expected\` text`);
}

/** A value as it was given: a command-line string as typed, anything else as JSON. */
const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Recognised context keys that are not settings: CDK's own (`aws:cdk:…`, `@aws-cdk/…:…`, lookups). */
const isCdkContextKey = (key: string) => key.includes(':') || key.startsWith('@');

/**
 * Turns a context value into the setting's type. The CDK CLI passes every `-c key=value` as the
 * string after the first `=`, untouched (`-c account=012345678901` arrives as "012345678901"); cdk.json
 * and programmatic context may hold numbers, booleans and lists. Returns a problem text instead when
 * the value cannot be the setting whatever the schema says.
 */
function fromContext(key: StageConfigKey, value: unknown): { value: unknown } | { problem: string } {
  const schema: TSchema = StageConfigSchema.properties[key];
  if (typeof value === 'number' && schema.type === 'string') {
    // An account id is a string of 12 digits; a JSON number has lost any leading zeros.
    if (key === 'account' && Number.isInteger(value) && value >= 1e11 && value < 1e12) return { value: String(value) };
    if (key === 'account') {
      return { problem: `must be ${expectedOf(key)}; a number cannot keep leading zeros, so give it as a string ("account": "0…" in cdk.json, or -c account=0…)` };
    }
  }
  if (typeof value !== 'string') return { value };
  const text = value.trim();
  if (schema.type === 'array') {
    if (!text.startsWith('[')) return { value: text.split(',').map((item) => item.trim()) };
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { problem: `must be ${expectedOf(key)}, or a JSON list; this is neither` };
    }
  }
  const numeric = schema.type === 'integer' || schema.type === 'number' || Array.isArray(schema.anyOf);
  if (numeric && /^-?[0-9]+(\.[0-9]+)?$/.test(text)) return { value: Number(text) };
  if (schema.type === 'boolean' && (text === 'true' || text === 'false')) return { value: text === 'true' };
  return { value: text };
}

/** Fargate's task sizes: the memory each CPU size takes, in MiB (256 CPU units: 512, 1024 or 2048). */
const FARGATE_MEMORY_MIB: Readonly<Record<StageConfig['fargateCpu'], { min: number; max: number }>> = {
  256: { min: 512, max: 2048 },
  512: { min: 1024, max: 4096 },
  1024: { min: 2048, max: 8192 },
  2048: { min: 4096, max: 16384 },
  4096: { min: 8192, max: 30720 },
};

function fargateMemoryProblem(cpu: StageConfig['fargateCpu'], memoryMiB: number): string | undefined {
  if (cpu === 256) return [512, 1024, 2048].includes(memoryMiB) ? undefined : 'with fargateCpu=256 must be 512, 1024 or 2048';
  const { min, max } = FARGATE_MEMORY_MIB[cpu];
  return memoryMiB >= min && memoryMiB <= max && memoryMiB % 1024 === 0 ? undefined : `with fargateCpu=${cpu} must be a multiple of 1024 from ${min} to ${max}`;
}

/** Checks between settings, once each is valid on its own. */
function crossCheck(config: StageConfig): string[] {
  const problems: string[] = [];
  const atLeast = (key: StageConfigKey, other: StageConfigKey) => {
    if ((config[key] as number) < (config[other] as number)) {
      problems.push(`context key ${key}=${config[key]}: must be at least ${other} (${config[other]})`);
    }
  };
  atLeast('autoscaledMaxInstances', 'autoscaledMinInstances');
  atLeast('fargateMaxTasks', 'fargateMinTasks');
  atLeast('auroraMaxCapacity', 'auroraMinCapacity');
  const memory = fargateMemoryProblem(config.fargateCpu, config.fargateMemoryMiB);
  if (memory !== undefined) problems.push(`context key fargateMemoryMiB=${config.fargateMemoryMiB}: ${memory}`);
  if (config.certificateArn !== undefined && config.domainName === undefined) {
    problems.push('context key certificateArn: needs domainName');
  }
  // The home region is always an edge region, so it needs a location too.
  if (REGION_LOCATIONS[config.region] === undefined) {
    problems.push(`context key region=${config.region}: unknown region (lib/edge-regions.ts lists the known ones)`);
  }
  const regions = config.edgeRegions.join(',');
  if (!config.edgeRegions.includes(config.region)) {
    problems.push(`context key edgeRegions=${regions}: must include region (${config.region}), the home of the flag table`);
  }
  const unlocated = config.edgeRegions.filter((region) => region !== config.region && REGION_LOCATIONS[region] === undefined);
  if (unlocated.length > 0) {
    problems.push(`context key edgeRegions=${regions}: unknown region ${unlocated.join(', ')} (lib/edge-regions.ts lists the known ones)`);
  }
  const origins = config.corsOrigins.join(',');
  if (config.corsOrigins.includes('*') && config.corsOrigins.length > 1) {
    problems.push(`context key corsOrigins=${origins}: * allows every origin, so it stands alone`);
  }
  // Browsers leave the default port out of Origin: `https://shop.example:443` would never match.
  const defaultPort = config.corsOrigins.filter((origin) => /^https:\/\/.*:443$|^http:\/\/.*:80$/.test(origin));
  if (defaultPort.length > 0) {
    problems.push(`context key corsOrigins=${origins}: leave the default port out of ${defaultPort.join(', ')} (browsers send the origin without it)`);
  }
  return problems;
}

/**
 * Reads the settings from `context` (the app's whole context: CDK's own keys are passed over),
 * applies the defaults and validates. Throws StageConfigError with one line per bad key, naming it
 * and what it accepts; a key that is no setting is an error too (a misspelt setting would otherwise
 * be ignored in silence).
 */
export function loadStageConfig(context: Readonly<Record<string, unknown>>): StageConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === '' || isCdkContextKey(key)) continue;
    if (!(STAGE_CONFIG_KEYS as string[]).includes(key)) {
      const sameLetters = STAGE_CONFIG_KEYS.find((setting) => setting.toLowerCase() === key.toLowerCase());
      problems.push(
        sameLetters !== undefined
          ? `context key ${key}: not a setting; did you mean ${sameLetters}?`
          : `context key ${key}: not a setting; the settings are ${STAGE_CONFIG_KEYS.join(', ')}`,
      );
      continue;
    }
    const converted = fromContext(key as StageConfigKey, value);
    if ('problem' in converted) problems.push(`context key ${key}=${shown(value)}: ${converted.problem}`);
    else raw[key] = converted.value;
  }
  if (raw.edgeRegions === undefined) {
    // A bad region is reported once, as region: its edge regions default from the default home.
    const home = typeof raw.region === 'string' && new RegExp(REGION_PATTERN).test(raw.region) ? raw.region : StageConfigSchema.properties.region.default;
    raw.edgeRegions = defaultEdgeRegions(home);
  }
  const config = Value.Default(StageConfigSchema, structuredClone(raw)) as StageConfig;
  const badKeys = new Set([...Value.Errors(StageConfigSchema, config)].map((error) => error.path.split('/')[1] as StageConfigKey));
  for (const key of badKeys) problems.push(`context key ${key}=${shown(context[key])}: must be ${expectedOf(key)}`);
  if (problems.length === 0) problems.push(...crossCheck(config));
  if (problems.length === 1) throw new StageConfigError(`Invalid stage configuration: ${problems[0]}`);
  if (problems.length > 1) throw new StageConfigError(`Invalid stage configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
