import assetHashSerializer from './asset-hash-serializer';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from './app';

expect.addSnapshotSerializer(assetHashSerializer);

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const built = buildApp();
const home = Template.fromStack(built.stacks.edge.home);
const regional = Object.fromEntries(built.stacks.edge.regions.map((stack) => [stack.region, Template.fromStack(stack)]));
const distribution = () => Object.values(home.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;

describe('Flagstack-Edge and its regional stacks', () => {
  it('match the snapshots', () => {
    expect(home.toJSON()).toMatchSnapshot();
    for (const region of Object.keys(regional)) expect(regional[region].toJSON()).toMatchSnapshot(region);
  });

  it('are one stack per edge region, the home one in the stage region', () => {
    expect(built.stacks.edge.home.region).toBe('us-east-1');
    expect(built.stacks.edge.regions.map((stack) => [stack.stackName, stack.region])).toEqual([
      ['Flagstack-Edge-eu-west-1', 'eu-west-1'],
      ['Flagstack-Edge-ap-southeast-1', 'ap-southeast-1'],
    ]);
  });

  it('keep the flags in a DynamoDB global table: a replica per region, on demand, encrypted, PITR, deletion protection, TTL', () => {
    home.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    home.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'flagstack-edge',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
    const { Replicas } = Object.values(home.findResources('AWS::DynamoDB::GlobalTable'))[0].Properties;
    expect(Replicas.map((r: { Region: string }) => r.Region).sort()).toEqual(['ap-southeast-1', 'eu-west-1', 'us-east-1']);
    for (const replica of Replicas) {
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    for (const template of Object.values(regional)) template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it.each(['us-east-1', 'eu-west-1', 'ap-southeast-1'])(
    'run an ARM64 edge function in %s behind an IAM-authenticated URL on its live alias',
    (region) => {
      const template = region === 'us-east-1' ? home : regional[region];
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'flagstack-edge',
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'handler.handler',
        MemorySize: 512,
        Timeout: 10,
        Environment: {
          Variables: {
            FLAGSTACK_EDGE_TABLE: 'flagstack-edge',
            FLAGSTACK_EDGE_REFRESH_MS: '5000',
            FLAGSTACK_EDGE_TRAIT_TTL_DAYS: '0',
            FLAGSTACK_CORS_ORIGINS: '*',
          },
        },
        LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^EdgeLogs') } },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/flagstack-edge', RetentionInDays: 30 });
      template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
      template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', Qualifier: 'live' });
      template.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain' });
      // Only CloudFront, only through the URL, only for this account's distributions.
      const distributions = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::123456789012:distribution/*']] };
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionUrlAuthType: 'AWS_IAM',
        Principal: 'cloudfront.amazonaws.com',
        SourceAccount: '123456789012',
        SourceArn: distributions,
        FunctionName: { Ref: Match.stringLikeRegexp('^EdgeLive') },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        InvokedViaFunctionUrl: true,
        SourceArn: distributions,
      });
      template.resourceCountIs('AWS::Lambda::Permission', 2);
    },
  );

  it("give the edge function least privilege: its log group, and the table's replica in its region by key prefix", () => {
    const policy = Object.values(regional['ap-southeast-1'].findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument.Statement;
    const table = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:ap-southeast-1:123456789012:table/flagstack-edge']] };
    expect(policy).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EdgeLogs/), 'Arn'] },
      },
      {
        Action: 'dynamodb:GetItem',
        Effect: 'Allow',
        Resource: table,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['env#*', 'key#*', 'traits#*'] } },
      },
      {
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Resource: table,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['traits#*'] } },
      },
    ]);
    const role = Object.values(regional['ap-southeast-1'].findResources('AWS::IAM::Role'))[0].Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it('put every region behind CloudFront with origin access control, HTTPS only', () => {
    home.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 'lambda', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    const config = distribution();
    const ids = config.Origins.map((origin: { Id: string }) => origin.Id).sort();
    expect(ids).toEqual(['default-eu-west-1', 'default-us-east-1', 'edge-ap-southeast-1', 'edge-eu-west-1', 'edge-us-east-1']);
    for (const origin of config.Origins) {
      expect(origin).toMatchObject({
        OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccess/), 'Id'] },
        CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
      });
    }
    // Other regions' URLs arrive from their stacks' outputs, across regions.
    const apSoutheast = config.Origins.find((origin: { Id: string }) => origin.Id === 'edge-ap-southeast-1');
    expect(JSON.stringify(apSoutheast.DomainName)).toContain(
      '"Fn::GetStackOutput":{"StackName":"Flagstack-Edge-ap-southeast-1","Region":"ap-southeast-1"',
    );
    expect(config.PriceClass).toBe('PriceClass_All');
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors])
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
  });

  it('fail over from the home region to the next on 5xx, and let the router pick the nearest pair per viewer', () => {
    const config = distribution();
    expect(config.OriginGroups.Items).toEqual([
      expect.objectContaining({
        FailoverCriteria: { StatusCodes: { Items: [500, 502, 503, 504], Quantity: 4 } },
        Members: { Items: [{ OriginId: 'default-us-east-1' }, { OriginId: 'default-eu-west-1' }], Quantity: 2 },
      }),
    ]);
    const group = config.OriginGroups.Items[0].Id;
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(group);
    home.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
      FunctionCode: Match.stringLikeRegexp('createRequestOriginGroup'),
    });
    const code = Object.values(home.findResources('AWS::CloudFront::Function'))[0].Properties.FunctionCode as string;
    for (const id of ['edge-us-east-1', 'edge-eu-west-1', 'edge-ap-southeast-1']) expect(code).toContain(`"id":"${id}"`);
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [expect.stringMatching(/Router/), 'FunctionARN'] } },
      ]);
    }
  });

  it('cache flag lists a few seconds per environment key and origin; never identities, OFREP or the document', () => {
    const config = distribution();
    const byPath = Object.fromEntries(config.CacheBehaviors.map((b: { PathPattern: string }) => [b.PathPattern, b]));
    const flags = byPath['/api/v1/flags/*'];
    expect(flags.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(flags.CachedMethods).toEqual(['GET', 'HEAD']);
    home.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 5,
        MaxTTL: 5,
        MinTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['X-Environment-Key', 'Origin'] },
          QueryStringsConfig: { QueryStringBehavior: 'all' },
        }),
      }),
    });
    expect(flags.CachePolicyId).toEqual({ Ref: expect.stringMatching(/FlagsCache/) });
    expect(byPath['/api/v1/environment-document/*'].CachePolicyId).toBe(CACHING_DISABLED);
    expect(config.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      AllowedMethods: expect.arrayContaining(['POST', 'GET']),
    });
  });

  it('hash request bodies for the signature with Lambda@Edge on the default behaviour (identities, OFREP)', () => {
    const config = distribution();
    expect(config.DefaultCacheBehavior.LambdaFunctionAssociations).toEqual([
      { EventType: 'origin-request', IncludeBody: true, LambdaFunctionARN: { Ref: expect.stringMatching(/ContentHash.*CurrentVersion/) } },
    ]);
    for (const behavior of config.CacheBehaviors) expect(behavior.LambdaFunctionAssociations).toBeUndefined();
    home.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'flagstack-edge-content-hash',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 128,
    });
    home.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } }),
          Match.objectLike({ Principal: { Service: 'edgelambda.amazonaws.com' } }),
        ],
      }),
    });
  });

  it('forward only what the edge reads, never the Host header', () => {
    home.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: {
          HeaderBehavior: 'whitelist',
          Headers: [
            'X-Environment-Key',
            'X-API-Key',
            'Content-Type',
            'If-None-Match',
            'X-Request-Id',
            'Origin',
            'Access-Control-Request-Method',
            'Access-Control-Request-Headers',
            'CloudFront-Viewer-Latitude',
            'CloudFront-Viewer-Longitude',
          ],
        },
        CookiesConfig: { CookieBehavior: 'none' },
      }),
    });
    expect(JSON.stringify(home.findResources('AWS::CloudFront::OriginRequestPolicy'))).not.toMatch(/"Host"|allViewer/);
  });

  it('pin a path to each region for checks through CloudFront', () => {
    const byPath = Object.fromEntries(distribution().CacheBehaviors.map((b: { PathPattern: string }) => [b.PathPattern, b]));
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) {
      expect(byPath[`/_regions/${region}/*`]).toMatchObject({
        TargetOriginId: `edge-${region}`,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS'],
        CachePolicyId: CACHING_DISABLED,
      });
    }
  });

  it('alarm on 5xx rate, throttles and p99 duration in every region', () => {
    for (const template of [home, ...Object.values(regional)]) {
      template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 0 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 250 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Url5xxCount' }) }) }),
        ]),
      });
    }
  });

  it('output what the cost estimator and operators read', () => {
    for (const name of [
      'ServiceUrl',
      'DistributionId',
      'TableName',
      'TableRegions',
      'EdgeFunctions',
      'RouterFunctionName',
      'ContentHashFunctionName',
    ]) {
      home.hasOutput(name, {});
    }
    home.hasOutput('TableRegions', { Value: 'us-east-1,eu-west-1,ap-southeast-1' });
    home.hasOutput('EdgeFunctions', { Value: 'us-east-1:flagstack-edge,eu-west-1:flagstack-edge,ap-southeast-1:flagstack-edge' });
    regional['eu-west-1'].hasOutput('FunctionName', {});
  });

  it('hold no secret', () => {
    for (const template of [home, ...Object.values(regional)]) {
      const text = JSON.stringify(template.toJSON());
      expect(text).not.toMatch(/ser\.[A-Za-z0-9]|password|secretsmanager/i);
    }
  });
});

describe('Flagstack-Edge with other settings', () => {
  it('follows edgeRegions, memory, timeout, reserved concurrency, refresh and trait TTL', () => {
    const { stacks } = buildApp({
      edgeRegions: 'us-east-1,eu-central-1',
      edgeMemoryMiB: '1024',
      edgeTimeoutSeconds: '5',
      edgeReservedConcurrency: '50',
      edgeRefreshSeconds: '30',
      edgeTraitTtlDays: '90',
    });
    expect(stacks.edge.regions.map((stack) => stack.stackName)).toEqual(['Flagstack-Edge-eu-central-1']);
    const template = Template.fromStack(stacks.edge.home);
    const { Replicas } = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))[0].Properties;
    expect(Replicas.map((r: { Region: string }) => r.Region).sort()).toEqual(['eu-central-1', 'us-east-1']);
    Template.fromStack(stacks.edge.regions[0]).hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 5,
      ReservedConcurrentExecutions: 50,
      Environment: { Variables: Match.objectLike({ FLAGSTACK_EDGE_REFRESH_MS: '30000', FLAGSTACK_EDGE_TRAIT_TTL_DAYS: '90' }) },
    });
  });

  it('serves a custom domain with its certificate and TLS 1.2', () => {
    const { stacks } = buildApp({
      domainName: 'flags.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
    });
    const config = Object.values(Template.fromStack(stacks.edge.home).findResources('AWS::CloudFront::Distribution'))[0].Properties
      .DistributionConfig;
    expect(config).toMatchObject({
      Aliases: ['flags.example.com'],
      ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
    });
  });

  it('with one region, has no failover group: the home origin serves alone', () => {
    const { stacks } = buildApp({ edgeRegions: 'us-east-1' });
    const config = Object.values(Template.fromStack(stacks.edge.home).findResources('AWS::CloudFront::Distribution'))[0].Properties
      .DistributionConfig;
    expect(config.OriginGroups).toBeUndefined();
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe('default-us-east-1');
    expect(
      Object.values(Template.fromStack(stacks.edge.home).findResources('AWS::DynamoDB::GlobalTable'))[0].Properties.Replicas,
    ).toHaveLength(1);
  });

  it('lets the fargate stage publish to the table: its name and region, least privilege, an alarm on failures', () => {
    const fargate = Template.fromStack(buildApp().stacks.fargate);
    const environment = Object.values(fargate.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0].Environment;
    expect(environment).toEqual(
      expect.arrayContaining([
        { Name: 'FLAGSTACK_EDGE_TABLE', Value: 'flagstack-edge' },
        { Name: 'FLAGSTACK_EDGE_REGION', Value: 'us-east-1' },
      ]),
    );
    const table = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-1:123456789012:table/flagstack-edge']] };
    fargate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Effect: 'Allow',
            Resource: table,
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['env#*', 'key#*', 'environments*'] } },
          },
          {
            Action: 'dynamodb:Query',
            Effect: 'Allow',
            Resource: table,
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['environments*'] } },
          },
        ],
        Version: '2012-10-17',
      },
    });
    fargate.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.msg = "edge publish failed" }' });
    fargate.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EdgePublishFailures', EvaluationPeriods: 5 });

    const alone = Template.fromStack(buildApp({ fargatePublishesToEdge: 'false' }).stacks.fargate);
    expect(JSON.stringify(alone.toJSON())).not.toMatch(/FLAGSTACK_EDGE|dynamodb|EdgePublish/);
  });
});
