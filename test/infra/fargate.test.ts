import assetHashSerializer from './asset-hash-serializer';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ORIGIN_SECRET_HEADER } from '../../lib/constructs/front-door';
import { defaultRequestsPerTarget } from '../../lib/capacity-figures';
import { buildApp } from './app';

expect.addSnapshotSerializer(assetHashSerializer);

const template = (context: Record<string, unknown> = {}) => Template.fromStack(buildApp(context).stacks.fargate);

describe('Flagstack-Fargate', () => {
  const t = template();

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });

  it('runs ARM64 Fargate tasks with Container Insights, logs, and secrets from Secrets Manager', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '512',
      Memory: '1024',
      ContainerDefinitions: [
        Match.objectLike({
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Secrets: Match.arrayWith([Match.objectLike({ Name: 'PGPASSWORD' }), Match.objectLike({ Name: 'FLAGSTACK_ADMIN_TOKEN' })]),
        }),
      ],
    });
    const environment = JSON.stringify(
      Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0].Environment,
    );
    expect(environment).toContain('sslmode=verify-full');
    expect(environment).not.toMatch(/PASSWORD|TOKEN/);
  });

  it('deploys blue/green with bake time, rollback on alarm and the circuit breaker', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'BLUE_GREEN',
        BakeTimeInMinutes: 10,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: {
          AlarmNames: [{ Ref: Match.stringLikeRegexp('ErrorRateAlarm') }, { Ref: Match.stringLikeRegexp('LatencyAlarm') }],
          Enable: true,
          Rollback: true,
        },
        MinimumHealthyPercent: 100,
      }),
      LoadBalancers: [
        Match.objectLike({
          TargetGroupArn: { Ref: Match.stringLikeRegexp('^Blue') },
          AdvancedConfiguration: Match.objectLike({
            AlternateTargetGroupArn: { Ref: Match.stringLikeRegexp('^Green') },
            ProductionListenerRule: { Ref: Match.stringLikeRegexp('^ProductionRule') },
          }),
        }),
      ],
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/ready', TargetType: 'ip' });
  });

  it('scales tasks on requests per target', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        // What one 0.5-vCPU task serves at 50% CPU by the capacity figure.
        TargetValue: defaultRequestsPerTarget(0.5),
      }),
    });
  });

  it('puts RDS PostgreSQL Multi-AZ (encrypted, TLS only) behind an RDS Proxy', () => {
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      MultiAZ: true,
      StorageEncrypted: true,
      DBInstanceClass: 'db.t4g.medium',
    });
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
    t.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true });
  });

  it('is reachable only through CloudFront', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [Match.objectLike({ HttpHeaderConfig: Match.objectLike({ HttpHeaderName: ORIGIN_SECRET_HEADER }) })],
    });
    const ingress = JSON.stringify([
      ...Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')),
      ...Object.values(t.findResources('AWS::EC2::SecurityGroup')).map((sg) => sg.Properties.SecurityGroupIngress ?? []),
    ]);
    expect(ingress).toContain('pl-3b927c52');
    expect(ingress).not.toContain('0.0.0.0/0');
    t.resourceCountIs('AWS::CloudFront::Distribution', 1);
  });

  it('alarms on 5xx rate, p99 latency, database connections and edge publish failures', () => {
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnections' });
  });
});
