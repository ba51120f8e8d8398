/**
 * The autoscaled stage: an Auto Scaling group of small Graviton instances across two AZs behind the
 * load-balanced tier (load-balanced-stack.ts), scaled on requests per target and replaced by rolling
 * updates that keep full capacity; Aurora PostgreSQL (Serverless v2 by default) behind the RDS Proxy.
 */
import { vcpusOf } from '../instance-types';
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SECRETS_ENV_FILE, ServiceHost } from '../constructs/service-host';
import { SERVICE_PORT } from '../constants';
import { LoadBalancedStack, type LoadBalancedStackProps, SERVICE_TARGET } from './load-balanced-stack';

export interface AutoscaledStackProps extends LoadBalancedStackProps {
  /** The instances: Graviton (ARM64), as the packages the user data installs are (autoscaledInstanceType). */
  readonly instanceType: ec2.InstanceType;
  /** Fewest instances, at least 2: one per AZ (autoscaledMinInstances). */
  readonly minInstances: number;
  /** Most instances (autoscaledMaxInstances). */
  readonly maxInstances: number;
  /**
   * Provisioned Aurora instances of this class (without the `db.` prefix) instead of Serverless v2.
   * @default Aurora Serverless v2
   */
  readonly databaseInstanceClass?: string;
  /**
   * Aurora Serverless v2 capacity range in ACUs.
   * @default 0.5 to 4
   */
  readonly serverlessCapacity?: { readonly min: number; readonly max: number };
}

export class AutoscaledStack extends LoadBalancedStack {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  constructor(scope: Construct, id: string, props: AutoscaledStackProps) {
    super(scope, id, props, {
      dashboardName: 'flagstack-autoscaled',
      database: { instanceClass: props.databaseInstanceClass, serverlessCapacity: props.serverlessCapacity },
    });
    if (props.instanceType.architecture !== ec2.InstanceArchitecture.ARM_64) {
      throw new Error(`AutoscaledStack: instanceType ${props.instanceType.toString()} is not Graviton (ARM64)`);
    }
    if (props.minInstances < 2 || props.maxInstances < props.minInstances) {
      throw new Error(`AutoscaledStack: instances ${props.minInstances} to ${props.maxInstances} must satisfy 2 ≤ min ≤ max`);
    }
    const { vpc } = this;

    const host = new ServiceHost(this, 'Service', {
      // One worker runs JavaScript on one vCPU: one per vCPU.
      environment: {
        PORT: String(SERVICE_PORT),
        WEB_CONCURRENCY: String(vcpusOf(props.instanceType.toString()) ?? 1),
        ...this.serviceEnvironment,
      },
      secretCommands: [
        // DATABASE_URL through the proxy, TLS verified, from the rotated credentials.
        `DB_SECRET="$(aws secretsmanager get-secret-value --region ${this.region} --secret-id ${this.database.secret.secretArn} --query SecretString --output text)"`,
        `echo "DATABASE_URL=${this.database.url(`$(jq -r .username <<<"$DB_SECRET"):$(jq -r '.password|@uri' <<<"$DB_SECRET")`)}" >> ${SECRETS_ENV_FILE}`,
      ],
    });
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'set -euo pipefail',
      'dnf install -y aws-cfn-bootstrap',
      ...host.bootCommands,
      // Report success to CloudFormation only once the service is ready.
      `for _ in $(seq 1 90); do curl -sf http://127.0.0.1:${SERVICE_PORT}/ready && break; sleep 2; done`,
      `curl -sf http://127.0.0.1:${SERVICE_PORT}/ready`,
    );

    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'Session Manager access (instead of SSH) needs the AWS-maintained SSM core policy.',
    });
    host.grantTo(role);
    this.database.secret.grantRead(role);

    const instanceSg = new ec2.SecurityGroup(this, 'InstanceSg', {
      vpc,
      description: 'flagstack instances: only the ALB',
      allowAllOutbound: true,
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: new ec2.LaunchTemplate(this, 'LaunchTemplate', {
        instanceType: props.instanceType,
        machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
        userData,
        role,
        securityGroup: instanceSg,
        requireImdsv2: true,
        blockDevices: [
          { deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) },
        ],
      }),
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      // A deployment replaces one instance at a time and waits for it to be ready before removing an
      // old one, so capacity never drops below the minimum.
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(15) }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: props.minInstances,
        pauseTime: Duration.minutes(15),
      }),
      notifications: [{ topic: this.monitoring.alarmTopic }],
    });
    userData.addSignalOnExitCommand(this.autoScalingGroup);
    this.database.allowFrom(this.autoScalingGroup, 'from the service instances');

    const targetGroup = this.frontDoor.listener.addTargets('Service', {
      ...this.serviceRule,
      ...SERVICE_TARGET,
      targets: [this.autoScalingGroup],
    });
    this.autoScalingGroup.scaleOnRequestCount('RequestsPerTarget', { targetRequestsPerMinute: this.requestsPerTarget });

    this.addLoadBalancerAlarms(targetGroup.metrics);
    this.monitoring.addAlarm('UnhealthyHostsAlarm', {
      description: 'A target is failing its /ready health check',
      metric: targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
    });
    this.monitoring.addGraph('Requests per minute', [targetGroup.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' })]);

    new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
  }
}
