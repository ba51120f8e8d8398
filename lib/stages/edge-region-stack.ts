/**
 * The edge stage in one region: the edge function behind its function URL, with its alarms and
 * dashboard. One such stack per edge region other than the home region (`Flagstack-Edge-<region>`);
 * the home region's stack, Flagstack-Edge, is one too, plus the table and CloudFront.
 */
import { CfnOutput, type StackProps, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EdgeRegion, type EdgeRegionProps } from '../constructs/edge-region';
import { Monitoring } from '../constructs/monitoring';

export interface EdgeRegionStackProps extends StackProps, Omit<EdgeRegionProps, 'tableName' | 'functionName' | 'monitoring'> {
  /** Name of the flag table and of the edge function, the same in every region (edgeName). */
  readonly edgeName: string;
  /**
   * Email address subscribed to the alarm topic.
   * @default no subscription
   */
  readonly alarmEmail?: string;
}

export class EdgeRegionStack extends Stack {
  readonly edge: EdgeRegion;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: EdgeRegionStackProps) {
    super(scope, id, props);
    // Dashboards are global to the account: one per region, named for it.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: `${props.edgeName}-${this.region}`,
      alarmEmail: props.alarmEmail,
    });
    this.edge = new EdgeRegion(this, 'Edge', {
      tableName: props.edgeName,
      functionName: props.edgeName,
      monitoring: this.monitoring,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrency: props.reservedConcurrency,
      refreshInterval: props.refreshInterval,
      traitTtlDays: props.traitTtlDays,
      corsOrigins: props.corsOrigins,
      alarm5xxPercent: props.alarm5xxPercent,
      alarmP99Duration: props.alarmP99Duration,
      bundleDir: props.bundleDir,
    });
    new CfnOutput(this, 'FunctionName', {
      value: this.edge.function.functionName,
      description: 'The edge function in this region (alias live)',
    });
    new CfnOutput(this, 'FunctionUrl', {
      value: this.edge.functionUrl.url,
      description: 'Its URL: reachable only through CloudFront (IAM auth, signed by origin access control)',
    });
  }
}
