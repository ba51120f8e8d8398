/**
 * The edge stage: the SDK endpoints served from Lambda in several regions. This stack, in the home
 * region, holds the DynamoDB global table (replicas in every other edge region), the home region's
 * edge function, and CloudFront in front of all regions' function URLs; each other region has its own
 * Flagstack-Edge-<region> stack, deployed first (this one reads their URLs). The fargate stage stays
 * the control plane: its service publishes every environment to the table after each change.
 */
import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EdgeDistribution, type EdgeOrigin } from '../constructs/edge-distribution';
import { attachCertificateWithoutName, cloudFrontDomainOf, serviceUrlOf } from '../constructs/front-door';
import { EdgeTable } from '../constructs/edge-table';
import { shiftTrafficToDistribution, type StageTrafficShift, type TrafficShift } from '../constructs/traffic-shift';
import { EdgeRegionStack, type EdgeRegionStackProps } from './edge-region-stack';

export interface EdgeStackProps extends EdgeRegionStackProps {
  /** The other regions' function URLs, in failover order. */
  readonly regions: readonly EdgeOrigin[];
  /**
   * Public host name; CloudFront serves it only with `certificateArn`.
   * @default the distribution's cloudfront.net name
   */
  readonly domainName?: string;
  /**
   * ACM certificate in us-east-1 for `domainName`.
   * @default none
   */
  readonly certificateArn?: string;
  /**
   * An ACM certificate in us-east-1 for the public host name, attached without the name (given only
   * without `domainName`): ready to take the name from the fargate stage's distribution at the end of
   * a split, with `aws cloudfront update-domain-association` (docs/moves.md).
   * @default none
   */
  readonly handoverCertificateArn?: string;
  /**
   * Take a share of `domainName` from the previous stage by Route 53 weighted records (alias records
   * to the distribution, a global target), handed back while the distribution's 5xx rate is above
   * `alarm5xxPercent` (TrafficShift; needs `certificateArn`).
   * @default none: no records, the name is left as it is
   */
  readonly trafficShift?: StageTrafficShift;
}

export class EdgeStack extends EdgeRegionStack {
  readonly table: EdgeTable;
  readonly front: EdgeDistribution;
  /** The move of the public host name toward this stage, when `trafficShift` is given. */
  readonly trafficShift?: TrafficShift;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { edgeName } = props;
    this.table = new EdgeTable(this, 'FlagTable', { tableName: edgeName, replicaRegions: props.regions.map((r) => r.region) });

    this.front = new EdgeDistribution(this, 'Front', {
      origins: [{ region: this.region, functionUrl: this.edge.functionUrl.url }, ...props.regions],
      contentHashFunctionName: `${edgeName}-content-hash`,
      ...cloudFrontDomainOf(props),
    });

    if (props.handoverCertificateArn !== undefined) {
      if (props.domainName !== undefined) throw new Error(`${id}: handoverCertificateArn is for a distribution without domainName`);
      attachCertificateWithoutName(this.front.distribution, props.handoverCertificateArn);
    }

    if (props.trafficShift !== undefined) {
      this.trafficShift = shiftTrafficToDistribution(this, {
        shift: props.trafficShift,
        distribution: this.front.distribution,
        domainName: cloudFrontDomainOf(props).domainName,
        monitoring: this.monitoring,
        alarm5xxPercent: props.alarm5xxPercent,
      });
    }

    // What `npm run cost -- --stage edge --live` and operators read.
    const regions = [this.region, ...props.regions.map((r) => r.region)];
    const outputs: Record<string, [string, string]> = {
      ServiceUrl: [serviceUrlOf(props, this.front.distribution), 'Where SDKs point (apiUrl …/api/v1/, OFREP base URL)'],
      DistributionId: [this.front.distribution.distributionId, 'The CloudFront distribution'],
      TableName: [this.table.table.tableName, 'The DynamoDB global table, home region first'],
      TableRegions: [regions.join(','), 'Regions holding the table (home, then replicas)'],
      EdgeFunctions: [regions.map((region) => `${region}:${edgeName}`).join(','), 'The edge function in each region, region:name'],
      RouterFunctionName: [this.front.router.functionName, 'The CloudFront Function that routes viewers to regions'],
      ContentHashFunctionName: [
        `us-east-1:${this.front.contentHash.functionName}`,
        'The Lambda@Edge function (us-east-1) that hashes request bodies',
      ],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) new CfnOutput(this, name, { value, description });
  }
}
