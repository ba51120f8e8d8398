/**
 * The VPC of the load-balanced stages (autoscaled, fargate): public subnets for the load balancer, private subnets with
 * NAT egress for the service, isolated subnets for the database, across two AZs, with rejected
 * traffic logged.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface NetworkProps {
  /**
   * Availability zones to span (at least 2).
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * NAT gateways (1 is cheapest; one per AZ survives an AZ outage).
   * @default 1
   */
  readonly natGateways?: number;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    const natGateways = props.natGateways ?? 1;
    if (maxAzs < 2) throw new Error(`Network: maxAzs ${maxAzs} must be at least 2`);
    if (natGateways < 1 || natGateways > maxAzs)
      throw new Error(`Network: natGateways ${natGateways} must be between 1 and maxAzs (${maxAzs})`);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'service', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    this.vpc.addFlowLog('FlowLog', { trafficType: ec2.FlowLogTrafficType.REJECT });
  }
}
