/**
 * The edge in one region: the edge function (ARM64, the esbuild bundle in dist/edge), a `live` alias
 * on its current version with an IAM-authenticated function URL that only CloudFront may call, its
 * log group, least-privilege access to the flag table's replica in the region, and alarms on 5xx
 * rate, throttles and p99 duration. Every deployment publishes a new version and moves the alias;
 * older versions are kept, so a rollback is one alias update.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { edgeFunctionStatements, edgeTableArn } from './edge-table';
import { Monitoring } from './monitoring';

export interface EdgeRegionProps {
  /** The flag table; the function reads and writes its replica in this region. */
  readonly tableName: string;
  /** The function's name, the same in every region (metrics and logs are found by it). */
  readonly functionName: string;
  /** Receives the alarms. */
  readonly monitoring: Monitoring;
  /**
   * Memory in MiB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Longest an invocation may run.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for the function.
   * @default none: the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * How long a warm function serves an environment before checking its version.
   * @default Duration.seconds(5)
   */
  readonly refreshInterval?: Duration;
  /**
   * Days an identity's traits are kept after its last write; 0 keeps them.
   * @default 0
   */
  readonly traitTtlDays?: number;
  /**
   * Web origins whose pages may call the SDK and OFREP endpoints, or `*` for any (FLAGSTACK_CORS_ORIGINS).
   * @default ['*']
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Alarm when more than this share of responses are 5xx, in percent.
   * @default 1
   */
  readonly alarm5xxPercent?: number;
  /**
   * Alarm when p99 duration exceeds this.
   * @default Duration.millis(250)
   */
  readonly alarmP99Duration?: Duration;
  /**
   * Directory of the esbuild bundle (handler.js).
   * @default dist/edge at the repository root
   */
  readonly bundleDir?: string;
}

export const DEFAULT_EDGE_BUNDLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'edge');

export class EdgeRegion extends Construct {
  readonly function: lambda.Function;
  /** What the function URL and CloudFront call: the alias on the deployed version. */
  readonly alias: lambda.Alias;
  readonly functionUrl: lambda.FunctionUrl;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EdgeRegionProps) {
    super(scope, id);
    const bundleDir = props.bundleDir ?? DEFAULT_EDGE_BUNDLE_DIR;
    if (!fs.existsSync(path.join(bundleDir, 'handler.js'))) {
      throw new Error(`EdgeRegion: ${path.join(bundleDir, 'handler.js')} is missing; run \`npm run build\` first`);
    }
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Its own role: write to its log group, read and write the table's replica here (by key prefix).
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);
    for (const statement of edgeFunctionStatements(edgeTableArn(this, props.tableName))) role.addToPolicy(statement);

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: 'flagstack edge: the Flagsmith SDK and OFREP endpoints from the flag table',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler.handler',
      code: lambda.Code.fromAsset(bundleDir),
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup: this.logGroup,
      environment: {
        FLAGSTACK_EDGE_TABLE: props.tableName,
        FLAGSTACK_EDGE_REFRESH_MS: String((props.refreshInterval ?? Duration.seconds(5)).toMilliseconds()),
        FLAGSTACK_EDGE_TRAIT_TTL_DAYS: String(props.traitTtlDays ?? 0),
        FLAGSTACK_CORS_ORIGINS: (props.corsOrigins ?? ['*']).join(','),
      },
      // Old versions stay, so that rolling back is moving the alias.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.function.currentVersion });
    this.functionUrl = this.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    // CloudFront calls the URL, signed by its origin access control. The distribution lives in the
    // home region's stack, which already depends on this one (it needs the URL), so naming the
    // distribution here would be a cycle: any distribution of this account may call, and only
    // through the URL.
    const cloudFront = new iam.ServicePrincipal('cloudfront.amazonaws.com');
    const distributions = stack.formatArn({ service: 'cloudfront', region: '', resource: 'distribution', resourceName: '*' });
    this.alias.addPermission('CloudFrontInvokeUrl', {
      principal: cloudFront,
      action: 'lambda:InvokeFunctionUrl',
      functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
      sourceArn: distributions,
      sourceAccount: stack.account,
    });
    this.alias.addPermission('CloudFrontInvoke', {
      principal: cloudFront,
      action: 'lambda:InvokeFunction',
      invokedViaFunctionUrl: true,
      sourceArn: distributions,
      sourceAccount: stack.account,
    });

    const period = Duration.minutes(1);
    const { monitoring } = props;
    const threshold = props.alarm5xxPercent ?? 1;
    monitoring.addAlarm('ErrorRateAlarm', {
      description: `${stack.region}: more than ${threshold}% of edge responses are 5xx (errors, timeouts, an unreachable table)`,
      metric: Monitoring.percentOf(
        this.alias.metric('Url5xxCount', { period, statistic: 'Sum' }),
        this.alias.metric('UrlRequestCount', { period, statistic: 'Sum' }),
      ),
      threshold,
      evaluationPeriods: 2,
    });
    monitoring.addAlarm('ThrottleAlarm', {
      description: `${stack.region}: edge invocations throttled (concurrency exhausted)`,
      metric: this.alias.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 2,
    });
    const p99 = props.alarmP99Duration ?? Duration.millis(250);
    monitoring.addAlarm('LatencyAlarm', {
      description: `${stack.region}: p99 edge duration above ${p99.toMilliseconds()} ms`,
      metric: this.alias.metricDuration({ period, statistic: 'p99' }),
      threshold: p99.toMilliseconds(),
      evaluationPeriods: 3,
    });
    monitoring.addGraph(`${stack.region}: edge requests and 5xx`, [
      this.alias.metric('UrlRequestCount', { period, statistic: 'Sum' }),
      this.alias.metric('Url5xxCount', { period, statistic: 'Sum' }),
    ]);
    monitoring.addGraph(`${stack.region}: edge duration`, [
      this.alias.metricDuration({ period, statistic: 'p50' }),
      this.alias.metricDuration({ period, statistic: 'p99' }),
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'ConcurrentExecutions',
        dimensionsMap: { FunctionName: props.functionName },
        period,
        statistic: 'Maximum',
      }),
    ]);
  }
}
