/**
 * The fargate stage: the service as ARM64 Fargate tasks built from service/Dockerfile, behind the
 * load-balanced tier (load-balanced-stack.ts), deployed blue/green by ECS itself (alternate target
 * group, bake time, rollback on alarm, circuit breaker), scaled on requests per target; RDS PostgreSQL
 * (Multi-AZ by default) behind the RDS Proxy. It is also the edge stage's control plane: the service
 * publishes every environment to the edge's flag table.
 */
import * as path from 'node:path';
import { Duration, IgnoreMode, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AdminToken } from '../constructs/admin-token';
import { edgeTableArn, publisherStatements } from '../constructs/edge-table';
import { SERVICE_PORT } from '../constants';
import { LoadBalancedStack, type LoadBalancedStackProps, SERVICE_TARGET } from './load-balanced-stack';

export interface FargateStackProps extends LoadBalancedStackProps {
  /** Task CPU units, 1024 to a vCPU: 256, 512, 1024, 2048 or 4096 (fargateCpu). */
  readonly cpu: number;
  /** Task memory in MiB, a size Fargate offers with `cpu` (fargateMemoryMiB). */
  readonly memoryMiB: number;
  /** Fewest tasks, at least 2: one per AZ (fargateMinTasks). */
  readonly minTasks: number;
  /** Most tasks (fargateMaxTasks). */
  readonly maxTasks: number;
  /** Class of the RDS PostgreSQL instance, without the `db.` prefix (databaseInstanceClass). */
  readonly databaseInstanceClass: string;
  /**
   * The edge's flag table (in this stack's region, its home), to which the service publishes every
   * environment after each change. Named, not referenced: the edge stage may be deployed later (until
   * it is, publishing fails, is logged, alarmed on, and retried by the periodic check).
   * @default none: the service publishes nowhere
   */
  readonly edgeTableName?: string;
}

/** The repository root: the image's build context (only what IMAGE_CONTEXT_EXCLUDE leaves is sent). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * What the image's build context holds, in .dockerignore terms: nothing but the files
 * service/Dockerfile copies (the bundle and PGlite) and the Dockerfile itself.
 */
const IMAGE_CONTEXT_EXCLUDE = ['**', '!service/Dockerfile', '!dist/service/**', '!node_modules/@electric-sql/pglite/**'];

/** Fargate's task sizes: the memory each CPU size takes, in MiB (256 CPU units: 512, 1024 or 2048 only). */
const TASK_MEMORY_MIB: Readonly<Record<number, { readonly min: number; readonly max: number }>> = {
  256: { min: 512, max: 2048 },
  512: { min: 1024, max: 4096 },
  1024: { min: 2048, max: 8192 },
  2048: { min: 4096, max: 16384 },
  4096: { min: 8192, max: 30720 },
};

/** What is wrong with `memoryMiB` for a task of `cpu` units (`must be …`), or undefined when Fargate offers that size. */
export function taskMemoryProblem(cpu: number, memoryMiB: number): string | undefined {
  if (cpu === 256) return [512, 1024, 2048].includes(memoryMiB) ? undefined : 'must be 512, 1024 or 2048';
  const range = TASK_MEMORY_MIB[cpu];
  if (range === undefined) return `cannot be sized: CPU must be one of ${Object.keys(TASK_MEMORY_MIB).join(', ')}`;
  return memoryMiB >= range.min && memoryMiB <= range.max && memoryMiB % 1024 === 0
    ? undefined
    : `must be a multiple of 1024 from ${range.min} to ${range.max}`;
}

export class FargateStack extends LoadBalancedStack {
  readonly service: ecs.FargateService;

  constructor(scope: Construct, id: string, props: FargateStackProps) {
    super(scope, id, props, {
      dashboardName: 'flagstack-fargate',
      database: { engine: 'rds', instanceClass: props.databaseInstanceClass },
    });
    const memory = taskMemoryProblem(props.cpu, props.memoryMiB);
    if (memory !== undefined) throw new Error(`FargateStack: memoryMiB ${props.memoryMiB} with cpu ${props.cpu} ${memory}`);
    if (props.minTasks < 2 || props.maxTasks < props.minTasks) {
      throw new Error(`FargateStack: tasks ${props.minTasks} to ${props.maxTasks} must satisfy 2 ≤ min ≤ max`);
    }
    const { vpc } = this;

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const adminToken = new AdminToken(this, 'AdminToken');
    const serviceLogs = new logs.LogGroup(this, 'ServiceLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const edgePublishing =
      props.edgeTableName !== undefined ? { FLAGSTACK_EDGE_TABLE: props.edgeTableName, FLAGSTACK_EDGE_REGION: this.region } : undefined;
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
        DATABASE_URL: this.database.url('flagstack'),
        // One worker per whole vCPU of the task (1024 CPU units).
        WEB_CONCURRENCY: String(Math.max(1, Math.floor(props.cpu / 1024))),
        ...this.serviceEnvironment,
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
      reason:
        'The plain environment holds only the database URL without password, a timeout, the CORS origins and the flag table name; secrets come from Secrets Manager.',
    });
    if (edgePublishing) {
      for (const statement of publisherStatements(edgeTableArn(this, edgePublishing.FLAGSTACK_EDGE_TABLE)))
        taskDefinition.addToTaskRolePolicy(statement);
    }
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken has no resource-level permissions; every other statement of the execution role names its resource.',
    });

    // Blue/green: the production rule forwards to one target group, ECS shifts it to the other.
    const { listener, loadBalancer } = this.frontDoor;
    const targetGroup = (id: string) =>
      new elbv2.ApplicationTargetGroup(this, id, { vpc, targetType: elbv2.TargetType.IP, ...SERVICE_TARGET });
    const blue = targetGroup('Blue');
    const green = targetGroup('Green');
    const productionRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener,
      ...this.serviceRule,
      action: elbv2.ListenerAction.forward([blue]),
    });

    // Two periods, not three: these alarms also decide a blue/green rollback during the bake.
    const { errorRate, latency } = this.addLoadBalancerAlarms(loadBalancer.metrics, 2);

    const serviceSg = new ec2.SecurityGroup(this, 'ServiceSg', {
      vpc,
      description: 'flagstack tasks: only the ALB',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: props.minTasks,
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
      .autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks })
      .scaleOnRequestCount('RequestsPerTarget', { requestsPerTarget: this.requestsPerTarget, targetGroup: blue });

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
  }
}
