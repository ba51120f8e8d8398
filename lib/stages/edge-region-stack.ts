/**
 * Round 4 in one region: the edge function behind its function URL, with its alarms and dashboard.
 * One such stack per edge region other than the home region (`Flagstack-Edge-<region>`); the home
 * region's stack, Flagstack-Edge, is one too, plus the table and CloudFront.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { EdgeRegion } from '../constructs/edge-region';
import { Monitoring } from '../constructs/monitoring';

export interface EdgeRegionStackProps extends StackProps {
  /** The validated stage configuration. */
  readonly config: StageConfig;
}

export class EdgeRegionStack extends Stack {
  readonly edge: EdgeRegion;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: EdgeRegionStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Dashboards are global to the account: one per region, named for it.
    this.monitoring = new Monitoring(this, 'Monitoring', { dashboardName: `${config.edgeName}-${this.region}`, alarmEmail: config.alarmEmail });
    this.edge = new EdgeRegion(this, 'Edge', {
      tableName: config.edgeName,
      functionName: config.edgeName,
      monitoring: this.monitoring,
      memorySize: config.edgeMemoryMiB,
      timeout: Duration.seconds(config.edgeTimeoutSeconds),
      reservedConcurrency: config.edgeReservedConcurrency,
      refreshInterval: Duration.seconds(config.edgeRefreshSeconds),
      traitTtlDays: config.edgeTraitTtlDays,
      corsOrigins: config.corsOrigins,
      alarm5xxPercent: config.alarm5xxPercent,
      alarmP99Duration: Duration.millis(config.alarmP99LatencyMs),
    });
    new CfnOutput(this, 'FunctionName', { value: this.edge.function.functionName, description: 'The edge function in this region (alias live)' });
    new CfnOutput(this, 'FunctionUrl', { value: this.edge.functionUrl.url, description: 'Its URL: reachable only through CloudFront (IAM auth, signed by origin access control)' });
  }
}
