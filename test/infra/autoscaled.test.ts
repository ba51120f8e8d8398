import assetHashSerializer from './asset-hash-serializer';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ORIGIN_SECRET_HEADER } from '../../lib/constructs/front-door';
import { defaultRequestsPerTarget } from '../../lib/capacity-figures';
import { buildApp } from './app';

expect.addSnapshotSerializer(assetHashSerializer);

const template = (context: Record<string, unknown> = {}) => Template.fromStack(buildApp(context).stacks.autoscaled);

describe('Flagstack-Autoscaled', () => {
  const t = template();

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });

  it('runs Graviton instances across two AZs, health-checked on /ready', () => {
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
      MaxSize: '6',
      HealthCheckType: 'ELB',
    });
    const asg = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    expect(asg.Properties.VPCZoneIdentifier).toHaveLength(2);
    const subnets = t.findResources('AWS::EC2::Subnet');
    const azs = asg.Properties.VPCZoneIdentifier.map((ref: { Ref: string }) => subnets[ref.Ref].Properties.AvailabilityZone);
    expect(new Set(azs).size).toBe(2);
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't4g.micro',
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
        MetadataOptions: { HttpTokens: 'required' },
      }),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/ready', Port: 8000 });
  });

  it('scales on requests per target and rolls deployments without losing capacity', () => {
    // What one t4g.micro (two vCPUs, two workers) serves at 50% CPU by the capacity figure, unless set.
    const target = (value: number) => ({
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        TargetValue: value,
      }),
    });
    t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', target(defaultRequestsPerTarget(2)));
    expect(defaultRequestsPerTarget(2)).toBeGreaterThan(100_000);
    template({ requestsPerTarget: 5000 }).hasResourceProperties('AWS::AutoScaling::ScalingPolicy', target(5000));
    template({ autoscaledInstanceType: 't4g.xlarge' }).hasResourceProperties(
      'AWS::AutoScaling::ScalingPolicy',
      target(defaultRequestsPerTarget(4)),
    );
    t.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: {
        AutoScalingRollingUpdate: Match.objectLike({ MaxBatchSize: 1, MinInstancesInService: 2, WaitOnResourceSignals: true }),
      },
      CreationPolicy: Match.objectLike({ ResourceSignal: Match.objectLike({ Count: 2 }) }),
    });
  });

  it('puts Aurora Serverless v2 (encrypted, Multi-AZ, TLS only) behind an RDS Proxy with Secrets Manager credentials', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      MasterUserPassword: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])] }),
    });
    t.resourceCountIs('AWS::RDS::DBInstance', 2);
    t.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    t.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
    t.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', Match.anyValue());
    // The instances reach the database only through the proxy.
    const userData = JSON.stringify(t.findResources('AWS::EC2::LaunchTemplate'));
    expect(userData).toMatch(/"Fn::GetAtt":\["DatabaseClusterProxy\w+","Endpoint"\]/);
    expect(userData).toContain('sslmode=verify-full');
  });

  it('provisions Aurora instances by option, single-AZ by option', () => {
    const provisioned = template({ databaseProvisioned: 'true', databaseInstanceClass: 'r7g.large', multiAz: 'false' });
    provisioned.resourceCountIs('AWS::RDS::DBInstance', 1);
    provisioned.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r7g.large' });
  });

  it('opens the ALB to CloudFront only: origin-facing prefix list and a secret header', () => {
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    const albSg = Object.entries(t.findResources('AWS::EC2::SecurityGroup')).find(
      ([, r]) =>
        String(r.Properties.GroupDescription).includes('AlbSecurityGroup') || String(r.Properties.GroupDescription).includes('Alb'),
    );
    expect(albSg).toBeDefined();
    const albIngress = [
      ...(albSg![1].Properties.SecurityGroupIngress ?? []),
      ...ingress.filter((p) => JSON.stringify(p.GroupId).includes(albSg![0])),
    ];
    expect(albIngress).toEqual([expect.objectContaining({ SourcePrefixListId: 'pl-3b927c52', FromPort: 80, ToPort: 80 })]);
    const allIngress = JSON.stringify([
      ...ingress,
      ...Object.values(t.findResources('AWS::EC2::SecurityGroup')).map((r) => r.Properties.SecurityGroupIngress ?? []),
    ]);
    expect(allIngress).not.toContain('0.0.0.0/0');
    expect(allIngress).not.toMatch(/"FromPort":22\b/);

    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { DefaultActions: [Match.objectLike({ Type: 'fixed-response' })] });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [
        Match.objectLike({ Field: 'http-header', HttpHeaderConfig: Match.objectLike({ HttpHeaderName: ORIGIN_SECRET_HEADER }) }),
      ],
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ OriginCustomHeaders: [Match.objectLike({ HeaderName: ORIGIN_SECRET_HEADER })] })],
      }),
    });
  });

  it('keeps the origin secret out of the template', () => {
    const json = JSON.stringify(t.toJSON());
    const headerValues = [...json.matchAll(/"HeaderValue":(\{[^}]*\}|"[^"]*")/g)].map((m) => m[1]);
    expect(headerValues.length).toBeGreaterThan(0);
    for (const value of headerValues) expect(value).toContain('resolve:secretsmanager');
  });

  it('never caches identities; caches flag lists briefly per environment key and origin', () => {
    const distribution = Object.values(t.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
    const cachingDisabled = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
    expect(distribution.DefaultCacheBehavior.CachePolicyId).toBe(cachingDisabled);
    expect(distribution.CacheBehaviors).toEqual([expect.objectContaining({ PathPattern: '/api/v1/flags/*' })]);
    expect(JSON.stringify(distribution.CacheBehaviors)).not.toContain('identities');
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 5,
        MaxTTL: 5,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['X-Environment-Key', 'Origin'] },
        }),
      }),
    });
  });

  it('alarms on 5xx rate, p99 latency and unhealthy hosts', () => {
    t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 0.25, ExtendedStatistic: 'p99' });
  });

  it("looks CloudFront's prefix list up by name outside us-east-1 (the CLI caches it, as it does AZs), unless given", () => {
    const lookedUp = buildApp({ region: 'eu-west-1', edgeRegions: 'eu-west-1' }).app.synth().manifest.missing ?? [];
    expect(lookedUp).toContainEqual(
      expect.objectContaining({
        provider: 'cc-api-provider',
        props: expect.objectContaining({
          region: 'eu-west-1',
          typeName: 'AWS::EC2::PrefixList',
          propertyMatch: { PrefixListName: 'com.amazonaws.global.cloudfront.origin-facing' },
        }),
      }),
    );
    const given = buildApp({ region: 'eu-west-1', edgeRegions: 'eu-west-1', cloudFrontPrefixListId: 'pl-4fa04526' });
    expect(given.app.synth().manifest.missing ?? []).toEqual([]);
    Template.fromStack(given.stacks.autoscaled).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourcePrefixListId: 'pl-4fa04526',
      FromPort: 80,
    });
  });
});
