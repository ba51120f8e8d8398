/**
 * The stage configuration of the CDK app: one typed, validated object with defaults, every key
 * overridable through CDK context (`cdk synth -c singleBoxInstanceType=t4g.medium`). A bad value
 * stops synth with a message naming the context key.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { REGION_LOCATIONS } from './edge-regions';

/** An EC2 instance type such as `t4g.small`. */
const InstanceType = (description: string, fallback: string) =>
  Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$', default: fallback, description });
/** A Graviton (ARM64) instance type: the family ends in `g` plus optional suffixes (`t4g`, `c7gn`, `m8gd`). */
const GravitonInstanceType = (description: string, fallback: string) =>
  Type.String({ pattern: '^[a-z]+[0-9]+g[a-z]*\\.[a-z0-9]+$', default: fallback, description });
const Region = Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$' });

/** Every setting, its type, range and default. */
export const StageConfigSchema = Type.Object({
  account: Type.String({ pattern: '^[0-9]{12}$', default: '123456789012', description: 'AWS account of every stack' }),
  region: Type.Union([Region], { default: 'us-east-1', description: 'Home region of every stack' }),
  domainName: Type.Optional(
    Type.String({
      pattern: '^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$',
      description: 'Public host name of the service; unset serves plain HTTP on the instance or CloudFront domain',
    }),
  ),
  certificateArn: Type.Optional(
    Type.String({
      pattern: '^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$',
      description: 'ACM certificate (us-east-1) for domainName; CloudFront (rounds 2-4) serves domainName only with it',
    }),
  ),
  cloudFrontPrefixListId: Type.Optional(
    Type.String({
      pattern: '^pl-[0-9a-f]+$',
      description: "CloudFront's origin-facing managed prefix list in the region (known for us-east-1)",
    }),
  ),
  alarmEmail: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Who receives alarms' })),
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
  edgeRegions: Type.Array(Region, {
    minItems: 1,
    maxItems: 10,
    uniqueItems: true,
    default: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
    description: 'Round 4: the regions with an edge function and a replica of the flag table (comma-separated); must include region, the home',
  }),
  edgeName: Type.String({
    pattern: '^[a-z][a-z0-9-]{2,39}$',
    default: 'flagstack-edge',
    description: 'Round 4: name of the flag table and of the edge function in every region',
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

/** The context keys: exactly the schema's properties. */
export const STAGE_CONFIG_KEYS = Object.keys(StageConfigSchema.properties) as (keyof StageConfig)[];

export class StageConfigError extends Error {}

/** Anything that answers context lookups: a construct node, or a plain map in tests. */
export type ContextSource = (key: string) => unknown;

/**
 * Context given on the command line arrives as strings: JSON-looking values are parsed, and a list
 * may be written with commas (`-c edgeRegions=us-east-1,eu-west-1`).
 */
function fromContext(key: keyof StageConfig, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (StageConfigSchema.properties[key].type === 'array') {
    return trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split(',').map((item) => item.trim());
  }
  return /^(true|false|-?[0-9]+(\.[0-9]+)?)$/.test(trimmed) ? JSON.parse(trimmed) : value;
}

/**
 * Reads every key from the context, applies the defaults and validates; throws StageConfigError
 * naming every bad key.
 */
export function loadStageConfig(context: ContextSource): StageConfig {
  const raw: Record<string, unknown> = {};
  for (const key of STAGE_CONFIG_KEYS) {
    const value = context(key);
    if (value !== undefined && value !== '') {
      try {
        raw[key] = fromContext(key, value);
      } catch {
        throw new StageConfigError(`Invalid stage configuration:\n  context key "${key}"=${JSON.stringify(value)}: not a JSON list`);
      }
    }
  }
  const withDefaults = Value.Default(StageConfigSchema, structuredClone(raw));
  const problems = [...Value.Errors(StageConfigSchema, withDefaults)].map((e) => {
    const key = e.path.slice(1).split('/')[0] || '(config)';
    return `context key "${key}"=${JSON.stringify(raw[key])}: ${e.message}`;
  });
  const config = withDefaults as StageConfig;
  if (problems.length === 0) {
    if (config.autoscaledMaxInstances < config.autoscaledMinInstances) {
      problems.push(`context key "autoscaledMaxInstances"=${config.autoscaledMaxInstances}: must be at least autoscaledMinInstances (${config.autoscaledMinInstances})`);
    }
    if (config.fargateMaxTasks < config.fargateMinTasks) {
      problems.push(`context key "fargateMaxTasks"=${config.fargateMaxTasks}: must be at least fargateMinTasks (${config.fargateMinTasks})`);
    }
    if (config.auroraMaxCapacity < config.auroraMinCapacity) {
      problems.push(`context key "auroraMaxCapacity"=${config.auroraMaxCapacity}: must be at least auroraMinCapacity (${config.auroraMinCapacity})`);
    }
    if (config.certificateArn !== undefined && config.domainName === undefined) {
      problems.push('context key "certificateArn": needs domainName');
    }
    if (!config.edgeRegions.includes(config.region)) {
      problems.push(`context key "edgeRegions"=${JSON.stringify(config.edgeRegions)}: must include region (${config.region}), the home of the flag table`);
    }
    const unlocated = config.edgeRegions.filter((region) => REGION_LOCATIONS[region] === undefined);
    if (unlocated.length > 0) {
      problems.push(`context key "edgeRegions"=${JSON.stringify(config.edgeRegions)}: unknown region ${unlocated.join(', ')} (lib/edge-regions.ts lists the known ones)`);
    }
  }
  if (problems.length > 0) {
    throw new StageConfigError(`Invalid stage configuration:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return config;
}
