/**
 * The stage configuration of the CDK app: one typed, validated object with defaults, every key
 * overridable through CDK context (`cdk synth -c singleBoxInstanceType=t4g.medium`). A bad value
 * stops synth with one line per bad key, naming it and what it accepts (lib/context-settings.ts, the
 * way service/settings.ts reads the service's settings).
 */
import { Type, type Static } from '@sinclair/typebox';
import { atLeast, GravitonInstanceType, InstanceType, loadContextSettings, Region, type SettingProblem } from './context-settings';
import { REGION_LOCATIONS } from './edge-regions';

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
    examples: ['012345678901'],
    default: '123456789012',
    description: 'AWS account of every stack (12 digits, leading zeros included)',
  }),
  region: Region({ default: 'us-east-1', description: 'Home region of every stack' }),
  domainName: Type.Optional(
    Type.String({
      pattern: '^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$',
      examples: ['flags.example.com'],
      description: 'Public host name of the service; unset serves plain HTTP on the instance or CloudFront domain',
    }),
  ),
  certificateArn: Type.Optional(
    Type.String({
      pattern: '^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$',
      examples: ['arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'],
      description: 'ACM certificate (us-east-1) for domainName; CloudFront (rounds 2-4) serves domainName only with it',
    }),
  ),
  cloudFrontPrefixListId: Type.Optional(
    Type.String({
      pattern: '^pl-[0-9a-f]+$',
      examples: ['pl-3b927c52'],
      description: "CloudFront's origin-facing managed prefix list in the region (unset: known for us-east-1, looked up elsewhere)",
    }),
  ),
  alarmEmail: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', examples: ['ops@example.com'], description: 'Who receives alarms' })),
  corsOrigins: Type.Array(
    Type.String({ pattern: CORS_ORIGIN_PATTERN, examples: ['*', 'https://shop.example', 'http://localhost:3000'] }),
    {
      minItems: 1,
      uniqueItems: true,
      default: ['*'],
      description: 'Web origins whose pages may call the SDK and OFREP endpoints (comma-separated), or * for any (FLAGSTACK_CORS_ORIGINS)',
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
  edgeRegions: Type.Optional(
    Type.Array(Region(), {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: `Round 4: the regions with an edge function and a replica of the flag table (comma-separated); must include region, the home (default: region, then ${DEFAULT_EDGE_REGIONS.join(', ')})`,
    }),
  ),
  edgeName: Type.String({
    pattern: '^[a-z][a-z0-9-]*$',
    minLength: 3,
    maxLength: 40,
    examples: ['flagstack-edge'],
    default: 'flagstack-edge',
    description: 'Round 4: name of the flag table and of the edge function in every region (lower-case letters, digits and hyphens)',
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
/** The settings as the schema reads them; `edgeRegions` is unset when it follows the home region. */
type Settings = Static<typeof StageConfigSchema>;
/** The configuration: every setting, `edgeRegions` resolved. */
export type StageConfig = Omit<Settings, 'edgeRegions'> & { readonly edgeRegions: string[] };
type StageConfigKey = keyof Settings;

/** The context keys: exactly the schema's properties. */
export const STAGE_CONFIG_KEYS = Object.keys(StageConfigSchema.properties) as StageConfigKey[];

/** The edge regions of a home region that does not name them: the home first (the failover order). */
export function defaultEdgeRegions(home: string): string[] {
  return [home, ...DEFAULT_EDGE_REGIONS.filter((region) => region !== home)];
}

/** Fargate's task sizes: the memory each CPU size takes, in MiB (256 CPU units: 512, 1024 or 2048). */
const FARGATE_MEMORY_MIB: Readonly<Record<number, { min: number; max: number }>> = {
  256: { min: 512, max: 2048 },
  512: { min: 1024, max: 4096 },
  1024: { min: 2048, max: 8192 },
  2048: { min: 4096, max: 16384 },
  4096: { min: 8192, max: 30720 },
};

function fargateMemoryProblem(cpu: number, memoryMiB: number): string | undefined {
  if (cpu === 256) return [512, 1024, 2048].includes(memoryMiB) ? undefined : 'with fargateCpu=256 must be 512, 1024 or 2048';
  const { min, max } = FARGATE_MEMORY_MIB[cpu];
  return memoryMiB >= min && memoryMiB <= max && memoryMiB % 1024 === 0 ? undefined : `with fargateCpu=${cpu} must be a multiple of 1024 from ${min} to ${max}`;
}

/** Checks between settings, once each is valid on its own. */
function crossCheck(config: Settings): SettingProblem[] {
  const problems: SettingProblem[] = [
    ...atLeast(config, 'autoscaledMaxInstances', 'autoscaledMinInstances'),
    ...atLeast(config, 'fargateMaxTasks', 'fargateMinTasks'),
    ...atLeast(config, 'auroraMaxCapacity', 'auroraMinCapacity'),
  ];
  const memory = fargateMemoryProblem(config.fargateCpu, config.fargateMemoryMiB);
  if (memory !== undefined) problems.push({ key: 'fargateMemoryMiB', message: memory });
  if (config.certificateArn !== undefined && config.domainName === undefined) problems.push({ key: 'certificateArn', message: 'needs domainName' });
  // The home region is always an edge region, so it needs a location too.
  if (REGION_LOCATIONS[config.region] === undefined) problems.push({ key: 'region', message: 'unknown region (lib/edge-regions.ts lists the known ones)' });
  const edgeRegions = config.edgeRegions ?? defaultEdgeRegions(config.region);
  if (!edgeRegions.includes(config.region)) problems.push({ key: 'edgeRegions', message: `must include region (${config.region}), the home of the flag table` });
  const unlocated = edgeRegions.filter((region) => region !== config.region && REGION_LOCATIONS[region] === undefined);
  if (unlocated.length > 0) problems.push({ key: 'edgeRegions', message: `unknown region ${unlocated.join(', ')} (lib/edge-regions.ts lists the known ones)` });
  if (config.corsOrigins.includes('*') && config.corsOrigins.length > 1) problems.push({ key: 'corsOrigins', message: '* allows every origin, so it stands alone' });
  // Browsers leave the default port out of Origin: `https://shop.example:443` would never match.
  const defaultPort = config.corsOrigins.filter((origin) => /^https:\/\/.*:443$|^http:\/\/.*:80$/.test(origin));
  if (defaultPort.length > 0) {
    problems.push({ key: 'corsOrigins', message: `leave the default port out of ${defaultPort.join(', ')} (browsers send the origin without it)` });
  }
  return problems;
}

/**
 * Reads the settings from `context` (the app's whole context: CDK's own keys are passed over),
 * applies the defaults and validates. Throws ContextSettingsError with one line per bad key, naming
 * it and what it accepts; a key that is no setting is an error too.
 */
export function loadStageConfig(context: Readonly<Record<string, unknown>>): StageConfig {
  const config = loadContextSettings(StageConfigSchema, context, { title: 'stage configuration', check: crossCheck });
  return { ...config, edgeRegions: config.edgeRegions ?? defaultEdgeRegions(config.region) };
}
