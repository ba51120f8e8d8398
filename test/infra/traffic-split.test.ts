/**
 * The split between two CloudFront stages (TrafficSplit) in the previous stage's stack: for
 * autoscaled → fargate and fargate → edge at every share, the second origin, the router on every
 * behaviour with its KeyValueStore, the custom resource's share, ShiftAlarm and its actions; only the
 * previous stage's stack changes; nothing by default; bad props and settings refused up front.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { loadStageConfig } from '../../lib/config';
import { attachCertificateWithoutName } from '../../lib/constructs/front-door';
import { Monitoring } from '../../lib/constructs/monitoring';
import { TRAFFIC_SHARES, type TrafficShare } from '../../lib/constructs/traffic-shift';
import { TrafficSplit, type TrafficSplitProps } from '../../lib/constructs/traffic-split';
import { NEXT_ORIGIN_ID, splitRouterCode } from '../../lib/constructs/traffic-split-router';
import { AutoscaledStack } from '../../lib/stages/autoscaled-stack';
import { buildApp } from './app';

const NEXT = 'd111111abcdef8.cloudfront.net';
const NEXT_ID = 'E1A2B3C4D5E6F7';
const DOMAIN = { domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f' };

/** The settings of a split toward `shiftTo` (in the stage before it) at `shiftShare`. */
const splitTo = (shiftTo: string, shiftShare?: TrafficShare, more: Record<string, unknown> = {}) => ({
  ...DOMAIN,
  shiftTo,
  shiftToOrigin: NEXT,
  shiftToDistributionId: NEXT_ID,
  ...(shiftShare !== undefined ? { shiftShare: String(shiftShare) } : {}),
  ...more,
});

/** Each split: the stage taking the traffic, the stage whose distribution splits, its stack. */
const MOVES = [
  ['fargate', 'autoscaled', 'Flagstack-Autoscaled'],
  ['edge', 'fargate', 'Flagstack-Fargate'],
] as const;

/** Every stack of an app, by name, as templates. */
function templates(context: Record<string, unknown>): Map<string, Template> {
  const { app } = buildApp(context);
  return new Map(
    app.node.children
      .filter((child): child is Stack => child instanceof Stack)
      .map((stack) => [stack.stackName, Template.fromStack(stack)]),
  );
}

const ref = (t: Template, type: string, prefix: string) => {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
};

/** Asserts the whole split in `t`, at `share`, with ShiftAlarm's threshold `threshold`. */
function expectSplit(t: Template, share: TrafficShare, threshold = 1) {
  const store = ref(t, 'AWS::CloudFront::KeyValueStore', 'TrafficSplitStore');
  const router = ref(t, 'AWS::CloudFront::Function', 'TrafficSplitRouter');
  const lambdaId = ref(t, 'AWS::Lambda::Function', 'TrafficSplitShare');
  const alarm = ref(t, 'AWS::CloudWatch::Alarm', 'MonitoringShiftAlarm');

  // The router, with its store, on every behaviour of the distribution.
  t.hasResourceProperties('AWS::CloudFront::Function', {
    FunctionCode: splitRouterCode(),
    FunctionConfig: { Runtime: 'cloudfront-js-2.0', KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [store, 'Arn'] } }] },
    AutoPublish: true,
  });
  const [distribution] = Object.values(t.findResources('AWS::CloudFront::Distribution'));
  const config = distribution.Properties.DistributionConfig as {
    Origins: Record<string, unknown>[];
    DefaultCacheBehavior: Record<string, unknown>;
    CacheBehaviors: Record<string, unknown>[];
  };
  const association = [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [router, 'FunctionARN'] } }];
  for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors])
    expect(behavior.FunctionAssociations).toEqual(association);
  // The previous stage's own origin stays the target of its behaviours.
  expect(config.DefaultCacheBehavior.TargetOriginId).not.toBe(NEXT_ORIGIN_ID);
  expect(config.CacheBehaviors.find((b) => b.PathPattern === '/api/v1/flags/*')!.TargetOriginId).not.toBe(NEXT_ORIGIN_ID);

  // The second origin: the next distribution, HTTPS only, without the previous stage's origin secret.
  const next = config.Origins.find((origin) => origin.Id === NEXT_ORIGIN_ID)!;
  expect(next).toEqual({
    Id: NEXT_ORIGIN_ID,
    DomainName: NEXT,
    CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
  });
  expect(config.Origins).toHaveLength(2);
  expect(config.CacheBehaviors.find((b) => b.PathPattern === '/_shift/next/*')).toMatchObject({
    TargetOriginId: NEXT_ORIGIN_ID,
    ViewerProtocolPolicy: 'https-only',
    CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
    OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // AllViewerExceptHostHeader
  });

  // The deployed share, written by the Lambda.
  t.resourceCountIs('Custom::TrafficShare', 1);
  t.hasResourceProperties('Custom::TrafficShare', {
    ServiceToken: { 'Fn::GetAtt': [lambdaId, 'Arn'] },
    KvsArn: { 'Fn::GetAtt': [store, 'Arn'] },
    Share: String(share),
  });
  t.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Handler: 'index.handler',
    Environment: { Variables: { FLAGSTACK_SHIFT_STORE_ARN: { 'Fn::GetAtt': [store, 'Arn'] } } },
  });
  t.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        {
          Effect: 'Allow',
          Action: ['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:GetKey', 'cloudfront-keyvaluestore:PutKey'],
          Resource: { 'Fn::GetAtt': [store, 'Arn'] },
        },
      ]),
    },
  });

  // ShiftAlarm: the next distribution's 5xx rate, Region=Global; it notifies the topic and runs the Lambda.
  t.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'AWS/CloudFront',
    MetricName: '5xxErrorRate',
    Dimensions: [
      { Name: 'DistributionId', Value: NEXT_ID },
      { Name: 'Region', Value: 'Global' },
    ],
    Statistic: 'Average',
    Period: 60,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 2,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }, { 'Fn::GetAtt': [lambdaId, 'Arn'] }],
  });
  t.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    FunctionName: { 'Fn::GetAtt': [lambdaId, 'Arn'] },
    Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
    SourceArn: { 'Fn::GetAtt': [alarm, 'Arn'] },
  });
  t.hasOutput('TrafficShare', {
    Value: `${share}% of SDK requests to ${NEXT} (sticky per environment key and viewer IP) while ShiftAlarm is OK`,
  });
  t.hasOutput('ShiftStoreArn', { Value: { 'Fn::GetAtt': [store, 'Arn'] } });
  // No DNS records: the name stays on this distribution.
  t.resourceCountIs('AWS::Route53::RecordSet', 0);
}

describe('TrafficSplit (construct)', () => {
  const split = (props: Partial<TrafficSplitProps> = {}, region = 'us-east-1') => {
    const stack = new Stack(new App(), 'Previous', { env: { account: '123456789012', region } });
    const monitoring = new Monitoring(stack, 'Monitoring', { dashboardName: 'previous' });
    const construct = new TrafficSplit(stack, 'TrafficSplit', {
      nextDomainName: NEXT,
      nextDistributionId: NEXT_ID,
      share: 10,
      monitoring,
      ...props,
    });
    return { construct, t: Template.fromStack(stack) };
  };

  it('exposes what it builds: the router, its store, the next origin and its behaviour, the alarm', () => {
    const { construct } = split({ share: 50 });
    expect(construct.share).toBe(50);
    expect(Object.keys(construct.behaviors)).toEqual(['/_shift/next/*']);
    expect(construct.behaviors['/_shift/next/*'].origin).toBe(construct.nextOrigin);
    expect(construct.behaviors['/_shift/next/*'].functionAssociations).toEqual([
      { function: construct.router, eventType: 'viewer-request' },
    ]);
    expect(construct.alarm.node.id).toBe('ShiftAlarm');
  });

  it('alarms above 1% by default, or alarm5xxPercent', () => {
    split().t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1 });
    split({ alarm5xxPercent: 5 }).t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5 });
  });

  it.each([
    [{ share: 25 as TrafficShare }, 'share 25 must be one of 0, 1, 10, 50, 100'],
    [{ nextDomainName: 'flags.example.com' }, 'nextDomainName "flags.example.com" must be the next distribution\'s own name'],
    [{ nextDomainName: 'https://d111111abcdef8.cloudfront.net' }, "must be the next distribution's own name"],
    [{ nextDistributionId: 'd111111abcdef8' }, 'nextDistributionId "d111111abcdef8" must be a distribution id'],
    [{ alarm5xxPercent: 101 }, 'alarm5xxPercent 101 must be 0 to 100'],
    [{ bundleDir: path.join(os.tmpdir(), 'no-such-bundle') }, 'index.js is missing; run `npm run build` first'],
  ])('refuses %j up front', (props, message) => {
    expect(() => split(props)).toThrow(message);
  });

  it('refuses a stack outside us-east-1, where CloudFront publishes no metrics', () => {
    expect(() => split({}, 'eu-west-1')).toThrow(
      'TrafficSplit: the stack is in eu-west-1; CloudFront publishes the 5xx rate ShiftAlarm watches only in us-east-1',
    );
  });
});

it('a stack takes one move at a time: a DNS shift toward it or a split away from it', () => {
  expect(
    () =>
      new AutoscaledStack(new App(), 'Flagstack-Autoscaled', {
        env: { account: '123456789012', region: 'us-east-1' },
        corsOrigins: ['*'],
        requestsPerTarget: 1000,
        alarm5xxPercent: 1,
        alarmP99Latency: Duration.millis(250),
        instanceType: new ec2.InstanceType('t4g.micro'),
        minInstances: 2,
        maxInstances: 2,
        trafficShift: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', previousEndpoint: '203.0.113.10', share: 10 },
        trafficSplit: { nextDomainName: NEXT, nextDistributionId: NEXT_ID, share: 10 },
      }),
  ).toThrow('Flagstack-Autoscaled: trafficShift (toward this stage) and trafficSplit (away from it): one move at a time');
});

describe('attachCertificateWithoutName', () => {
  const distribution = () => {
    const stack = new Stack(new App(), 'Next', { env: { account: '123456789012', region: 'us-east-1' } });
    const origin = new origins.HttpOrigin('origin.example.com');
    return { stack, distribution: new cloudfront.Distribution(stack, 'Distribution', { defaultBehavior: { origin } }) };
  };

  it('attaches the certificate, SNI and TLS 1.2, and no alternate domain name', () => {
    const built = distribution();
    attachCertificateWithoutName(built.distribution, DOMAIN.certificateArn);
    const config = Template.fromStack(built.stack).findResources('AWS::CloudFront::Distribution');
    const [resource] = Object.values(config);
    expect(resource.Properties.DistributionConfig.Aliases).toBeUndefined();
    expect(resource.Properties.DistributionConfig.ViewerCertificate).toEqual({
      AcmCertificateArn: DOMAIN.certificateArn,
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
  });

  it('refuses a certificate outside us-east-1, where CloudFront cannot use it', () => {
    expect(() => attachCertificateWithoutName(distribution().distribution, 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b')).toThrow(
      'is not an ACM certificate in us-east-1',
    );
  });
});

describe('traffic split settings', () => {
  it('synthesise nothing new by default: no store, router, share or split origin in any stack', () => {
    for (const t of templates({}).values()) {
      t.resourceCountIs('AWS::CloudFront::KeyValueStore', 0);
      t.resourceCountIs('Custom::TrafficShare', 0);
      expect(JSON.stringify(t.toJSON())).not.toContain(NEXT_ORIGIN_ID);
    }
  });

  describe.each(MOVES)('→ %s, split in %s', (shiftTo, from, stackName) => {
    it.each(TRAFFIC_SHARES)('at share %d', (share) => {
      const all = templates(splitTo(shiftTo, share));
      expectSplit(all.get(stackName)!, share);
      // The same origin in one stack only: the stage before shiftTo.
      const withSplit = [...all].filter(([, t]) => Object.keys(t.findResources('Custom::TrafficShare')).length > 0).map(([name]) => name);
      expect(withSplit).toEqual([stackName]);
    });

    it('starts at share 0 when shiftShare is not given, and takes alarm5xxPercent', () => {
      expectSplit(templates(splitTo(shiftTo, undefined, { alarm5xxPercent: '2' })).get(stackName)!, 0, 2);
    });

    it(`leaves every other stack as it is; ${shiftTo}'s distribution takes the certificate without the name`, () => {
      const split = templates(splitTo(shiftTo, 50));
      const plain = templates(DOMAIN);
      const nameless = templates({});
      const next = `Flagstack-${shiftTo === 'edge' ? 'Edge' : 'Fargate'}`;
      expect([...split.keys()]).toEqual([...plain.keys()]);
      for (const [name, t] of split) {
        if (name === stackName) continue;
        if (name !== next) {
          expect({ name, template: t.toJSON() }).toEqual({ name, template: plain.get(name)!.toJSON() });
          continue;
        }
        // shiftTo's own stack: as without a domain (its cloudfront.net name, no alias to clash with the
        // previous distribution's), plus the certificate, ready for the name's move.
        const template = t.toJSON() as {
          Resources: Record<string, { Type: string; Properties: { DistributionConfig: Record<string, unknown> } }>;
        };
        const [distribution] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudFront::Distribution');
        expect(distribution.Properties.DistributionConfig.Aliases).toBeUndefined();
        expect(distribution.Properties.DistributionConfig.ViewerCertificate).toEqual({
          AcmCertificateArn: DOMAIN.certificateArn,
          SslSupportMethod: 'sni-only',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        });
        delete distribution.Properties.DistributionConfig.ViewerCertificate;
        expect({ name, template }).toEqual({ name, template: nameless.get(name)!.toJSON() });
      }
      expect(from).not.toBe(shiftTo);
    });
  });

  describe('refuse bad settings, naming the key and what it accepts', () => {
    const load = (context: Record<string, unknown>) => () => loadStageConfig(context);

    it.each([
      ['shiftToOrigin', 'flags.example.com', 'context key shiftToOrigin=flags.example.com: must look like "d111111abcdef8.cloudfront.net"'],
      ['shiftToOrigin', 'https://d111111abcdef8.cloudfront.net/', 'must look like "d111111abcdef8.cloudfront.net"'],
      ['shiftToDistributionId', 'd111111abcdef8', 'context key shiftToDistributionId=d111111abcdef8: must look like "E1A2B3C4D5E6F7"'],
      ['shiftShare', '20', 'context key shiftShare=20: must be one of: 0, 1, 10, 50, 100'],
    ])('%s=%s', (key, value, message) => {
      expect(load({ ...splitTo('fargate'), [key]: value })).toThrow(message);
    });

    it('a split toward autoscaled: the single box before it has no CloudFront', () => {
      expect(load(splitTo('autoscaled', 1))).toThrow(
        'context key shiftTo=autoscaled: must be fargate or edge with shiftToOrigin: the stage before autoscaled, the single box, has no CloudFront distribution to split in; move from it by DNS with shiftHostedZoneId and shiftFromEndpoint',
      );
    });

    it('the origin without the distribution id, and the id without the origin', () => {
      const { shiftToDistributionId, ...noId } = splitTo('edge', 10);
      expect(shiftToDistributionId).toBe(NEXT_ID);
      expect(load(noId)).toThrow(
        "context key shiftToDistributionId: needed with shiftTo=edge and shiftToOrigin: the id of edge's distribution, whose 5xx rate ShiftAlarm watches",
      );
      const { shiftToOrigin, ...noOrigin } = splitTo('edge', 10);
      expect(shiftToOrigin).toBe(NEXT);
      expect(load(noOrigin)).toThrow(
        "context key shiftToOrigin: needed with shiftTo=edge and shiftToDistributionId: edge's own CloudFront name (dxxxx.cloudfront.net), the origin the share goes to",
      );
    });

    it('DNS settings with a split: it happens inside the previous distribution', () => {
      expect(load(splitTo('fargate', 10, { shiftHostedZoneId: 'Z0123456789ABCDEFGHIJ', shiftFromEndpoint: '203.0.113.10' }))).toThrow(
        [
          'Invalid stage configuration:',
          "  context key shiftHostedZoneId=Z0123456789ABCDEFGHIJ: not with shiftToOrigin: a split between two CloudFront stages happens inside autoscaled's distribution, not in DNS",
          "  context key shiftFromEndpoint=203.0.113.10: not with shiftToOrigin: a split between two CloudFront stages happens inside autoscaled's distribution, not in DNS",
        ].join('\n'),
      );
    });

    it('the split settings without shiftTo', () => {
      expect(load({ shiftToOrigin: NEXT, shiftToDistributionId: NEXT_ID })).toThrow(
        'context key shiftTo: needed with shiftToOrigin, shiftToDistributionId: the stage taking the traffic, one of autoscaled, fargate, edge',
      );
    });

    it('a home region other than us-east-1, where the next distribution 5xx rate is not published', () => {
      expect(load(splitTo('edge', 1, { region: 'eu-west-1', cloudFrontPrefixListId: 'pl-4fa04526' }))).toThrow(
        'context key region=eu-west-1: must be us-east-1 with shiftToOrigin: CloudFront publishes the 5xx rate ShiftAlarm watches only there',
      );
    });

    it('needs no zone, no endpoint and no domain: the split works on the distribution as it is', () => {
      const config = loadStageConfig({ shiftTo: 'fargate', shiftToOrigin: NEXT, shiftToDistributionId: NEXT_ID, shiftShare: '1' });
      expect([config.shiftTo, config.shiftToOrigin, config.shiftShare, config.domainName]).toEqual(['fargate', NEXT, 1, undefined]);
    });
  });
});
