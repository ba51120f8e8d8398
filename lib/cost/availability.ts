/**
 * What each stage survives, read from its resources: the loss of an instance, of an availability
 * zone, of a region; how long a deploy takes it down (from its real deployment strategy); and how
 * much acknowledged data a failure can lose (its recovery point).
 */
import type { StageResources } from './discovery';
import type { Resource, ResourceOf } from './resources/index';

export interface Availability {
  readonly survivesInstanceLoss: boolean;
  readonly survivesAzLoss: boolean;
  /** SDK reads go on being answered when a whole region is lost. */
  readonly survivesRegionLoss: boolean;
  /** How a deploy replaces the running service. */
  readonly deployment: string;
  readonly deployDowntimeSeconds: number;
  /** What protects the data, and how much of it a failure may lose. */
  readonly recoveryPoint: string;
  /** Seconds of acknowledged writes the loss of the database's AZ can lose. */
  readonly recoveryPointSeconds: number;
  /** Why, in one line each. */
  readonly reasons: string[];
}

/** What the figures assume, each with its reason. */
export const AVAILABILITY_ASSUMPTIONS = {
  /** A replaced single instance: the old one stops, a new one boots, installs and starts (user data). */
  instanceReplacementSeconds: 180,
  /** Nightly dumps: the last one may be a day old. */
  nightlyDumpSeconds: 86_400,
  /** RDS and Aurora point-in-time restore reaches to within about five minutes of now. */
  pointInTimeSeconds: 300,
} as const;

export function stageAvailability(stage: StageResources): Availability {
  const of = <K extends Resource['kind']>(kind: K) => stage.resources.filter((r): r is ResourceOf<K> => r.kind === kind);
  const reasons: string[] = [];
  const functions = of('lambda-function').filter((f) => f.serving);
  const tables = of('dynamodb-table');

  if (functions.length > 0) {
    const regions = [...new Set(functions.map((f) => f.region))];
    const replicated = tables.length > 0 && tables.every((t) => t.replicaRegions.length >= 2);
    const multiRegion = regions.length >= 2 && replicated;
    reasons.push(
      `Lambda runs in every AZ of ${regions.length === 1 ? 'its region' : `${regions.length} regions (${regions.join(', ')})`}` +
        (replicated ? ', reading a DynamoDB global table replicated to each' : ''),
    );
    if (!multiRegion) reasons.push('one region: its loss stops SDK reads');
    return {
      survivesInstanceLoss: true,
      survivesAzLoss: true,
      survivesRegionLoss: multiRegion,
      deployment: 'Lambda function versions: each invocation runs the old or the new code',
      deployDowntimeSeconds: 0,
      recoveryPoint:
        `DynamoDB${replicated ? ' global table (replicas about a second behind)' : ''}` +
        (tables.every((t) => t.pitrRegions.length > 0) ? ' with point-in-time recovery' : '') +
        '; the flags themselves come from the control plane database',
      // DynamoDB writes to three AZs before it answers.
      recoveryPointSeconds: 0,
      reasons,
    };
  }

  const groups = of('auto-scaling-group');
  const services = of('fargate-service');
  const instances = of('ec2-instance');
  const rds = of('rds-instance');
  const aurora = of('aurora-cluster');

  // Serving hosts: at least two at all times, spread over the VPC's zones (the stacks use two or more).
  const fewestHosts = Math.min(
    ...groups.map((g) => g.min),
    ...services.map((s) => s.min),
    ...(instances.length > 0 ? [instances.length] : []),
  );
  const hostsSurvive = fewestHosts >= 2;
  reasons.push(hostsSurvive ? `at least ${fewestHosts} serving hosts, in different AZs` : 'one serving instance');

  const databaseStandby =
    rds.length > 0 ? rds.every((d) => d.multiAz) : aurora.length > 0 ? aurora.every((c) => c.instances.length >= 2) : false;
  if (rds.length + aurora.length > 0)
    reasons.push(databaseStandby ? 'a database standby in another AZ' : 'a database in one AZ (no standby)');
  else reasons.push('PostgreSQL on the instance itself');

  let deployment: string;
  let deployDowntimeSeconds = 0;
  if (services.length > 0) {
    deployment = services.every((s) => s.blueGreen)
      ? 'ECS blue/green: the new tasks take traffic only once healthy; the old stay until the bake ends'
      : 'ECS rolling update';
  } else if (groups.length > 0) {
    const kept = Math.min(...groups.map((g) => g.rollingUpdateMinInService ?? 0));
    deployment = kept > 0 ? `rolling instance refresh keeping ${kept} in service` : 'instance replacement with none kept in service';
    if (kept === 0) deployDowntimeSeconds = AVAILABILITY_ASSUMPTIONS.instanceReplacementSeconds;
  } else {
    deployment = 'replace in place: a new bundle replaces the instance';
    deployDowntimeSeconds = AVAILABILITY_ASSUMPTIONS.instanceReplacementSeconds;
  }

  const recoveryPoint =
    aurora.length > 0
      ? 'Aurora: storage in three AZs, continuous backup with point-in-time restore'
      : rds.length > 0
        ? `RDS: ${databaseStandby ? 'a synchronous standby, ' : ''}automated backups with point-in-time restore`
        : 'nightly pg_dump to S3 (the data volume survives an instance replacement, not an AZ loss)';
  return {
    survivesInstanceLoss: hostsSurvive && databaseStandby,
    survivesAzLoss: hostsSurvive && databaseStandby,
    survivesRegionLoss: false,
    deployment,
    deployDowntimeSeconds,
    recoveryPoint,
    // Aurora's storage keeps six copies in three AZs; an RDS standby is written synchronously.
    recoveryPointSeconds:
      aurora.length > 0 || databaseStandby
        ? 0
        : rds.length > 0
          ? AVAILABILITY_ASSUMPTIONS.pointInTimeSeconds
          : AVAILABILITY_ASSUMPTIONS.nightlyDumpSeconds,
    reasons,
  };
}
