/**
 * The stage configuration of the CDK app: one typed, validated object with defaults, every key
 * overridable through CDK context (`cdk synth -c singleBoxInstanceType=t4g.medium`). The settings
 * every stage shares are here; each stage's own are in its entry of the stage registry
 * (lib/stages/index.ts). A bad value stops synth with one line per bad key, naming it and what it
 * accepts (lib/context-settings.ts).
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { loadContextSettings, Region, type SettingProblem } from './context-settings';
import { REGION_LOCATIONS } from './edge-regions';
import { shiftProblems, STAGES } from './stages';

/**
 * A web origin as browsers send it in `Origin`: http or https (the schemes the service accepts), a
 * lower-case host, a port only when it is not the scheme's default (checked below), no path; or `*`.
 */
const CORS_ORIGIN_PATTERN =
  '^(\\*|https?://(\\[[0-9a-f:.]+\\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?)$';

/** The settings every stage reads: where the stacks go, the public name, who is alarmed and when, CORS. */
export const COMMON_SETTINGS = {
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
      description: 'ACM certificate (us-east-1) for domainName; CloudFront (autoscaled, fargate, edge) serves domainName only with it',
    }),
  ),
  alarmEmail: Type.Optional(
    Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', examples: ['ops@example.com'], description: 'Who receives alarms' }),
  ),
  corsOrigins: Type.Array(Type.String({ pattern: CORS_ORIGIN_PATTERN, examples: ['*', 'https://shop.example', 'http://localhost:3000'] }), {
    minItems: 1,
    uniqueItems: true,
    default: ['*'],
    description: 'Web origins whose pages may call the SDK and OFREP endpoints (comma-separated), or * for any (FLAGSTACK_CORS_ORIGINS)',
  }),
  alarm5xxPercent: Type.Number({ minimum: 0, maximum: 100, default: 1, description: 'Alarm: share of 5xx responses, in percent' }),
  alarmP99LatencyMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 250, description: 'Alarm: p99 latency in milliseconds' }),
};

/** The shared settings, as every stage reads them. */
type CommonConfig = Static<TObject<typeof COMMON_SETTINGS>>;

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (intersection: infer I) => void ? I : never;
/** Every stage's own settings, as one record (a setting two stages read appears once). */
type StageSettings = UnionToIntersection<(typeof STAGES)[number]['settings']>;

/** Every setting, its type, range and default: the shared ones, then each stage's, in stage order. */
export const StageConfigSchema = Type.Object({
  ...COMMON_SETTINGS,
  ...(Object.assign({}, ...STAGES.map((stage) => stage.settings)) as StageSettings),
});
export type StageConfig = Static<typeof StageConfigSchema>;

/** The context keys: exactly the schema's properties. */
export const STAGE_CONFIG_KEYS = Object.keys(StageConfigSchema.properties) as (keyof StageConfig)[];

/** Checks between the shared settings. */
function commonProblems(config: CommonConfig): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (config.certificateArn !== undefined && config.domainName === undefined)
    problems.push({ key: 'certificateArn', message: 'needs domainName' });
  // Every stack is in the home region, and the edge's router needs to know where it is.
  if (REGION_LOCATIONS[config.region] === undefined)
    problems.push({ key: 'region', message: 'unknown region (lib/edge-regions.ts lists the known ones)' });
  if (config.corsOrigins.includes('*') && config.corsOrigins.length > 1)
    problems.push({ key: 'corsOrigins', message: '* allows every origin, so it stands alone' });
  // Browsers leave the default port out of Origin: `https://shop.example:443` would never match.
  const defaultPort = config.corsOrigins.filter((origin) => /^https:\/\/.*:443$|^http:\/\/.*:80$/.test(origin));
  if (defaultPort.length > 0) {
    problems.push({
      key: 'corsOrigins',
      message: `leave the default port out of ${defaultPort.join(', ')} (browsers send the origin without it)`,
    });
  }
  return problems;
}

/**
 * Reads the settings from `context` (the app's whole context: CDK's own keys are passed over),
 * applies the defaults and validates, then checks between settings (the shared ones, then each
 * stage's). Throws ContextSettingsError with one line per bad key, naming it and what it accepts.
 */
export function loadStageConfig(context: Readonly<Record<string, unknown>>): StageConfig {
  return loadContextSettings(StageConfigSchema, context, {
    title: 'stage configuration',
    check: (config) => [...commonProblems(config), ...shiftProblems(config), ...STAGES.flatMap((stage) => stage.check?.(config) ?? [])],
  });
}
