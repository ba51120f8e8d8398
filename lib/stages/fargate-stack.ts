/**
 * Round 3: the service as ARM64 Fargate tasks built from service/Dockerfile, behind an ALB and
 * CloudFront, deployed blue/green by ECS itself (alternate target group, bake time, rollback on
 * alarm, circuit breaker), scaled on requests per target; RDS PostgreSQL Multi-AZ behind an RDS Proxy.
 * It is also round 4's control plane: the service publishes every environment to the edge's flag table.
 */
import * as path from 'node:path';
import { CfnOutput, Duration, IgnoreMode, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AdminToken } from '../constructs/admin-token';
import { edgeTableArn, publisherStatements } from '../constructs/edge-table';
import type { StageConfig } from '../config';
import { Database } from '../constructs/database';
import { cloudFrontDomainOf, FrontDoor, serviceUrlOf } from '../constructs/front-door';
import { Monitoring } from '../constructs/monitoring';
import { Network } from '../constructs/network';
import { SERVICE_PORT } from '../constants';

export interface FargateStackProps extends StackProps {
  /** The validated stage configuration. */
  readonly config: StageConfig;
}

/** The repository root: the image's build context (only what IMAGE_CONTEXT_EXCLUDE leaves is sent). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * What the image's build context holds, in .dockerignore terms: nothing but the files
 * service/Dockerfile copies (the bundle and PGlite) and the Dockerfile itself.
 */
const IMAGE_CONTEXT_EXCLUDE = ['**', '!service/Dockerfile', '!dist/service/**', '!node_modules/@electric-sql/pglite/**'];

export class FargateStack extends Stack {
  readonly service: ecs.FargateService;
  readonly database: Database;
  readonly frontDoor: FrontDoor;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: FargateStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.monitoring = new Monitoring(this, 'Monitoring', { dashboardName: 'flagstack-fargate', alarmEmail: config.alarmEmail });
    const { vpc } = new Network(this, 'Network');
    this.database = new Database(this, 'Database', { vpc, engine: 'rds', instanceClass: config.databaseInstanceClass, multiAz: config.multiAz });

    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      vpc,
      originFacingPrefixListId: config.cloudFrontPrefixListId,
      ...cloudFrontDomainOf(config),
    });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: config.fargateCpu,
      memoryLimitMiB: config.fargateMemoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const adminToken = new AdminToken(this, 'AdminToken');
    const serviceLogs = new logs.LogGroup(this, 'ServiceLogs', { retention: logs.RetentionDays.ONE_MONTH });
    // Round 4: the table's name is fixed, so no reference to its stack (which may not be deployed yet:
    // until it is, publishing fails, is logged, and is retried by the periodic check).
    const edgePublishing = config.fargatePublishesToEdge
      ? { FLAGSTACK_EDGE_TABLE: config.edgeName, FLAGSTACK_EDGE_REGION: this.region }
      : undefined;
    taskDefinition.addContainer('service', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: 'service/Dockerfile',
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        exclude: IMAGE_CONTEXT_EXCLUDE,
      }),
      portMappings: [{ containerPort: SERVICE_PORT }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'service', logGroup: serviceLogs }),
      // The password comes from the rotated secret; node-postgres reads PGPASSWORD when the URL has none.
      environment: {
        DATABASE_URL: `postgres://flagstack@${this.database.proxy.endpoint}:5432/${this.database.databaseName}?sslmode=verify-full`,
        FLAGSTACK_SHUTDOWN_DELAY_MS: '15000',
        FLAGSTACK_CORS_ORIGINS: config.corsOrigins.join(','),
        ...edgePublishing,
      },
      secrets: {
        PGPASSWORD: ecs.Secret.fromSecretsManager(this.database.secret, 'password'),
        FLAGSTACK_ADMIN_TOKEN: ecs.Secret.fromSecretsManager(adminToken),
      },
      stopTimeout: Duration.seconds(45),
    });
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The plain environment holds only the database URL without password, a timeout, the CORS origins and the flag table name; secrets come from Secrets Manager.',
    });
    if (edgePublishing) {
      for (const statement of publisherStatements(edgeTableArn(this, config.edgeName))) taskDefinition.addToTaskRolePolicy(statement);
    }
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; every other statement of the execution role names its resource.',
    });

    // Blue/green: the production rule forwards to one target group, ECS shifts it to the other.
    const { listener, loadBalancer } = this.frontDoor;
    const targetGroup = (id: string) =>
      new elbv2.ApplicationTargetGroup(this, id, {
        vpc,
        port: SERVICE_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: { path: '/ready', healthyHttpCodes: '200', interval: Duration.seconds(10), healthyThresholdCount: 2 },
      });
    const blue = targetGroup('Blue');
    const green = targetGroup('Green');
    const productionRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener,
      priority: 10,
      conditions: [this.frontDoor.originCondition],
      action: elbv2.ListenerAction.forward([blue]),
    });

    // Two periods, not three: these alarms also decide a blue/green rollback during the bake.
    const { errorRate, latency } = this.monitoring.addLoadBalancerAlarms(
      loadBalancer.metrics,
      { errorPercent: config.alarm5xxPercent, p99LatencyMs: config.alarmP99LatencyMs },
      2,
    );

    const serviceSg = new ec2.SecurityGroup(this, 'ServiceSg', { vpc, description: 'flagstack tasks: only the ALB', allowAllOutbound: true });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: config.fargateMinTasks,
      securityGroups: [serviceSg],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN,
      bakeTime: Duration.minutes(10),
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: { alarmNames: [errorRate.alarmName, latency.alarmName], behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
    });
    this.service.node.addDependency(errorRate, latency);
    this.service
      .loadBalancerTarget({
        containerName: 'service',
        containerPort: SERVICE_PORT,
        alternateTarget: new ecs.AlternateTarget('Green', {
          alternateTargetGroup: green,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(productionRule),
        }),
      })
      .attachToApplicationTargetGroup(blue);
    Validations.of(this.service).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      reason: 'The AWS-maintained policy ECS blue/green deployments need to shift listener rules between target groups.',
    });
    loadBalancer.connections.allowTo(serviceSg, ec2.Port.tcp(SERVICE_PORT), 'to the tasks');
    this.database.allowFrom(serviceSg, 'from the service tasks');

    this.service
      .autoScaleTaskCount({ minCapacity: config.fargateMinTasks, maxCapacity: config.fargateMaxTasks })
      .scaleOnRequestCount('RequestsPerTarget', { requestsPerTarget: config.requestsPerTarget, targetGroup: blue });

    if (edgePublishing) {
      const failures = new logs.MetricFilter(this, 'EdgePublishFailures', {
        logGroup: serviceLogs,
        filterPattern: logs.FilterPattern.stringValue('$.msg', '=', 'edge publish failed'),
        metricNamespace: 'flagstack',
        metricName: 'EdgePublishFailures',
        metricValue: '1',
      });
      this.monitoring.addAlarm('EdgePublishAlarm', {
        description: "Environments fail to publish to the edge's flag table (the edge serves older flags)",
        metric: failures.metric({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 0,
        // The periodic check retries; a failure that lasts five minutes is not a passing throttle.
        evaluationPeriods: 5,
      });
    }

    this.monitoring.addAlarm('DatabaseConnectionsAlarm', {
      description: 'The database is near its connection limit',
      metric: this.database.server.metricDatabaseConnections({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 80,
    });

    new CfnOutput(this, 'ServiceUrl', {
      value: serviceUrlOf(config, this.frontDoor.distribution),
    });
  }
}
