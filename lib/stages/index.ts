/**
 * The stage registry: every stage of flagstack, in order, with everything the rest of the project
 * needs to know about it. Its id (what `npm run cost -- --stage` and the tests name it), its stacks'
 * names, what it builds in one line (its stacks' description), its own settings (context keys, with
 * their defaults; the shared ones are in lib/config.ts), the checks between them, and how the
 * validated settings become its stacks' props. The CDK app (lib/app.ts), the configuration
 * (lib/config.ts), the cost estimator and the tests all read this list.
 *
 * A new stage is a stack file in this folder and an entry below, added to STAGES. (The cost estimator
 * prices the resource types the stages use today; a type it does not know is listed as unpriced, and
 * test/cost/discovery.test.ts fails until lib/cost prices it.)
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { type App, Duration, type Environment } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { COMMON_SETTINGS, StageConfig } from '../config';
import { atLeast, GravitonInstanceType, InstanceType, Region, type SettingProblem } from '../context-settings';
import { defaultRequestsPerTarget } from '../capacity-figures';
import { IPV4_ADDRESS_PATTERN, type StageTrafficShift, TRAFFIC_SHARES } from '../constructs/traffic-shift';
import { CLOUDFRONT_DOMAIN_PATTERN, DISTRIBUTION_ID_PATTERN, type StageTrafficSplit } from '../constructs/traffic-split';
import { REGION_LOCATIONS } from '../edge-regions';
import { vcpusOf } from '../instance-types';
import { AutoscaledStack } from './autoscaled-stack';
import { EdgeRegionStack, type EdgeRegionStackProps } from './edge-region-stack';
import { EdgeStack } from './edge-stack';
import { FargateStack, taskMemoryProblem } from './fargate-stack';
import type { LoadBalancedStackProps } from './load-balanced-stack';
import { SingleBoxStack } from './single-box-stack';

/** The settings a stage reads: the shared ones (lib/config.ts) and its own. */
export type SettingsOf<Own extends TProperties> = Static<TObject<typeof COMMON_SETTINGS & Own>>;

/** What the registry gives a stage as it adds its stacks. */
export interface StageScope {
  /** The name of its main stack (the entry's `stackName`). */
  readonly stackName: string;
  /** `flagstack stage 2 (autoscaled)`: how its stacks' descriptions begin. */
  readonly label: string;
  /** The main stack's `env` (the home account and region) and `description` (the label and the summary). */
  readonly stackProps: { readonly env: Environment; readonly description: string };
}

export interface StageDefinition<Id extends string, Own extends TProperties, Stacks> {
  /** The stage's name in code, reports and on the command line: lower-case words joined by hyphens. */
  readonly id: Id;
  /**
   * The name of its main stack, in the home region. Any other stack it adds is named this plus a
   * suffix (`Flagstack-Edge-eu-west-1`, `Flagstack-Edge-LambdaEdge`): the stacks whose name is this,
   * or starts with this and `-`, make up the stage.
   */
  readonly stackName: string;
  /** What it builds, in one line: its main stack's description after the label. */
  readonly summary: string;
  /** Its own settings: context keys, each with its type, range and default. */
  readonly settings: Own;
  /**
   * Checks between settings it reads, once each is valid on its own.
   * @default none
   */
  readonly check?: (config: SettingsOf<Own>) => SettingProblem[];
  /** Adds its stacks to `app`, each given the props it needs from the settings; returns them. */
  readonly addTo: (app: App, config: SettingsOf<Own>, scope: StageScope) => Stacks;
}

/** Infers an entry's types (its id as a literal, its settings, what it returns). */
const defineStage = <Id extends string, Own extends TProperties, Stacks>(stage: StageDefinition<Id, Own, Stacks>) => stage;

// ---------------------------------------------------------------------------------------------------
// single-box

const SINGLE_BOX_SETTINGS = {
  singleBoxInstanceType: GravitonInstanceType('single-box: the one Graviton instance', 't4g.small'),
  singleBoxDataVolumeGiB: Type.Integer({ minimum: 8, maximum: 16384, default: 20, description: 'single-box: PostgreSQL data volume' }),
  backupRetentionDays: Type.Integer({
    minimum: 1,
    maximum: 3650,
    default: 35,
    description: 'single-box: how long the nightly dumps are kept (autoscaled and fargate keep automated backups 7 days)',
  }),
};

const singleBox = defineStage({
  id: 'single-box',
  stackName: 'Flagstack-SingleBox',
  summary: 'one Graviton instance with PostgreSQL, nightly backups to S3',
  settings: SINGLE_BOX_SETTINGS,
  addTo: (app, config, { stackName, stackProps }) =>
    new SingleBoxStack(app, stackName, {
      ...stackProps,
      instanceType: new ec2.InstanceType(config.singleBoxInstanceType),
      dataVolumeGiB: config.singleBoxDataVolumeGiB,
      backupRetention: Duration.days(config.backupRetentionDays),
      corsOrigins: config.corsOrigins,
      domainName: config.domainName,
      alarmEmail: config.alarmEmail,
    }),
});

// ---------------------------------------------------------------------------------------------------
// Moving the SDK traffic to a stage (docs/moves.md), two ways:
// - from the single box, by Route 53 weighted records (TrafficShift: shiftHostedZoneId,
//   shiftFromEndpoint), read by the stage `shiftTo` names;
// - between two stages behind CloudFront (autoscaled → fargate, fargate → edge), inside the previous
//   stage's distribution, which holds domainName (TrafficSplit: shiftToOrigin, shiftToDistributionId),
//   read by the stage BEFORE `shiftTo`: Flagstack-Autoscaled for shiftTo=fargate, Flagstack-Fargate for
//   shiftTo=edge. shiftTo's own stack is left as it is.

/** The stages a move can go to: those behind CloudFront, whose 5xx rate the move's alarm watches. */
const SHIFT_TARGETS = ['autoscaled', 'fargate', 'edge'] as const;
type ShiftTarget = (typeof SHIFT_TARGETS)[number];

/**
 * The stage whose distribution splits the traffic toward each stage a split can go to: the one before
 * it, also behind CloudFront. (autoscaled's previous stage, the single box, has no CloudFront: DNS moves it.)
 */
export const SPLIT_FROM: Readonly<Partial<Record<ShiftTarget, ShiftTarget>>> = { fargate: 'autoscaled', edge: 'fargate' };

const HOST_NAME_PATTERN = '^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$';

const SHIFT_SETTINGS = {
  shiftTo: Type.Optional(
    Type.Union(
      SHIFT_TARGETS.map((id) => Type.Literal(id)),
      {
        description:
          "Traffic shift: the stage taking a share of the SDK traffic from the previous one: from the single box by Route 53 weighted records in shiftTo's stack; from a stage behind CloudFront (shiftToOrigin) by a split in the previous stage's distribution, in that stage's stack (unset: neither)",
      },
    ),
  ),
  shiftHostedZoneId: Type.Optional(
    Type.String({
      pattern: '^Z[0-9A-Z]{1,32}$',
      examples: ['Z0123456789ABCDEFGHIJ'],
      description: 'Traffic shift: the Route 53 public hosted zone holding domainName, where the weighted records go',
    }),
  ),
  shiftFromEndpoint: Type.Optional(
    Type.String({
      pattern: `${IPV4_ADDRESS_PATTERN}|${HOST_NAME_PATTERN}`,
      examples: ['203.0.113.10'],
      description: "Traffic shift: the previous stage's IPv4 address (the single box's Elastic IP, its PublicIp output)",
    }),
  ),
  shiftToOrigin: Type.Optional(
    Type.String({
      pattern: CLOUDFRONT_DOMAIN_PATTERN,
      examples: ['d111111abcdef8.cloudfront.net'],
      description:
        "Traffic split (autoscaled → fargate, fargate → edge): shiftTo's own CloudFront name, an origin of the previous stage's distribution, which sends it shiftShare percent of SDK requests; configures the previous stage's stack (Flagstack-Autoscaled, Flagstack-Fargate), not shiftTo's",
    }),
  ),
  shiftToDistributionId: Type.Optional(
    Type.String({
      pattern: DISTRIBUTION_ID_PATTERN,
      examples: ['E1A2B3C4D5E6F7'],
      description: "Traffic split: the id of shiftTo's distribution, whose 5xx rate ShiftAlarm watches (the share goes to 0 when it fires)",
    }),
  ),
  // No schema default: a share given without shiftTo is an error, not a value in force.
  shiftShare: Type.Optional(
    Type.Union(
      TRAFFIC_SHARES.map((share) => Type.Literal(share)),
      {
        description:
          "Traffic shift: percentage of domainName's DNS answers (from the single box) or of SDK requests (split between two CloudFront stages) given to shiftTo, one step at a time (unset: 0, the records or the split exist, the previous stage keeps all)",
      },
    ),
  ),
};

/**
 * The checks between the traffic-shift settings and the rest: all together, and what the records and
 * the alarm need (the public name served by the stage's CloudFront, the alarm in us-east-1).
 */
export function shiftProblems(config: SettingsOf<typeof SHIFT_SETTINGS>): SettingProblem[] {
  const given = (['shiftHostedZoneId', 'shiftFromEndpoint', 'shiftToOrigin', 'shiftToDistributionId', 'shiftShare'] as const).filter(
    (key) => config[key] !== undefined,
  );
  if (config.shiftTo === undefined) {
    return given.length > 0
      ? [{ key: 'shiftTo', message: `needed with ${given.join(', ')}: the stage taking the traffic, one of ${SHIFT_TARGETS.join(', ')}` }]
      : [];
  }
  if (config.shiftToOrigin !== undefined || config.shiftToDistributionId !== undefined) return splitProblems(config, config.shiftTo);
  const problems: SettingProblem[] = [];
  const needed = (key: string, why: string) => problems.push({ key, message: `needed with shiftTo=${config.shiftTo}: ${why}` });
  if (config.shiftHostedZoneId === undefined)
    needed('shiftHostedZoneId', 'the Route 53 hosted zone of domainName, where the weighted records go');
  if (config.shiftFromEndpoint === undefined)
    needed(
      'shiftFromEndpoint',
      "the previous stage's IPv4 address, the other weighted record (from a stage behind CloudFront: shiftToOrigin and shiftToDistributionId instead)",
    );
  else if (!new RegExp(IPV4_ADDRESS_PATTERN).test(config.shiftFromEndpoint)) {
    problems.push({
      key: 'shiftFromEndpoint',
      message:
        "must be the previous stage's IPv4 address (the single box's Elastic IP): a host name cannot be weighted against this stage's alias A record, " +
        "and a CloudFront stage cannot share domainName with this one's distribution (one alternate domain name, one distribution: docs/moves.md); " +
        'from a stage behind CloudFront, split inside its distribution with shiftToOrigin and shiftToDistributionId',
    });
  }
  if (config.domainName === undefined) needed('domainName', 'the public host name whose records are weighted');
  if (config.certificateArn === undefined) needed('certificateArn', "this stage's CloudFront serves domainName only with its certificate");
  if (config.region !== 'us-east-1') {
    problems.push({
      key: 'region',
      message: `must be us-east-1 with shiftTo: CloudFront publishes the 5xx rate the health check's alarm watches only there`,
    });
  }
  return problems;
}

/**
 * The checks of a split between two CloudFront stages: shiftTo has a previous stage behind CloudFront,
 * both its name and its id are given, no DNS setting, and the alarm in us-east-1.
 */
function splitProblems(config: SettingsOf<typeof SHIFT_SETTINGS>, shiftTo: ShiftTarget): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const from = SPLIT_FROM[shiftTo];
  if (from === undefined) {
    problems.push({
      key: 'shiftTo',
      message:
        `must be ${Object.keys(SPLIT_FROM).join(' or ')} with shiftToOrigin: the stage before ${shiftTo}, the single box, has no CloudFront distribution to split in; ` +
        'move from it by DNS with shiftHostedZoneId and shiftFromEndpoint',
    });
  }
  const needed = (key: string, why: string) => problems.push({ key, message: `needed with shiftTo=${shiftTo} and ${why}` });
  if (config.shiftToOrigin === undefined)
    needed('shiftToOrigin', `shiftToDistributionId: ${shiftTo}'s own CloudFront name (dxxxx.cloudfront.net), the origin the share goes to`);
  if (config.shiftToDistributionId === undefined)
    needed('shiftToDistributionId', `shiftToOrigin: the id of ${shiftTo}'s distribution, whose 5xx rate ShiftAlarm watches`);
  for (const key of ['shiftHostedZoneId', 'shiftFromEndpoint'] as const) {
    if (config[key] !== undefined) {
      problems.push({
        key,
        message: `not with shiftToOrigin: a split between two CloudFront stages happens inside ${from ?? 'the previous stage'}'s distribution, not in DNS`,
      });
    }
  }
  if (config.region !== 'us-east-1') {
    problems.push({
      key: 'region',
      message: 'must be us-east-1 with shiftToOrigin: CloudFront publishes the 5xx rate ShiftAlarm watches only there',
    });
  }
  return problems;
}

/** The move toward stage `id`, when `shiftTo` names it and it comes from the single box (DNS). */
function trafficShiftOf(config: SettingsOf<typeof SHIFT_SETTINGS>, id: ShiftTarget): StageTrafficShift | undefined {
  if (config.shiftTo !== id || config.shiftHostedZoneId === undefined || config.shiftFromEndpoint === undefined) return undefined;
  if (config.shiftToOrigin !== undefined) return undefined;
  return { hostedZoneId: config.shiftHostedZoneId, previousEndpoint: config.shiftFromEndpoint, share: config.shiftShare ?? 0 };
}

/**
 * The public name a stage's CloudFront serves: domainName with its certificate, except for the stage
 * a split moves toward, which takes the certificate alone (handoverCertificateArn) while the previous
 * stage's distribution holds the name, ready for the name's move at the end (docs/moves.md).
 */
function publicNameOf(
  config: SettingsOf<typeof SHIFT_SETTINGS>,
  id: ShiftTarget,
): { domainName?: string; certificateArn?: string; handoverCertificateArn?: string } {
  if (config.shiftTo === id && config.shiftToOrigin !== undefined && SPLIT_FROM[id] !== undefined) {
    return { handoverCertificateArn: config.certificateArn };
  }
  return { domainName: config.domainName, certificateArn: config.certificateArn };
}

/** The split in stage `id`'s distribution, when `shiftTo` names the stage after it. */
function trafficSplitOf(config: SettingsOf<typeof SHIFT_SETTINGS>, id: ShiftTarget): StageTrafficSplit | undefined {
  if (config.shiftTo === undefined || SPLIT_FROM[config.shiftTo] !== id) return undefined;
  if (config.shiftToOrigin === undefined || config.shiftToDistributionId === undefined) return undefined;
  return { nextDomainName: config.shiftToOrigin, nextDistributionId: config.shiftToDistributionId, share: config.shiftShare ?? 0 };
}

// ---------------------------------------------------------------------------------------------------
// The load-balanced tier (load-balanced-stack.ts): autoscaled and fargate

const LOAD_BALANCED_SETTINGS = {
  cloudFrontPrefixListId: Type.Optional(
    Type.String({
      pattern: '^pl-[0-9a-f]+$',
      examples: ['pl-3b927c52'],
      description:
        "autoscaled, fargate: CloudFront's origin-facing managed prefix list in the region (unset: known for us-east-1, looked up elsewhere)",
    }),
  ),
  requestsPerTarget: Type.Optional(
    Type.Integer({
      minimum: 10,
      maximum: 1_000_000,
      description:
        'autoscaled, fargate: scale out above this many ALB requests per target per minute (unset: what one instance or task serves at 50% CPU by the capacity figure, lib/capacity-figures.ts)',
    }),
  ),
  databaseInstanceClass: InstanceType('autoscaled (provisioned), fargate: database instance class (without the db. prefix)', 't4g.medium'),
  multiAz: Type.Boolean({ default: true, description: 'autoscaled, fargate: a standby database instance in a second AZ' }),
  ...SHIFT_SETTINGS,
};

/** The props of the tier both load-balanced stages share. */
/** `usableVcpus`: the vCPUs one instance or task runs the service on (one Node worker each). */
const loadBalancedProps = (
  config: SettingsOf<typeof LOAD_BALANCED_SETTINGS>,
  id: ShiftTarget,
  usableVcpus: number,
): LoadBalancedStackProps => ({
  corsOrigins: config.corsOrigins,
  requestsPerTarget: config.requestsPerTarget ?? defaultRequestsPerTarget(usableVcpus),
  alarm5xxPercent: config.alarm5xxPercent,
  alarmP99Latency: Duration.millis(config.alarmP99LatencyMs),
  multiAz: config.multiAz,
  ...publicNameOf(config, id),
  cloudFrontPrefixListId: config.cloudFrontPrefixListId,
  alarmEmail: config.alarmEmail,
  trafficShift: trafficShiftOf(config, id),
  trafficSplit: trafficSplitOf(config, id),
});

// ---------------------------------------------------------------------------------------------------
// autoscaled

const AUTOSCALED_SETTINGS = {
  ...LOAD_BALANCED_SETTINGS,
  autoscaledInstanceType: GravitonInstanceType('autoscaled: instance type of the Auto Scaling group', 't4g.micro'),
  autoscaledMinInstances: Type.Integer({
    minimum: 2,
    maximum: 100,
    default: 2,
    description: 'autoscaled: fewest instances (≥ 2: one per AZ)',
  }),
  autoscaledMaxInstances: Type.Integer({ minimum: 2, maximum: 100, default: 6, description: 'autoscaled: most instances' }),
  databaseProvisioned: Type.Boolean({
    default: false,
    description: 'autoscaled: provisioned Aurora instances (databaseInstanceClass) instead of Serverless v2',
  }),
  auroraMinCapacity: Type.Number({ minimum: 0, maximum: 256, default: 0.5, description: 'autoscaled: Aurora Serverless v2, fewest ACUs' }),
  auroraMaxCapacity: Type.Number({ minimum: 1, maximum: 256, default: 4, description: 'autoscaled: Aurora Serverless v2, most ACUs' }),
};

const autoscaled = defineStage({
  id: 'autoscaled',
  stackName: 'Flagstack-Autoscaled',
  summary: 'Auto Scaling group behind an ALB and CloudFront, Aurora PostgreSQL behind RDS Proxy',
  settings: AUTOSCALED_SETTINGS,
  check: (config) => [
    ...atLeast(config, 'autoscaledMaxInstances', 'autoscaledMinInstances'),
    ...atLeast(config, 'auroraMaxCapacity', 'auroraMinCapacity'),
  ],
  addTo: (app, config, { stackName, stackProps }) =>
    new AutoscaledStack(app, stackName, {
      ...stackProps,
      ...loadBalancedProps(config, 'autoscaled', vcpusOf(config.autoscaledInstanceType) ?? 1),
      instanceType: new ec2.InstanceType(config.autoscaledInstanceType),
      minInstances: config.autoscaledMinInstances,
      maxInstances: config.autoscaledMaxInstances,
      databaseInstanceClass: config.databaseProvisioned ? config.databaseInstanceClass : undefined,
      serverlessCapacity: { min: config.auroraMinCapacity, max: config.auroraMaxCapacity },
    }),
});

// ---------------------------------------------------------------------------------------------------
// fargate

/** The edge's name: its flag table's and its functions'; fargate's service publishes to that table. */
const EDGE_NAME = Type.String({
  pattern: '^[a-z][a-z0-9-]*$',
  minLength: 3,
  maxLength: 40,
  examples: ['flagstack-edge'],
  default: 'flagstack-edge',
  description: 'edge: name of the flag table and of the edge function in every region (lower-case letters, digits and hyphens)',
});

const FARGATE_SETTINGS = {
  ...LOAD_BALANCED_SETTINGS,
  fargateCpu: Type.Union(
    [256, 512, 1024, 2048, 4096].map((cpu) => Type.Literal(cpu)),
    {
      default: 512,
      description: 'fargate: task CPU units (1024 = one vCPU)',
    },
  ),
  fargateMemoryMiB: Type.Integer({
    minimum: 512,
    maximum: 30720,
    default: 1024,
    description: 'fargate: task memory (must suit fargateCpu)',
  }),
  fargateMinTasks: Type.Integer({ minimum: 2, maximum: 1000, default: 2, description: 'fargate: fewest tasks (≥ 2: one per AZ)' }),
  fargateMaxTasks: Type.Integer({ minimum: 2, maximum: 1000, default: 10, description: 'fargate: most tasks' }),
  fargatePublishesToEdge: Type.Boolean({
    default: true,
    description: "fargate: the service publishes every environment to the edge's flag table (edgeName)",
  }),
  edgeName: EDGE_NAME,
};

const fargate = defineStage({
  id: 'fargate',
  stackName: 'Flagstack-Fargate',
  summary: 'ECS Fargate blue/green behind an ALB and CloudFront, RDS PostgreSQL Multi-AZ behind RDS Proxy',
  settings: FARGATE_SETTINGS,
  check: (config) => {
    const memory = taskMemoryProblem(config.fargateCpu, config.fargateMemoryMiB);
    return [
      ...atLeast(config, 'fargateMaxTasks', 'fargateMinTasks'),
      ...(memory !== undefined ? [{ key: 'fargateMemoryMiB', message: `with fargateCpu=${config.fargateCpu} ${memory}` }] : []),
    ];
  },
  addTo: (app, config, { stackName, stackProps }) =>
    new FargateStack(app, stackName, {
      ...stackProps,
      ...loadBalancedProps(config, 'fargate', config.fargateCpu / 1024),
      cpu: config.fargateCpu,
      memoryMiB: config.fargateMemoryMiB,
      minTasks: config.fargateMinTasks,
      maxTasks: config.fargateMaxTasks,
      databaseInstanceClass: config.databaseInstanceClass,
      edgeTableName: config.fargatePublishesToEdge ? config.edgeName : undefined,
    }),
});

// ---------------------------------------------------------------------------------------------------
// edge

/** The edge regions when `edgeRegions` is not given: the home region, then these (without it). */
const DEFAULT_EDGE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'] as const;

const EDGE_SETTINGS = {
  // No default: it follows `region` (edgeRegionsOf), which a schema default cannot.
  edgeRegions: Type.Optional(
    Type.Array(Region(), {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: `edge: the regions with an edge function and a replica of the flag table (comma-separated); must include region, the home (default: region, then ${DEFAULT_EDGE_REGIONS.join(', ')})`,
    }),
  ),
  edgeName: EDGE_NAME,
  edgeMemoryMiB: Type.Integer({
    minimum: 128,
    maximum: 10240,
    default: 512,
    description: 'edge: memory of the edge function (CPU grows with it)',
  }),
  edgeTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 30, default: 10, description: 'edge: longest an edge invocation may run' }),
  edgeReservedConcurrency: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: 'edge: concurrency reserved for the edge function in each region (unset: the shared pool)',
    }),
  ),
  edgeRefreshSeconds: Type.Integer({
    minimum: 1,
    maximum: 300,
    default: 5,
    description: 'edge: how long a warm edge function serves an environment before checking its version',
  }),
  edgeTraitTtlDays: Type.Integer({
    minimum: 0,
    maximum: 36_500,
    default: 0,
    description: "edge: days an identity's traits are kept after its last write (0 keeps them)",
  }),
  ...SHIFT_SETTINGS,
};

/** The edge regions: `edgeRegions` as given, else the home region, then DEFAULT_EDGE_REGIONS (the failover order). */
export function edgeRegionsOf(config: { readonly region: string; readonly edgeRegions?: readonly string[] }): string[] {
  return config.edgeRegions !== undefined
    ? [...config.edgeRegions]
    : [config.region, ...DEFAULT_EDGE_REGIONS.filter((region) => region !== config.region)];
}

const edge = defineStage({
  id: 'edge',
  stackName: 'Flagstack-Edge',
  summary: 'SDK endpoints on Lambda in several regions behind CloudFront, from a DynamoDB global table',
  settings: EDGE_SETTINGS,
  check: (config) => {
    const problems: SettingProblem[] = [];
    const regions = edgeRegionsOf(config);
    if (!regions.includes(config.region))
      problems.push({ key: 'edgeRegions', message: `must include region (${config.region}), the home of the flag table` });
    // The CloudFront router sends each viewer to the nearest region: it must know where each one is.
    const unlocated = regions.filter((region) => region !== config.region && REGION_LOCATIONS[region] === undefined);
    if (unlocated.length > 0)
      problems.push({ key: 'edgeRegions', message: `unknown region ${unlocated.join(', ')} (lib/edge-regions.ts lists the known ones)` });
    return problems;
  },
  addTo: (app, config, { stackName, label, stackProps }) => {
    const edgeProps: EdgeRegionStackProps = {
      edgeName: config.edgeName,
      memorySize: config.edgeMemoryMiB,
      timeout: Duration.seconds(config.edgeTimeoutSeconds),
      reservedConcurrency: config.edgeReservedConcurrency,
      refreshInterval: Duration.seconds(config.edgeRefreshSeconds),
      traitTtlDays: config.edgeTraitTtlDays,
      corsOrigins: config.corsOrigins,
      alarm5xxPercent: config.alarm5xxPercent,
      alarmP99Duration: Duration.millis(config.alarmP99LatencyMs),
      alarmEmail: config.alarmEmail,
    };
    // The stage spans regions: CloudFront in the home stack needs every region's function URL, which
    // CDK passes across regions through SSM parameters (crossRegionReferences).
    const regions = edgeRegionsOf(config)
      .filter((region) => region !== config.region)
      .map(
        (region) =>
          new EdgeRegionStack(app, `${stackName}-${region}`, {
            ...edgeProps,
            env: { account: config.account, region },
            crossRegionReferences: true,
            description: `${label} in ${region}: the edge function behind its function URL`,
          }),
      );
    const home = new EdgeStack(app, stackName, {
      ...stackProps,
      ...edgeProps,
      crossRegionReferences: true,
      regions: regions.map((stack) => ({ region: stack.region, functionUrl: stack.edge.functionUrl.url })),
      ...publicNameOf(config, 'edge'),
      trafficShift: trafficShiftOf(config, 'edge'),
    });
    return { home, regions };
  },
});

// ---------------------------------------------------------------------------------------------------
// The stages, in order

/** Every stage, in the order they are told and built: each carries more traffic than the one before. */
export const STAGES = [singleBox, autoscaled, fargate, edge] as const;

type AnyStage = (typeof STAGES)[number];
/** A stage's id: `single-box`, `autoscaled`, `fargate`, `edge`. */
export type StageId = AnyStage['id'];
/** The stacks of every stage, by id: what each entry's `addTo` returns. */
export type FlagstackStacks = { readonly [Stage in AnyStage as Stage['id']]: ReturnType<Stage['addTo']> };

/** The ids, in order. */
export const STAGE_IDS: readonly StageId[] = STAGES.map((stage) => stage.id);

export function isStageId(name: string): name is StageId {
  return (STAGE_IDS as readonly string[]).includes(name);
}

export function stageById(id: StageId): AnyStage {
  return STAGES.find((stage) => stage.id === id)!;
}

/** Whether the stack named `stackName` belongs to stage `id`: its main stack, or one named after it. */
export function isStackOfStage(id: StageId, stackName: string): boolean {
  const { stackName: main } = stageById(id);
  return stackName === main || stackName.startsWith(`${main}-`);
}

/** Adds one stage's stacks to `app`. */
export function addStage<Id extends StageId>(app: App, id: Id, config: StageConfig): FlagstackStacks[Id] {
  const index = STAGE_IDS.indexOf(id);
  const stage = STAGES[index];
  const label = `flagstack stage ${index + 1} (${stage.id})`;
  const scope: StageScope = {
    stackName: stage.stackName,
    label,
    stackProps: { env: { account: config.account, region: config.region }, description: `${label}: ${stage.summary}` },
  };
  return (stage.addTo as (app: App, config: StageConfig, scope: StageScope) => unknown)(app, config, scope) as FlagstackStacks[Id];
}

/** Adds every stage's stacks to `app`, in order. */
export function addStages(app: App, config: StageConfig): FlagstackStacks {
  return Object.fromEntries(STAGE_IDS.map((id) => [id, addStage(app, id, config)])) as unknown as FlagstackStacks;
}
