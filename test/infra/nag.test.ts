import { Validations } from 'aws-cdk-lib';
import { priceTable } from '../../lib/cost/prices';
import { buildApp } from './app';

describe('cdk-nag AWS Solutions checks', () => {
  // Policy validation runs at synth and throws on any finding that is not acknowledged with a reason.
  it.each<[Record<string, string>]>([
    [{}],
    [{ domainName: 'flags.example.com', alarmEmail: 'ops@example.com' }],
    [
      {
        domainName: 'flags.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
        databaseProvisioned: 'true',
        multiAz: 'false',
      },
    ],
    // The edge stage from another home region (Lambda@Edge then lives in a us-east-1 stack of its own), one region, options.
    [{ region: 'eu-west-1', cloudFrontPrefixListId: 'pl-4fa04526', edgeRegions: 'eu-west-1,us-east-1' }],
    [{ edgeRegions: 'us-east-1', edgeReservedConcurrency: '20', edgeTraitTtlDays: '30', fargatePublishesToEdge: 'false' }],
    // A traffic shift from the single box to each stage behind CloudFront: weighted records, health check, alarm.
    ...['autoscaled', 'fargate', 'edge'].map((shiftTo): [Record<string, string>] => [
      {
        domainName: 'flags.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
        shiftTo,
        shiftHostedZoneId: 'Z0123456789ABCDEFGHIJ',
        shiftFromEndpoint: '203.0.113.10',
        shiftShare: '10',
      },
    ]),
    // A split between two CloudFront stages, in the previous stage's distribution: a second origin, the
    // router with its KeyValueStore, the share's Lambda and custom resource, the alarm with its Lambda action.
    ...['fargate', 'edge'].map((shiftTo): [Record<string, string>] => [
      {
        domainName: 'flags.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
        shiftTo,
        shiftToOrigin: 'd111111abcdef8.cloudfront.net',
        shiftToDistributionId: 'E1A2B3C4D5E6F7',
        shiftShare: '10',
      },
    ]),
  ])('leave no unacknowledged finding (context %j)', (context) => {
    const { app } = buildApp(context);
    expect(() => app.synth()).not.toThrow();
  });

  it("acknowledges no WAF with WAF's real price, whose request fee (not its fixed price) dominates at volume", () => {
    const { app } = buildApp({});
    const reasons = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .map((m) => (m.data as Record<string, string>)['Annotation::AwsSolutions-CFR2'])
      .filter((reason): reason is string => reason !== undefined);
    expect(reasons).toHaveLength(3); // the autoscaled, fargate and edge distributions
    const usd = (key: string) => priceTable('us-east-1').get(key).usd;
    for (const reason of reasons) {
      expect(reason).not.toMatch(/fixed monthly price dominates/);
      expect(reason).toContain(
        `a web ACL costs $${usd('waf.web-acl')} a month, $${usd('waf.rule')} per rule and $${usd('waf.requests').toFixed(2)} per million requests`,
      );
      // 3B requests × $0.60 per million.
      expect(reason).toContain(`$${(3000 * usd('waf.requests')).toLocaleString('en')} a month at 3B requests`);
    }
  });
});
