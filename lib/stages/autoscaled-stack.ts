/**
 * Round 2: an Auto Scaling group of small Graviton instances across two AZs behind an ALB, scaled on
 * requests per target and replaced by rolling updates that keep full capacity; Aurora PostgreSQL
 * behind an RDS Proxy so connections stay flat; CloudFront in front, the only way in.
 */
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { Database } from '../constructs/database';
import { cloudFrontDomainOf, FrontDoor, serviceUrlOf } from '../constructs/front-door';
import { Monitoring } from '../constructs/monitoring';
import { Network } from '../constructs/network';
import { SECRETS_ENV_FILE, ServiceHost } from '../constructs/service-host';
import { SERVICE_PORT } from '../constants';

export interface AutoscaledStackProps extends StackProps {
  /** The validated stage configuration. */
  readonly config: StageConfig;
}


export class AutoscaledStack extends Stack {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly database: Database;
  readonly frontDoor: FrontDoor;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: AutoscaledStackProps) {
    super(scope, id, props);
    const { config } = props;

    const { vpc } = new Network(this, 'Network');

    this.monitoring = new Monitoring(this, 'Monitoring', { dashboardName: 'flagstack-autoscaled', alarmEmail: config.alarmEmail });

    this.database = new Database(this, 'Database', {
      vpc,
      instanceClass: config.databaseProvisioned ? config.databaseInstanceClass : undefined,
      serverlessCapacity: { min: config.auroraMinCapacity, max: config.auroraMaxCapacity },
      multiAz: config.multiAz,
    });

    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      vpc,
      originFacingPrefixListId: config.cloudFrontPrefixListId,
      ...cloudFrontDomainOf(config),
    });

    const host = new ServiceHost(this, 'Service', {
      environment: { PORT: String(SERVICE_PORT), FLAGSTACK_SHUTDOWN_DELAY_MS: '15000', FLAGSTACK_CORS_ORIGINS: config.corsOrigins.join(',') },
      secretCommands: [
        // DATABASE_URL through the proxy, TLS verified, from the rotated credentials.
        `DB_SECRET="$(aws secretsmanager get-secret-value --region ${this.region} --secret-id ${this.database.secret.secretArn} --query SecretString --output text)"`,
        `echo "DATABASE_URL=postgres://$(jq -r .username <<<"$DB_SECRET"):$(jq -r '.password|@uri' <<<"$DB_SECRET")@${this.database.proxy.endpoint}:5432/${this.database.databaseName}?sslmode=verify-full" >> ${SECRETS_ENV_FILE}`,
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

    const instanceSg = new ec2.SecurityGroup(this, 'InstanceSg', { vpc, description: 'flagstack instances: only the ALB', allowAllOutbound: true });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: new ec2.LaunchTemplate(this, 'LaunchTemplate', {
        instanceType: new ec2.InstanceType(config.autoscaledInstanceType),
        machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
        userData,
        role,
        securityGroup: instanceSg,
        requireImdsv2: true,
        blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
      }),
      minCapacity: config.autoscaledMinInstances,
      maxCapacity: config.autoscaledMaxInstances,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      // A deployment replaces one instance at a time and waits for it to be ready before removing an
      // old one, so capacity never drops below the minimum.
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(15) }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: config.autoscaledMinInstances,
        pauseTime: Duration.minutes(15),
      }),
      notifications: [{ topic: this.monitoring.alarmTopic }],
    });
    userData.addSignalOnExitCommand(this.autoScalingGroup);
    this.database.allowFrom(this.autoScalingGroup, 'from the service instances');

    const { listener } = this.frontDoor;
    const targetGroup = listener.addTargets('Service', {
      priority: 10,
      conditions: [this.frontDoor.originCondition],
      port: SERVICE_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.autoScalingGroup],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { path: '/ready', healthyHttpCodes: '200', interval: Duration.seconds(10), healthyThresholdCount: 2 },
    });
    this.autoScalingGroup.scaleOnRequestCount('RequestsPerTarget', { targetRequestsPerMinute: config.requestsPerTarget });

    this.monitoring.addLoadBalancerAlarms(targetGroup.metrics, { errorPercent: config.alarm5xxPercent, p99LatencyMs: config.alarmP99LatencyMs });
    this.monitoring.addAlarm('UnhealthyHostsAlarm', {
      description: 'A target is failing its /ready health check',
      metric: targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
    });
    this.monitoring.addGraph('Requests per minute', [targetGroup.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' })]);

    new CfnOutput(this, 'ServiceUrl', { value: serviceUrlOf(config, this.frontDoor.distribution) });
    new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
  }
}
