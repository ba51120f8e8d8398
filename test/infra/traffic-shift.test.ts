import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { TRAFFIC_SHARES, type TrafficShare, TrafficShift, type TrafficShiftProps } from '../../lib/constructs/traffic-shift';
import { loadStageConfig } from '../../lib/config';
import { STAGE_IDS } from '../../lib/stages';
import { buildApp } from './app';

/** CloudFront's hosted zone id, the same for every distribution: an alias record's target zone. */
const CLOUDFRONT_ZONE = 'Z2FDTNDATAQYW2';
const ZONE = 'Z0123456789ABCDEFGHIJ';
const BOX_IP = '203.0.113.10';

/** The settings of a move from the single box (its Elastic IP) to `shiftTo`, at `shiftShare`. */
const moveTo = (shiftTo: string, shiftShare?: TrafficShare, more: Record<string, unknown> = {}) => ({
  domainName: 'flags.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
  shiftTo,
  shiftHostedZoneId: ZONE,
  shiftFromEndpoint: BOX_IP,
  ...(shiftShare !== undefined ? { shiftShare: String(shiftShare) } : {}),
  ...more,
});

/** The template of the stack of stage `id` that holds its CloudFront distribution. */
function stageTemplate(id: (typeof STAGE_IDS)[number], context: Record<string, unknown>): Template {
  const { stacks } = buildApp(context);
  const stage = stacks[id];
  return Template.fromStack('home' in stage ? stage.home : stage);
}

/** An alias target of `distribution` (a logical id's prefix): CloudFront's zone, from the partition's map. */
function expectCloudFrontAlias(t: Template, next: Record<string, unknown>, distribution: string) {
  expect(next.AliasTarget).toEqual({
    DNSName: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${distribution}`)), 'DomainName'] },
    HostedZoneId: { 'Fn::FindInMap': ['AWSCloudFrontPartitionHostedZoneIdMap', { Ref: 'AWS::Partition' }, 'zoneId'] },
  });
  expect(t.toJSON().Mappings.AWSCloudFrontPartitionHostedZoneIdMap.aws.zoneId).toBe(CLOUDFRONT_ZONE);
}

/** The two weighted records of a template: the previous stage's and this stage's. */
function records(t: Template) {
  const all = Object.values(t.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties as Record<string, unknown>);
  expect(all).toHaveLength(2);
  const previous = all.find((r) => r.SetIdentifier === 'previous')!;
  const next = all.find((r) => r.SetIdentifier !== 'previous')!;
  return { previous, next };
}

describe('TrafficShift (construct)', () => {
  const shift = (props: Partial<TrafficShiftProps> = {}, region = 'us-east-1') => {
    const stack = new Stack(new App(), 'Next', { env: { account: '123456789012', region } });
    const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
      metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const construct = new TrafficShift(stack, 'Shift', {
      hostedZoneId: ZONE,
      recordName: 'flags.example.com',
      previousEndpoint: BOX_IP,
      target: route53.RecordTarget.fromIpAddresses('198.51.100.7'),
      alarm,
      ...props,
    });
    return { construct, t: Template.fromStack(stack) };
  };

  it.each(TRAFFIC_SHARES)('at share %d weighs the previous stage 100 − share and this stage share', (share) => {
    const { construct, t } = shift({ share });
    expect(construct.share).toBe(share);
    const { previous, next } = records(t);
    expect(previous).toMatchObject({
      Name: 'flags.example.com.',
      Type: 'A',
      HostedZoneId: ZONE,
      Weight: 100 - share,
      TTL: '60',
      ResourceRecords: [BOX_IP],
    });
    expect(previous.HealthCheckId).toBeUndefined();
    expect(next).toMatchObject({ Name: 'flags.example.com.', Type: 'A', Weight: share, SetIdentifier: 'next' });
    expect(next.HealthCheckId).toEqual({ Ref: t.getResourceId('AWS::Route53::HealthCheck') });
  });

  it('defaults to share 0: the records exist, every answer is the previous stage', () => {
    const { previous, next } = records(shift().t);
    expect([previous.Weight, next.Weight]).toEqual([100, 0]);
  });

  it('binds a CLOUDWATCH_METRIC health check to the alarm, by name and region', () => {
    const { t } = shift();
    t.resourceCountIs('AWS::Route53::HealthCheck', 1);
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: { Ref: t.getResourceId('AWS::CloudWatch::Alarm') }, Region: 'us-east-1' },
        InsufficientDataHealthStatus: 'LastKnownStatus',
      },
    });
  });

  it('takes a shorter TTL and another set identifier', () => {
    const { previous, next } = records(shift({ ttl: Duration.seconds(30), setIdentifier: 'Flagstack-Fargate' }).t);
    expect(previous.TTL).toBe('30');
    expect(next.SetIdentifier).toBe('Flagstack-Fargate');
  });

  it.each([
    [{ share: 5 as TrafficShare }, 'share 5 must be one of 0, 1, 10, 50, 100'],
    [{ hostedZoneId: 'example.com' }, 'hostedZoneId "example.com" must look like Z0123456789ABCDEFGHIJ'],
    [{ recordName: 'Flags.Example.com' }, 'recordName "Flags.Example.com" must be a lower-case host name'],
    [{ previousEndpoint: 'd111111abcdef8.cloudfront.net' }, 'previousEndpoint "d111111abcdef8.cloudfront.net" must be an IPv4 address'],
    [{ previousEndpoint: '203.0.113.300' }, 'must be an IPv4 address'],
    [{ ttl: Duration.minutes(10) }, 'ttl 600 s must be 1 to 300 seconds'],
    [{ setIdentifier: 'previous' }, 'setIdentifier "previous" is the previous stage\'s record'],
  ])('refuses %j up front', (props, message) => {
    expect(() => shift(props)).toThrow(message);
  });

  it('refuses an alarm in a region whose alarms Route 53 cannot watch', () => {
    expect(() => shift({}, 'xx-moon-1')).toThrow(
      'TrafficShift: the alarm is in xx-moon-1, where Route 53 health checks cannot watch alarms',
    );
  });
});

describe('traffic shift settings', () => {
  it('synthesise nothing new by default: no records, no health check, no shift alarm in any stack', () => {
    const { app } = buildApp();
    for (const stack of app.node.children.filter((child): child is Stack => child instanceof Stack)) {
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::Route53::RecordSet', 0);
      t.resourceCountIs('AWS::Route53::HealthCheck', 0);
      expect(JSON.stringify(t.toJSON())).not.toContain('ShiftAlarm');
    }
  });

  // single-box → autoscaled: every step, on both records.
  it.each(TRAFFIC_SHARES)('single-box → autoscaled at share %d: the box keeps 100 − share, autoscaled takes share', (share) => {
    const t = stageTemplate('autoscaled', moveTo('autoscaled', share));
    const { previous, next } = records(t);
    expect(previous).toMatchObject({
      Name: 'flags.example.com.',
      HostedZoneId: ZONE,
      Weight: 100 - share,
      TTL: '60',
      ResourceRecords: [BOX_IP],
    });
    expect(next).toMatchObject({ Name: 'flags.example.com.', Type: 'A', Weight: share, SetIdentifier: 'Flagstack-Autoscaled' });
    expect(next.TTL).toBeUndefined(); // an alias record's TTL is Route 53's: 60 s for CloudFront
    expectCloudFrontAlias(t, next, 'FrontDoorDistribution');
    t.hasOutput('TrafficShare', { Value: `${share}% of flags.example.com here, ${100 - share}% at ${BOX_IP}` });
  });

  it('starts a move at share 0 when shiftShare is not given', () => {
    const { previous, next } = records(stageTemplate('autoscaled', moveTo('autoscaled')));
    expect([previous.Weight, next.Weight]).toEqual([100, 0]);
  });

  // Each stage behind CloudFront can take the traffic from the single box (or any server on one IPv4 address).
  it.each([
    ['autoscaled', 'Flagstack-Autoscaled', 'FrontDoorDistribution'],
    ['fargate', 'Flagstack-Fargate', 'FrontDoorDistribution'],
    ['edge', 'Flagstack-Edge', 'FrontDistribution'],
  ] as const)(
    'single-box → %s: the health check follows an alarm on the distribution 5xx rate, notifying the stage topic',
    (id, stackName, distribution) => {
      const t = stageTemplate(id, moveTo(id, 10, { alarm5xxPercent: '2' }));
      const { previous, next } = records(t);
      expect([previous.Weight, next.Weight, next.SetIdentifier]).toEqual([90, 10, stackName]);
      const alarms = t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: '5xxErrorRate' } });
      expect(Object.keys(alarms)).toHaveLength(1);
      const [alarmId] = Object.keys(alarms);
      expect(alarmId).toMatch(/^MonitoringShiftAlarm/);
      expectCloudFrontAlias(t, next, distribution);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: '5xxErrorRate',
        Namespace: 'AWS/CloudFront',
        // Region: Global, or CloudWatch has no such metric and the alarm never fires.
        Dimensions: [
          { Name: 'DistributionId', Value: { Ref: Match.stringLikeRegexp(`^${distribution}`) } },
          { Name: 'Region', Value: 'Global' },
        ],
        Statistic: 'Average',
        Period: 60,
        Threshold: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
      });
      t.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: { Ref: alarmId }, Region: 'us-east-1' } },
      });
      expect(next.HealthCheckId).toEqual({ Ref: t.getResourceId('AWS::Route53::HealthCheck') });
    },
  );

  it('touch only the stage shiftTo names', () => {
    const { app, stacks } = buildApp(moveTo('fargate', 50));
    const withRecords = app.node.children
      .filter((child): child is Stack => child instanceof Stack)
      .filter((stack) => Object.keys(Template.fromStack(stack).findResources('AWS::Route53::RecordSet')).length > 0);
    expect(withRecords).toEqual([stacks.fargate]);
  });

  it('put the edge records in its home stack, beside the distribution (an alias to CloudFront is global)', () => {
    const built = buildApp(moveTo('edge', 100));
    for (const stack of built.stacks.edge.regions) Template.fromStack(stack).resourceCountIs('AWS::Route53::RecordSet', 0);
    const { previous, next } = records(Template.fromStack(built.stacks.edge.home));
    // At 100 the box's record stays, weight 0: Route 53 answers with it only while the edge's alarm fires.
    expect([previous.Weight, next.Weight]).toEqual([0, 100]);
    expectCloudFrontAlias(Template.fromStack(built.stacks.edge.home), next, 'FrontDistribution');
  });

  describe('refuse bad settings, naming the key and what it accepts', () => {
    const load = (context: Record<string, unknown>) => () => loadStageConfig(context);

    it.each([
      ['shiftShare', '5', 'context key shiftShare=5: must be one of: 0, 1, 10, 50, 100'],
      ['shiftShare', '25', 'context key shiftShare=25: must be one of: 0, 1, 10, 50, 100'],
      ['shiftTo', 'single-box', 'context key shiftTo=single-box: must be one of: "autoscaled", "fargate", "edge"'],
      ['shiftHostedZoneId', 'example.com', 'context key shiftHostedZoneId=example.com: must look like "Z0123456789ABCDEFGHIJ"'],
      ['shiftFromEndpoint', 'http://203.0.113.10', 'context key shiftFromEndpoint=http://203.0.113.10: must look like "203.0.113.10"'],
    ])('%s=%s', (key, value, message) => {
      expect(load({ ...moveTo('autoscaled'), [key]: value })).toThrow(message);
    });

    it('a missing zone, endpoint, domain or certificate', () => {
      const { shiftHostedZoneId, ...noZone } = moveTo('autoscaled', 1);
      expect(shiftHostedZoneId).toBe(ZONE);
      expect(load(noZone)).toThrow(
        'Invalid stage configuration: context key shiftHostedZoneId: needed with shiftTo=autoscaled: the Route 53 hosted zone of domainName, where the weighted records go',
      );
      expect(load({ shiftTo: 'fargate' })).toThrow(
        [
          'Invalid stage configuration:',
          '  context key shiftHostedZoneId: needed with shiftTo=fargate: the Route 53 hosted zone of domainName, where the weighted records go',
          "  context key shiftFromEndpoint: needed with shiftTo=fargate: the previous stage's IPv4 address, the other weighted record (from a stage behind CloudFront: shiftToOrigin and shiftToDistributionId instead)",
          '  context key domainName: needed with shiftTo=fargate: the public host name whose records are weighted',
          "  context key certificateArn: needed with shiftTo=fargate: this stage's CloudFront serves domainName only with its certificate",
        ].join('\n'),
      );
    });

    it('a zone, endpoint or share without shiftTo', () => {
      expect(load({ shiftHostedZoneId: ZONE, shiftShare: '10' })).toThrow(
        'context key shiftTo: needed with shiftHostedZoneId, shiftShare: the stage taking the traffic, one of autoscaled, fargate, edge',
      );
    });

    it('a CloudFront stage as the previous endpoint: one alternate domain name belongs to one distribution', () => {
      // autoscaled → fargate and fargate → edge: both stages behind CloudFront.
      expect(load(moveTo('fargate', 1, { shiftFromEndpoint: 'd111111abcdef8.cloudfront.net' }))).toThrow(
        /context key shiftFromEndpoint=d111111abcdef8\.cloudfront\.net: must be the previous stage's IPv4 address .*a CloudFront stage cannot share domainName with this one's distribution/,
      );
    });

    it('a home region other than us-east-1, where the distribution 5xx rate is not published', () => {
      expect(load(moveTo('autoscaled', 1, { region: 'eu-west-1', cloudFrontPrefixListId: 'pl-4fa04526' }))).toThrow(
        "context key region=eu-west-1: must be us-east-1 with shiftTo: CloudFront publishes the 5xx rate the health check's alarm watches only there",
      );
    });
  });
});
